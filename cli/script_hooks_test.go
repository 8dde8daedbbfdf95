//go:build linux

package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gowrk/gowrk/luascript"
)

// The tests of wrk's per-request hooks (request, response, delay, setup,
// thread:get/set/stop, thread.addr, pipelined request()). Each checks what
// a recording server received, and what the script printed.

// scriptRun runs gowrk with a script and returns its JSON report and what
// the script printed after it.
type scriptReport struct {
	Requests uint64 `json:"requests"`
	InFlight uint64 `json:"in_flight_at_stop"`
	Unsent   uint64 `json:"unsent_at_stop"`
	Latency  struct {
		Percentiles map[string]int64 `json:"percentiles_us"`
		MaxUs       int64            `json:"max_us"`
	} `json:"latency"`
}

func scriptRun(t *testing.T, src string, args ...string) (scriptReport, string) {
	t.Helper()
	args = append([]string{"-q", "-f", "json", "-s", writeScript(t, src)}, args...)
	code, out, errs := gowrk(t, args...)
	if code != 0 {
		t.Fatalf("gowrk %v: exit %d: %s", args, code, errs)
	}
	var rep scriptReport
	dec := json.NewDecoder(strings.NewReader(out))
	if err := dec.Decode(&rep); err != nil {
		t.Fatalf("report: %v: %s", err, out)
	}
	return rep, strings.TrimSpace(out[dec.InputOffset():])
}

// scriptEngines are the engines a script's hooks run on: the event loop
// (one script thread per -t thread), the goroutine engine and HTTP/2 (one
// per connection), with more than one stream per connection.
var scriptEngines = []struct {
	name  string
	flags []string
	proto int
}{
	{"loop", nil, 1},
	{"goroutine", []string{"--engine", "goroutine"}, 1},
	{"h2c", []string{"--h2c"}, 2},
	{"h2c-streams", []string{"--h2c", "--streams", "4"}, 2},
}

func forScriptEngines(t *testing.T, f func(t *testing.T, flags []string, proto int)) {
	for _, e := range scriptEngines {
		t.Run(e.name, func(t *testing.T) { f(t, e.flags, e.proto) })
	}
}

func (r *recorder) all() []recorded {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]recorded(nil), r.requests...)
}

// TestScriptCounter: setup gives each thread an id (thread:set), request()
// POSTs a JSON body to a path with a per-thread counter and sends the
// counter in a header; done reads each thread's counter with thread:get.
func TestScriptCounter(t *testing.T) { forScriptEngines(t, testScriptCounter) }

func testScriptCounter(t *testing.T, flags []string, proto int) {
	rec, url := startRecorder(t)
	rep, printed := scriptRun(t, `
local threads, n = {}, 0
function setup(thread)
  n = n + 1
  thread:set("id", n)
  table.insert(threads, thread)
end
function init(args) counter = 0 end
function request()
  local path = "/t" .. id .. "/" .. counter
  local body = '{"n": ' .. counter .. '}'
  local req = wrk.format("POST", path, {["Content-Type"] = "application/json", ["X-Token"] = counter, ["X-Thread"] = id}, body)
  counter = counter + 1
  return req
end
function done(summary, latency, requests)
  for _, th in ipairs(threads) do print("thread", th:get("id"), th:get("counter")) end
end
`, append(flags, "-t2", "-c2", "-n", "400", url)...)
	got := rec.all()
	if rep.Requests != 400 || len(got) != 400 {
		t.Fatalf("gowrk completed %d, the server received %d", rep.Requests, len(got))
	}
	seen := map[string]bool{}
	for _, r := range got {
		var n int
		var id string
		if _, err := fmt.Sscanf(strings.ReplaceAll(r.uri, "/", " "), " t%s %d", &id, &n); err != nil {
			t.Fatalf("path %q: %v", r.uri, err)
		}
		want := recorded{"POST", r.uri, "application/json", fmt.Sprint(n), fmt.Sprintf(`{"n": %d}`, n), proto, id}
		if r != want || seen[r.uri] || n >= 200 {
			t.Fatalf("server received %+v, want %+v once, counters below 200", r, want)
		}
		seen[r.uri] = true
	}
	if printed != "thread\t1\t200\nthread\t2\t200" {
		t.Errorf("done printed %q", printed)
	}
}

// TestScriptResponseToken: a token read from a response header in
// response() is sent from then on; the body reaches response() too.
func TestScriptResponseToken(t *testing.T) {
	forScriptEngines(t, func(t *testing.T, flags []string, proto int) {
		if len(flags) > 1 && flags[1] == "--streams" {
			t.Skip("four streams go out before the first response")
		}
		testScriptResponseToken(t, flags)
	})
}

func testScriptResponseToken(t *testing.T, flags []string) {
	rec, url := startRecorder(t)
	rep, printed := scriptRun(t, `
local th
function setup(thread) th = thread end
function init() bodies = 0 end
function request()
  if token then return wrk.format("GET", "/api", {["X-Token"] = token}) end
  return wrk.format("POST", "/login")
end
function response(status, headers, body)
  if status ~= 200 or body ~= "ok" then error("got " .. status .. " " .. body) end
  token = headers["X-Issued-Token"] or headers["x-issued-token"] -- HTTP/2's names are lower-case
  bodies = bodies + 1
end
function done() print("responses " .. th:get("bodies")) end
`, append(flags, "-t1", "-c1", "-n", "50", url)...)
	got := rec.all()
	if rep.Requests != 50 || len(got) != 50 {
		t.Fatalf("gowrk completed %d, the server received %d", rep.Requests, len(got))
	}
	if got[0].method != "POST" || got[0].uri != "/login" || got[0].token != "" {
		t.Errorf("first request %+v, want POST /login without a token", got[0])
	}
	for _, r := range got[1:] {
		if r.method != "GET" || r.uri != "/api" || r.token != "tok-7" {
			t.Fatalf("after the first response the server received %+v, want GET /api with X-Token tok-7", r)
		}
	}
	if printed != "responses 50" {
		t.Errorf("done printed %q", printed)
	}
}

// TestScriptPipeline: a request() that returns three requests pipelines
// them (wrk's pipeline.lua): the server receives each a third of the time.
func TestScriptPipeline(t *testing.T) { forScriptEngines(t, testScriptPipeline) }

func testScriptPipeline(t *testing.T, flags []string, proto int) {
	rec, url := startRecorder(t)
	rep, _ := scriptRun(t, `
init = function(args)
  req = wrk.format(nil, "/?foo") .. wrk.format(nil, "/?bar") .. wrk.format("POST", "/?baz", nil, "body")
end
request = function() return req end
`, append(flags, "-t1", "-c2", "-n", "240", url)...)
	got := rec.all()
	count := map[string]int{}
	for _, r := range got {
		count[r.method+" "+r.uri+" "+r.body]++
	}
	if rep.Requests != 240 || count["GET /?foo "] != 80 || count["GET /?bar "] != 80 || count["POST /?baz body"] != 80 {
		t.Fatalf("gowrk completed %d; the server received %v", rep.Requests, count)
	}
}

// TestScriptDelay: delay() holds each request back: in closed loop the run
// takes at least the delays' sum and the delay is not in the latency;
// under -R it adds to the due time, so the latency still excludes it and
// every request due is accounted for.
func TestScriptDelay(t *testing.T) { forScriptEngines(t, testScriptDelay) }

func testScriptDelay(t *testing.T, flags []string, proto int) {
	rec, url := startRecorder(t)
	start := time.Now()
	rep, _ := scriptRun(t, `function delay() return 50 end`, append(flags, "-t1", "-c1", "-n", "10", url)...)
	took := time.Since(start)
	if rep.Requests != 10 || len(rec.all()) != 10 || took < 500*time.Millisecond {
		t.Fatalf("gowrk completed %d, the server received %d, in %s (10 delays of 50ms)", rep.Requests, len(rec.all()), took)
	}
	if p := rep.Latency.Percentiles["50"]; p >= 50_000 {
		t.Errorf("latency p50 %dus: the delay must not be in the latency", p)
	}

	rec2, url2 := startRecorder(t)
	rep, _ = scriptRun(t, `function delay() return 200 end`, append(flags, "-t1", "-c2", "-R", "50", "-d", "2s", url2)...)
	// The server received every completed request, and may miss those in
	// flight at the stop (a write the stop cut short never arrives whole).
	if got := uint64(len(rec2.all())); got < rep.Requests || got > rep.Requests+rep.InFlight || rep.Requests+rep.InFlight+rep.Unsent != 100 {
		t.Errorf("server %d, gowrk completed %d + in flight %d + unsent %d; want the server between the completed and those plus the in flight, and 100 due in all", got, rep.Requests, rep.InFlight, rep.Unsent)
	}
	if rep.Requests < 80 || rep.Unsent > 15 {
		t.Errorf("completed %d, unsent %d: a 200ms delay should leave about 10 unsent at the end", rep.Requests, rep.Unsent)
	}
	// Were the delay latency, every request would show 200 ms: the median
	// tells (a loaded machine may make the tail late on its own).
	if p := rep.Latency.Percentiles["50"]; p >= 200_000 {
		t.Errorf("latency p50 %dus under -R: delay() adds to the due time, it is not latency", p)
	}
}

// TestScriptSetupAddr: setup gives each thread an id and an address
// (thread.addr), and each thread's requests go there.
func TestScriptSetupAddr(t *testing.T) { forScriptEngines(t, testScriptSetupAddr) }

func testScriptSetupAddr(t *testing.T, flags []string, proto int) {
	recA, urlA := startRecorder(t)
	recB, urlB := startRecorder(t)
	addrB := strings.TrimSuffix(strings.TrimPrefix(urlB, "http://"), "/")
	_, printed := scriptRun(t, fmt.Sprintf(`
local n, threads = 0, {}
function setup(thread)
  n = n + 1
  thread:set("id", n)
  if n == 1 then
    local addrs = wrk.lookup("127.0.0.1", %q)
    if not wrk.connect(addrs[1]) then error("cannot connect to " .. addrs[1]) end
    thread.addr = addrs[1]
  end
  table.insert(threads, thread)
end
function request() return wrk.format(nil, nil, {["X-Thread"] = id}) end
function done()
  for _, th in ipairs(threads) do print(th:get("id"), th.addr) end
end
`, addrB[strings.LastIndex(addrB, ":")+1:]), append(flags, "-t2", "-c2", "-n", "96", urlA)...)
	a, b := recA.all(), recB.all()
	if len(a) != 48 || len(b) != 48 {
		t.Fatalf("server A received %d, B %d; want 48 each", len(a), len(b))
	}
	for _, r := range b {
		if r.thread != "1" {
			t.Fatalf("B received %+v from thread %q, want thread 1 only", r, r.thread)
		}
	}
	for _, r := range a {
		if r.thread != "2" {
			t.Fatalf("A received %+v from thread %q, want thread 2 only", r, r.thread)
		}
	}
	if want := "1\t" + addrB + "\n2\tnil"; printed != want {
		t.Errorf("done printed %q, want %q", printed, want)
	}
}

// TestScriptStop: thread:stop() in response() ends its thread: each of two
// threads stops after its 50th response, well before the run's end.
func TestScriptStop(t *testing.T) { forScriptEngines(t, testScriptStop) }

func testScriptStop(t *testing.T, flags []string, proto int) {
	rec, url := startRecorder(t)
	rep, _ := scriptRun(t, `
local responses = 0
function response()
  responses = responses + 1
  if responses == 50 then wrk.thread:stop() end
end
`, append(flags, "-t2", "-c2", "-d", "2s", url)...)
	// Under HTTP/2 the thread's other streams may still be in flight.
	if got := uint64(len(rec.all())); rep.Requests < 100 || got != rep.Requests+rep.InFlight || rep.Requests+rep.InFlight > 100+6 {
		t.Fatalf("gowrk completed %d (in flight %d), the server received %d; want 100: 50 per thread", rep.Requests, rep.InFlight, got)
	}
}

// TestScriptSignal: SIGINT ends a run whose request() never returns, with
// its report (the watchdog stops the hook luascript.Grace after the signal)
// and exit 1; SIGINT during a top level that never returns stops it at
// once with one line and exit 2, as any script error before the run. The
// process runs apart, for a real signal.
func TestScriptSignal(t *testing.T) {
	bin, err := gowrkBinary()
	if err != nil {
		t.Fatal(err)
	}
	// spin says it spins (a marker file), then spins.
	marker := filepath.Join(t.TempDir(), "spinning")
	spin := fmt.Sprintf("local f = io.open(%q, 'w') f:close() while true do end", marker)
	for _, tc := range []struct {
		name, src string
		code      int
		want      string
	}{
		{"request", "n = 0\nfunction request()\n  n = n + 1\n  if n > 1 then " + spin + " end\n  return wrk.format()\nend", 1,
			"script.lua:4: request() did not return within 1s of gowrk's interruption; the run was stopped"},
		{"top level", spin, 2, "script.lua:1: the file's top level had not returned when gowrk was interrupted; it was stopped"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, url := startRecorder(t)
			cmd := exec.Command(bin, "-t1", "-c1", "-d", "60s", "-s", writeScript(t, tc.src), url)
			var out, errs bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &errs
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			exited := make(chan error, 1)
			go func() { exited <- cmd.Wait() }()
			os.Remove(marker)
			for i := 0; ; i++ {
				if _, err := os.Stat(marker); err == nil {
					break
				}
				if i == 3000 {
					cmd.Process.Kill()
					t.Fatalf("the script never got going: %s", errs.String())
				}
				time.Sleep(10 * time.Millisecond)
			}
			cmd.Process.Signal(os.Interrupt)
			select {
			case <-exited:
			case <-time.After(luascript.Grace + 20*time.Second): // (a hang check only)
				cmd.Process.Kill()
				t.Fatalf("SIGINT did not end gowrk: %s", errs.String())
			}
			code := cmd.ProcessState.ExitCode()
			if code != tc.code || strings.Count(errs.String(), tc.want) != 1 || strings.Count(errs.String(), "did not return")+strings.Count(errs.String(), "had not returned") != 1 {
				t.Errorf("exit %d, stderr %q; want exit %d and one line with %q", code, errs.String(), tc.code, tc.want)
			}
			if tc.code == 1 && !strings.Contains(out.String(), "1 requests in") {
				t.Errorf("no report of the one request sent: %q", out.String())
			}
			if tc.code == 2 && (out.Len() != 0 || strings.Count(errs.String(), "\n") != 1) {
				t.Errorf("stdout %q, stderr %q; want no report and one line", out.String(), errs.String())
			}
		})
	}
}
