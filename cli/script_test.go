package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gowrk/gowrk/luascript"
)

// recorder is an HTTP/1.1 and h2c server that keeps what it received.
type recorder struct {
	mu       sync.Mutex
	requests []recorded
}

type recorded struct {
	method, uri, contentType, token, body string
	proto                                 int
	thread                                string // X-Thread
}

func (r *recorder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	b, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	r.requests = append(r.requests, recorded{req.Method, req.RequestURI, req.Header.Get("Content-Type"), req.Header.Get("X-Token"), string(b), req.ProtoMajor, req.Header.Get("X-Thread")})
	r.mu.Unlock()
	w.Header().Set("X-Issued-Token", "tok-7") // for a script's response()
	w.Write([]byte("ok"))
}

func startRecorder(t *testing.T) (*recorder, string) {
	t.Helper()
	r := &recorder{}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: r, Protocols: new(http.Protocols)}
	srv.Protocols.SetHTTP1(true)
	srv.Protocols.SetUnencryptedHTTP2(true)
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return r, "http://" + ln.Addr().String() + "/"
}

func writeScript(t *testing.T, src string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "script.lua")
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestScriptRequest: what a wrk script sets (method, path from init's
// arguments, headers, body) is what the server receives, on every request,
// over HTTP/1.1 and HTTP/2.
func TestScriptRequest(t *testing.T) {
	script := writeScript(t, `
wrk.method = "POST"
wrk.body   = '{"name": "gowrk"}'
wrk.headers["Content-Type"] = "application/json"
function init(args)
  wrk.path = "/items?id=" .. args[1]
  wrk.headers["X-Token"] = args[2]
end
`)
	for _, proto := range []string{"http/1.1", "h2c"} {
		t.Run(proto, func(t *testing.T) {
			rec, url := startRecorder(t)
			args := []string{"-q", "-t1", "-c2", "-n", "200", "-f", "json", "-s", script}
			if proto == "h2c" {
				args = append(args, "--h2c")
			}
			code, out, errs := gowrk(t, append(args, url, "--", "42", "secret-token")...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errs)
			}
			var rep struct{ Requests int }
			json.Unmarshal([]byte(out), &rep)
			rec.mu.Lock()
			defer rec.mu.Unlock()
			if rep.Requests != 200 || len(rec.requests) != 200 {
				t.Fatalf("gowrk completed %d, the server received %d", rep.Requests, len(rec.requests))
			}
			want := recorded{"POST", "/items?id=42", "application/json", "secret-token", `{"name": "gowrk"}`, 1, ""}
			if proto == "h2c" {
				want.proto = 2
			}
			for _, got := range rec.requests {
				if got != want {
					t.Fatalf("server received %+v, want %+v", got, want)
				}
			}
		})
	}
}

// TestScriptDone: done() gets wrk's summary and latency objects, and what
// it prints follows the report on stdout.
func TestScriptDone(t *testing.T) {
	rec, url := startRecorder(t)
	script := writeScript(t, `
done = function(summary, latency, requests)
  io.write(string.format("requests=%d errors=%d\n", summary.requests, summary.errors.status + summary.errors.connect))
  io.write(string.format("p50=%d p99=%d max=%d\n", latency:percentile(50), latency:percentile(99), latency.max))
  print("ordered", latency.min <= latency:percentile(50), latency:percentile(50) <= latency.max, latency.mean > 0)
  print(wrk.format("PUT", "/x"))
end
`)
	code, out, errs := gowrk(t, "-q", "-t1", "-c2", "-n", "300", "-f", "json", "-s", script, url)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	i := strings.Index(out, "requests=")
	if i < 0 {
		t.Fatalf("no script output after the report: %s", out)
	}
	var rep struct {
		Requests int `json:"requests"`
		Latency  struct {
			Percentiles map[string]int64 `json:"percentiles_us"`
			MaxUs       int64            `json:"max_us"`
		} `json:"latency"`
	}
	if err := json.Unmarshal([]byte(out[:i]), &rep); err != nil {
		t.Fatalf("the report before the script's output: %v", err)
	}
	printed := out[i:]
	rec.mu.Lock()
	received := len(rec.requests)
	rec.mu.Unlock()
	if !strings.HasPrefix(printed, "requests=300 errors=0\n") || received != 300 {
		t.Errorf("done printed %q; the server received %d", printed, received)
	}
	// The same histogram as the report's: the same microseconds.
	if want := fmt.Sprintf("p50=%d p99=%d max=%d\n", rep.Latency.Percentiles["50"], rep.Latency.Percentiles["99"], rep.Latency.MaxUs); !strings.Contains(printed, want) {
		t.Errorf("done printed %q, the report says %q", printed, want)
	}
	if !strings.Contains(printed, "ordered\ttrue\ttrue\ttrue\n") || !strings.Contains(printed, "PUT /x HTTP/1.1\r\nHost: 127.0.0.1:") {
		t.Errorf("done printed %q", printed)
	}
}

// TestScriptErrors: a bad script stops before any load with one line that
// names the file (and line); an error in done comes after the report.
func TestScriptErrors(t *testing.T) {
	rec, url := startRecorder(t)
	for _, tc := range []struct {
		name, src string
		code      int
		want      string
	}{
		{"syntax", "wrk.method = ", 2, "script.lua"},
		{"init error", "function init(args)\n  error('no token')\nend", 2, "script.lua:2: no token"},
		{"setup error", "function setup(thread) error('no setup') end", 2, "script.lua:1: no setup"},
		{"request error", "function request() error('no request') end", 1, "script.lua:1: no request"},
		{"request not a string", "function request() return 7 end", 1, "request() returned a number"},
		{"request not HTTP", "function request() return 'hello' end", 1, "incomplete HTTP request"},
		{"delay error", "function delay() return -1 end", 1, "delay() returned -1"},
		{"delay too long", "function delay() return 1e10 end", 1, "delay() returned 10000000000,"},
		{"delay huge", "function delay() return 1e18 end", 1, "delay() returned 1000000000000000000,"},
		{"delay infinite", "function delay() return 1/0 end", 1, "delay() returned +Inf,"},
		{"delay NaN", "function delay() return 0/0 end", 1, "delay() returned NaN,"},
		{"response error", "function response(s, h, b) error('bad response') end", 1, "script.lua:1: bad response"},
		{"bad method", "wrk.method = 'GE T'", 2, "wrk.method must be a method name"},
		{"done error", "function done(s, l, r) error('bad done') end", 1, "script.lua:1: bad done"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec.mu.Lock()
			before := len(rec.requests)
			rec.mu.Unlock()
			code, out, errs := gowrk(t, "-q", "-t1", "-c1", "-n", "5", "-s", writeScript(t, tc.src), url)
			rec.mu.Lock()
			sent := len(rec.requests) - before
			rec.mu.Unlock()
			// Refused input is one line; a failure during the run may
			// come with the run's warnings (a loaded machine's CPU one).
			lines := strings.Count(errs, "\n")
			if code != tc.code || !strings.Contains(errs, tc.want) || (tc.code == 2 && lines != 1) || strings.Count(errs, tc.want) != 1 || strings.Contains(errs, "goroutine") {
				t.Errorf("exit %d, stderr %q; want exit %d and one line with %q", code, errs, tc.code, tc.want)
			}
			if tc.code == 2 && (out != "" || sent != 0) {
				t.Errorf("a script refused before the run sent %d requests and printed %q", sent, out)
			}
			if tc.name == "done error" && !strings.Contains(out, "5 requests in") {
				t.Errorf("an error in done must come after the report: %q", out)
			}
			if tc.code == 1 && !strings.Contains(out, "requests in") {
				t.Errorf("a script error during the run must still print the report: %q", out)
			}
			// A script error that stopped the run is an error, on stderr
			// and in the report, never a warning.
			if tc.code == 1 && tc.name != "done error" {
				for _, line := range strings.Split(errs+out, "\n") {
					if strings.Contains(line, tc.want) && !strings.HasPrefix(line, "gowrk: error: ") && !strings.HasPrefix(line, "Stopped early after ") {
						t.Errorf("a script error that stopped the run is not labelled an error: %q", line)
					}
				}
			}
		})
	}
	if code, _, errs := gowrk(t, url, "--", "x"); code != 2 || !strings.Contains(errs, "there is no --script") {
		t.Errorf("arguments after -- without -s: exit %d, %q", code, errs)
	}
}

// TestScriptWatchdog: a script function that never returns is stopped by
// the watchdog (luascript.Grace after the run's end, or after the run's
// length for one called outside the run) with one line naming it, and the
// exit code of a script error there: 2 before the run (no report), 1
// during and after it (the report first). The bound below only catches a
// hang; it is no timing assertion.
func TestScriptWatchdog(t *testing.T) {
	_, url := startRecorder(t)
	const spin = "while true do end"
	for _, tc := range []struct {
		name, src string
		code      int
		want      string
		flags     []string
	}{
		{"request", "function request() " + spin + " end", 1, "request() did not return within 1s of the run's end; the run was stopped", nil},
		{"request goroutine", "function request() " + spin + " end", 1, "request() did not return within 1s of the run's end", []string{"--engine", "goroutine", "-c2"}},
		{"request h2c", "function request() " + spin + " end", 1, "request() did not return within 1s of the run's end", []string{"--h2c"}},
		{"response h2c streams", "function response(s, h, b) " + spin + " end", 1, "response() did not return within 1s of the run's end", []string{"--h2c", "--streams", "4"}},
		{"response", "function response(s, h, b) " + spin + " end", 1, "response() did not return within 1s of the run's end", nil},
		{"delay", "function delay() " + spin + " end", 1, "delay() did not return within 1s of the run's end", nil},
		{"top level", spin, 2, "the file's top level did not return within 1.2s (the run's length and 1s); it was stopped", nil},
		{"init", "function init(args) " + spin + " end", 2, "init() did not return within 1.2s", nil},
		{"setup", "function setup(thread) " + spin + " end\nfunction request() return wrk.format() end", 2, "setup() did not return within 1.2s", nil},
		{"done", "function done(s, l, r) " + spin + " end", 1, "done() did not return within 1.2s", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			type result struct {
				code      int
				out, errs string
			}
			ch := make(chan result, 1)
			args := append([]string{"-t1", "-c1", "-d", "200ms", "-s", writeScript(t, tc.src), url}, tc.flags...)
			go func() {
				code, out, errs := gowrk(t, args...)
				ch <- result{code, out, errs}
			}()
			var r result
			select {
			case r = <-ch:
			case <-time.After(2*(200*time.Millisecond+luascript.Grace) + 10*time.Second): // (a hang check only)
				t.Fatalf("gowrk %v did not end", args)
			}
			if r.code != tc.code || strings.Count(r.errs, tc.want) != 1 || strings.Count(r.errs, "did not return") != 1 || strings.Contains(r.errs, "goroutine ") {
				t.Errorf("exit %d, stderr %q; want exit %d and one line with %q", r.code, r.errs, tc.code, tc.want)
			}
			if !strings.Contains(r.errs, "script.lua:1: ") {
				t.Errorf("the line does not say where the function was: %q", r.errs)
			}
			if tc.code == 2 && (r.out != "" || strings.Count(r.errs, "\n") != 1) {
				t.Errorf("stopped before the run: stdout %q, stderr %q; want no report and one line", r.out, r.errs)
			}
			if tc.code == 1 && !strings.Contains(r.out, "requests in") {
				t.Errorf("stopped during or after the run: no report on stdout: %q", r.out)
			}
		})
	}
}
