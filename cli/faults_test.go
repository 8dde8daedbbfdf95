package cli

// The fault-injection suite: each case points gowrk at a server that fails
// in one way and checks, through the command line and the JSON report, that
// the run ends on time, every request sent is accounted for, the failure
// lands in the right class, and the exit code is what the README says.

import (
	"encoding/json"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gowrk/gowrk/loadgen"
	"github.com/gowrk/gowrk/loadgen/testserver"
)

// jsonRun is the part of the JSON report the fault checks read.
type jsonRun struct {
	DurationUs     int64                             `json:"duration_us"`
	Requests       uint64                            `json:"requests"`
	Sent           uint64                            `json:"sent"`
	InFlight       uint64                            `json:"in_flight_at_stop"`
	BytesRead      uint64                            `json:"bytes_read"`
	Errors         map[string]uint64                 `json:"errors"`
	ErrorMessages  []struct{ Class, Message string } `json:"error_messages"`
	LatencyExclude uint64                            `json:"latency_excluded"`
	Timeouts       struct {
		Late          uint64 `json:"late"`
		WaitingAtStop uint64 `json:"waiting_at_stop"`
		Abandoned     uint64 `json:"abandoned"`
	} `json:"timeouts"`
	Aborted    string `json:"aborted"`
	Reconnects uint64 `json:"reconnects"`
	Pending    uint64 `json:"connects_pending_at_stop"`
	// Counts holds every counter by name (resent among them).
	Counts map[string]uint64 `json:"counts"`
	// MachineBusy is how busy the machine's CPUs were over the run.
	MachineBusy float64 `json:"machine_cpu_busy"`
}

// faultRun runs gowrk with args (plus -f json), checks the time bound and
// the accounting, and returns the report and exit code. bound is duration
// + timeout + 1 s, judged by the run's own clock (the report's
// duration_us) plus the time the machine kept the process waiting for a
// CPU (testserver.CPUWait): a hang bound, not a measurement.
func faultRun(t *testing.T, bound time.Duration, args ...string) (jsonRun, int) {
	t.Helper()
	wait := testserver.CPUWait()
	code, out, errs := gowrk(t, append([]string{"-f", "json"}, args...)...)
	waited := wait()
	if strings.Contains(errs, "panic") || strings.Contains(errs, "goroutine ") {
		t.Fatalf("stderr: %s", errs)
	}
	var r jsonRun
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("exit %d, no JSON report (%v): %q %q", code, err, out, errs)
	}
	if run := r.runTime(); run > bound+waited {
		t.Errorf("the run took %s by its own clock, want at most %s (duration + timeout + 1s) plus %s waiting for a CPU", run, bound, waited)
	}
	e := r.Errors
	if e["timeout"] != r.Timeouts.Late+r.Timeouts.WaitingAtStop+r.Timeouts.Abandoned {
		t.Errorf("errors.timeout %d != late + waiting at stop + abandoned %+v", e["timeout"], r.Timeouts)
	}
	if failed := e["read"] + e["write"] + r.Timeouts.Abandoned + e["goaway"] + e["reset"] + e["protocol"] + e["idle_closed"]; r.Sent != r.Requests+failed+r.InFlight+r.Counts["resent"] {
		t.Errorf("sent %d != requests %d + failed %d + in flight %d + resent %d", r.Sent, r.Requests, failed, r.InFlight, r.Counts["resent"])
	}
	return r, code
}

// runTime is the run's length by its own clock.
func (r *jsonRun) runTime() time.Duration { return time.Duration(r.DurationUs) * time.Microsecond }

// cliEngines are gowrk's engines as its command line picks them, with the
// protocol each speaks: every CLI test that runs per engine runs this one
// list, each row on the engines of its protocol.
var cliEngines = []struct {
	name, proto string
	args        []string
}{
	{"loop", "http/1.1", []string{"--engine", "loop"}},
	{"goroutine", "http/1.1", []string{"--engine", "goroutine"}},
	{"h2c", "h2", []string{"--h2c", "--streams", "4"}},
}

// forEngines runs f on each CLI engine that speaks proto ("": every one),
// as a subtest named after the engine.
func forEngines(t *testing.T, proto string, f func(t *testing.T, args []string)) {
	for _, e := range cliEngines {
		if proto == "" || proto == e.proto {
			t.Run(e.name, func(t *testing.T) { f(t, e.args) })
		}
	}
}

// TestFaultExits: what the command line makes of a failing server: the
// exit code, one line before the run where the run cannot start, the
// report's accounting (faultRun), a message kept for the failures. Which
// class each fault lands in, on every engine, is the conformance suite's
// (loadgen/enginetest, docs/faults.md); these rows are one per outcome the
// CLI words differently.
func TestFaultExits(t *testing.T) {
	h1 := func(b testserver.Behaviour) func(t *testing.T) string {
		return func(t *testing.T) string { return server(t, b).URL() }
	}
	h2 := func(b testserver.H2Behaviour) func(t *testing.T) string {
		return func(t *testing.T) string {
			s, err := testserver.StartH2(b)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(s.Close)
			return s.URL()
		}
	}
	closed := func(t *testing.T) string { return testserver.ClosedPortURL(t) }
	for _, tc := range []struct {
		name   string
		proto  string // "": every engine
		server func(t *testing.T) string
		args   []string
		class  string // the one error class counted ("a|b": a, b allowed too); "": none; "pending": connects pending at the stop
		msg    string // in the class's message, or the one line of a run that stops before it starts
		exit   int
		fatal  bool // one line on stderr before the run, no report
	}{
		{"refused", "", closed, nil, "connect", "connection refused", 1, false},
		{"reset mid-response", "http/1.1", h1(testserver.Behaviour{CutAfter: 20, Linger0: true}), nil, "read", "connection reset by peer", 1, false},
		{"never answers", "http/1.1", h1(testserver.Behaviour{Never: true}), nil, "timeout", "", 1, false},
		{"never answers, abort", "http/1.1", h1(testserver.Behaviour{Never: true}), []string{"--timeout-action", "abort"}, "timeout", "", 1, false},
		{"connection close on every response", "http/1.1", h1(testserver.Behaviour{CloseAfter: true}), nil, "", "", 0, false},
		{"goaway mid-run", "h2", h2(testserver.H2Behaviour{GoAwayAfter: 50}), nil, "", "", 0, false},
		{"rst_stream", "h2", h2(testserver.H2Behaviour{ResetEvery: 3}), nil, "reset", "RST_STREAM", 0, false},
		{"rst_stream storm", "h2", h2(testserver.H2Behaviour{ResetEvery: 1}), nil, "reset", "RST_STREAM INTERNAL_ERROR", 1, false},
		{"max streams 0", "h2", h2(testserver.H2Behaviour{ZeroStreams: true}), nil, "", "allows 0 concurrent streams (SETTINGS_MAX_CONCURRENT_STREAMS=0) and did not raise it within 300ms", 1, true},
		{"max streams 0, -n", "h2", h2(testserver.H2Behaviour{ZeroStreams: true}), []string{"-n", "100"}, "", "SETTINGS_MAX_CONCURRENT_STREAMS=0", 1, true},
		{"never sends SETTINGS", "h2", h2(testserver.H2Behaviour{NoSettings: true}), nil, "", "no SETTINGS frame within 300ms", 1, true},
		// Answers at 500 ms, after the 300 ms timeout: late, not lost.
		{"answers after the timeout", "h2", h2(testserver.H2Behaviour{Delay: 500 * time.Millisecond}), nil, "timeout", "", 0, false},
		{"goaway on every connection", "h2", h2(testserver.H2Behaviour{GoAwayFirst: true}), nil, "connect", "the server sent GOAWAY (NO_ERROR) on a new connection before taking any request", 1, false},
		{"goaway on every connection, -n", "h2", h2(testserver.H2Behaviour{GoAwayFirst: true}), []string{"-n", "100"}, "connect", "the server sent GOAWAY (NO_ERROR)", 1, false},
		// 500 PINGs before each response: slow, so the timeout is long enough for it.
		{"PING flood within the bound", "h2", h2(testserver.H2Behaviour{PingFlood: 500}), []string{"--timeout", "2s"}, "", "", 0, false},
		{"PING flood", "h2", h2(testserver.H2Behaviour{PingFlood: 1 << 20}), nil, "protocol", "more than 1000 PING or SETTINGS frames", 1, false},
		// --h2-window is the CLI's: the suite builds its engines with the default window.
		{"DATA past the stream window", "h2", h2(testserver.H2Behaviour{IgnoreWindow: true}), []string{"--h2-window", "1"}, "protocol", "DATA beyond the stream's flow-control window", 1, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			forEngines(t, tc.proto, func(t *testing.T, eng []string) {
				args := append(append([]string{"-t1", "-c2", "-d", "1s", "--timeout", "300ms", "--connect-timeout", "300ms"}, eng...), tc.args...)
				args = append(args, tc.server(t))
				if tc.fatal {
					// No run, so no run's clock: a hang bound on the wall
					// clock, plus the time spent waiting for a CPU.
					wait, began := testserver.CPUWait(), time.Now()
					code, out, errs := gowrk(t, args...)
					if el := time.Since(began); code != tc.exit || out != "" || !strings.Contains(errs, tc.msg) || strings.Count(strings.TrimSpace(errs), "\n") != 0 || el > 2300*time.Millisecond+wait() {
						t.Errorf("exit %d in %s (%s of it waiting for a CPU), stdout %q, stderr %q; want exit %d and one line saying %q", code, el, wait(), out, errs, tc.exit, tc.msg)
					}
					return
				}
				r, code := faultRun(t, 2300*time.Millisecond, args...)
				if code != tc.exit {
					t.Errorf("exit %d, want %d (errors %+v)", code, tc.exit, r.Errors)
				}
				if tc.class != "" && r.Errors[strings.Split(tc.class, "|")[0]] == 0 && r.MachineBusy > loadgen.MachineBusyShare {
					// The server shares the starved machine: its fault may not
					// have come within the run at all.
					t.Skipf("this machine is too busy (%.0f%% over the run): no %s error within the run: %+v", 100*r.MachineBusy, tc.class, r.Errors)
				}
				faultClass(t, r, tc.class, tc.msg)
				if strings.HasPrefix(tc.name, "goaway on every connection") && !strings.Contains(r.Aborted, "every first connection was refused before it carried a request") {
					t.Errorf("the run was not stopped as refused: aborted %q", r.Aborted)
				}
			})
		})
	}
}

// TestFaultTLSOnPlain: https:// to a plain server (the goroutine engine:
// the loop speaks http:// only): the server waits for the end of a request
// that never comes, so every handshake is still pending at the end, and
// counted there.
func TestFaultTLSOnPlain(t *testing.T) {
	s := server(t, testserver.Behaviour{})
	url := strings.Replace(s.URL(), "http://", "https://", 1)
	r, code := faultRun(t, 2300*time.Millisecond, "-t1", "-c4", "-d", "1s", "--timeout", "300ms", "-k", "--engine", "goroutine", url)
	if code != 1 || r.Pending == 0 {
		t.Errorf("exit %d, connects pending at the stop %d: %+v", code, r.Pending, r)
	}
}

func ptr[T any](v T) *T { return &v }

// TestFaultLargeBody: 1 GiB per response is counted to the byte and read
// through a fixed buffer: the run allocates far less than one body.
func TestFaultLargeBody(t *testing.T) {
	const size = 1 << 30
	s := server(t, testserver.Behaviour{LargeBody: size})
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	r, code := faultRun(t, 60*time.Second, "-t1", "-c1", "-n", "2", "--timeout", "30s", s.URL())
	runtime.ReadMemStats(&after)
	s.Close()
	if code != 0 || r.Requests != 2 {
		t.Fatalf("exit %d, requests %d, errors %+v", code, r.Requests, r.Errors)
	}
	if r.BytesRead != uint64(s.BytesOut.Load()) || r.BytesRead < 2*size {
		t.Errorf("bytes read %d, server wrote %d", r.BytesRead, s.BytesOut.Load())
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 64<<20 {
		t.Errorf("the run allocated %d MiB for 2 GiB of bodies; bodies must not be buffered", alloc>>20)
	}
}

// faultClass asserts that class is the one error class counted (none when
// ""), and that one of its messages says msg, naming no library.
func faultClass(t *testing.T, r jsonRun, class, msg string) {
	t.Helper()
	allowed := strings.Split(class, "|")
	class = allowed[0]
	for c, n := range r.Errors {
		if n != 0 && !slices.Contains(allowed, c) && c != "connect_timeout" {
			t.Errorf("%d %s errors, want only %q: %v", n, c, class, r.ErrorMessages)
		}
	}
	if class == "" {
		if r.Requests == 0 {
			t.Errorf("no request completed: %+v", r)
		}
		return
	}
	if r.Errors[class] == 0 {
		t.Errorf("no %s error counted: %+v", class, r.Errors)
	}
	found := msg == ""
	for _, m := range r.ErrorMessages {
		found = found || (m.Class == class && strings.Contains(m.Message, msg))
		for _, internal := range []string{"x/net", "golang.org", "http2:", "hpack", "HPACK:", "goroutine"} {
			if strings.Contains(m.Message, internal) {
				t.Errorf("message %q shows library internals (%s)", m.Message, internal)
			}
		}
	}
	if !found {
		t.Errorf("no %s message saying %q: %v", class, msg, r.ErrorMessages)
	}
}

// restartable is either test server: both embed the listener that restarts.
type restartable interface {
	URL() string
	Restart(down time.Duration) error
	Accepted() int64
}

// TestFaultServerRestart: the server goes away for 300 ms mid-run and comes
// back on the same port; connections come back and the run carries on, for
// HTTP/1.1 and HTTP/2 alike.
func TestFaultServerRestart(t *testing.T) {
	for _, tc := range []struct {
		name  string
		start func(t *testing.T) restartable
		args  []string
		conns int64 // connections before the restart
	}{
		{"http/1.1", func(t *testing.T) restartable { return server(t, testserver.Behaviour{}) }, nil, 4},
		{"h2c", func(t *testing.T) restartable {
			s, err := testserver.StartH2(testserver.H2Behaviour{})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(s.Close)
			return s
		}, []string{"--h2c", "--streams", "4"}, 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := tc.start(t)
			url := s.URL() // before the restart goroutine rewrites it
			go func() {
				time.Sleep(500 * time.Millisecond)
				if err := s.Restart(300 * time.Millisecond); err != nil {
					t.Error(err)
				}
			}()
			args := append(append([]string{}, tc.args...), "-t1", "-c4", "-d", "2s", url)
			r, code := faultRun(t, 4*time.Second, args...)
			if code != 0 || r.Requests == 0 {
				t.Fatalf("exit %d, requests %d", code, r.Requests)
			}
			if n := s.Accepted(); n < 2*tc.conns {
				t.Errorf("server accepted %d connections; the %d must have come back after the restart", n, tc.conns)
			}
			if r.Errors["connect"]+r.Errors["read"] == 0 {
				t.Errorf("the restart left no error: %+v", r.Errors)
			}
		})
	}
}
