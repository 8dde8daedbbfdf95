package cli

// Truth under overload: each test points gowrk at a server whose capacity,
// service time or idle timeout is known, and checks gowrk's figures against
// what the server itself counted.

import (
	"crypto/tls"
	"encoding/json"
	"io"
	"log"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gowrk/gowrk/loadgen"
	"github.com/gowrk/gowrk/loadgen/testserver"
	"github.com/gowrk/gowrk/serve"
)

// startServe starts the built-in target with cfg on a free loopback port.
func startServe(t *testing.T, cfg serve.Config) *serve.Server {
	t.Helper()
	cfg.Addr = "127.0.0.1:0"
	s, err := serve.Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func delay(t *testing.T, spec string) serve.Delay {
	t.Helper()
	d, err := serve.ParseDelay(spec)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TestBoundedPool: a server with 4 first-come-first-served workers and a
// 50 ms service time serves 80 requests/s whatever the load; 40
// connections make every request wait about 500 ms in its queue, past the
// 200 ms timeout. gowrk must report the pool's rate and what the server
// delivered. With --timeout-action abort the server keeps serving the
// abandoned requests, so gowrk's completions collapse: the report says why.
func TestBoundedPool(t *testing.T) {
	const capacity = 80.0 // 4 workers / 50 ms
	t.Run("wait", func(t *testing.T) {
		s := startServe(t, serve.Config{Workers: 4, Delay: delay(t, "50ms")})
		r, code := faultRun(t, 6*time.Second, "-t2", "-c40", "-d", "3s", "--timeout", "200ms", "http://"+s.Addr()+"/")
		s.Close()
		st := s.Stats()
		if code != 0 {
			t.Fatalf("exit %d", code)
		}
		// Every response the server wrote was read by gowrk, or cut off by
		// the stop while on its way.
		if st.Responses < int64(r.Requests) || st.Responses > int64(r.Requests+r.InFlight) {
			t.Errorf("server wrote %d responses; gowrk completed %d with %d in flight", st.Responses, r.Requests, r.InFlight)
		}
		// The pool's rate: never above what 4 workers of 50 ms can serve;
		// at least half of it (on a starved machine the workers' sleeps
		// overrun, and the pool serves less; the truth above is the
		// server's own count).
		if got := float64(r.Requests) / 3; got < 0.5*capacity || got > 1.05*capacity {
			t.Errorf("gowrk completed %.1f requests/s, the pool serves %.0f", got, capacity)
		}
		if r.Timeouts.Late == 0 || r.Timeouts.Abandoned != 0 {
			t.Errorf("timeouts %+v: want late answers and none abandoned", r.Timeouts)
		}
	})
	t.Run("abort", func(t *testing.T) {
		s := startServe(t, serve.Config{Workers: 4, Delay: delay(t, "50ms")})
		code, out, errs := gowrk(t, "-t2", "-c40", "-d", "3s", "--timeout", "200ms", "--timeout-action", "abort", "http://"+s.Addr()+"/")
		s.Close()
		st := s.Stats()
		// The server stayed busy at its capacity, on abandoned work.
		if float64(st.Responses) < 0.8*capacity*3 {
			t.Errorf("server wrote %d responses in 3 s; its pool serves %.0f/s", st.Responses, capacity)
		}
		if !strings.Contains(out, "were abandoned (--timeout-action abort)") || !strings.Contains(out, "kept serving the abandoned requests") {
			t.Errorf("exit %d, report does not explain the collapse:\n%s%s", code, out, errs)
		}
	})
}

// TestIdleCloseReconnects: a server that closes keep-alive connections
// idle for 100 ms, and a rate that leaves them idle longer: every request
// after a connection's first would meet a closed connection. None is an
// error; each closed connection is replaced (the loop engine sees the close
// while idle, the goroutine engine when its request meets it, and sends the
// request again) and counted as a reconnect. A POST is never sent twice:
// the goroutine engine counts those that met a closed connection as
// idle_closed, and the server saw exactly what gowrk completed.
func TestIdleCloseReconnects(t *testing.T) {
	forEngines(t, "http/1.1", func(t *testing.T, eng []string) {
		s := server(t, testserver.Behaviour{IdleClose: 100 * time.Millisecond})
		r, code := faultRun(t, 4*time.Second, append(eng, "-t1", "-c2", "-d", "2s", "-R", "5", s.URL())...)
		if code != 0 || r.Errors["read"]+r.Errors["write"] != 0 || r.Reconnects == 0 {
			t.Errorf("exit %d, errors %+v, reconnects %d", code, r.Errors, r.Reconnects)
		}
		if got := s.Responses.Load(); got != int64(r.Requests) || r.Requests < 9 {
			t.Errorf("server answered %d, gowrk completed %d (want 10 at 5/s for 2 s)", got, r.Requests)
		}
		before := s.Requests.Load()
		r, _ = faultRun(t, 4*time.Second, append(eng, "-t1", "-c1", "-d", "2s", "-R", "3", "-b", "x=1", s.URL())...)
		if r.Errors["read"]+r.Errors["write"] != 0 || (slices.Contains(eng, "goroutine") && r.Errors["idle_closed"] == 0) {
			t.Errorf("POST: errors %+v, reconnects %d", r.Errors, r.Reconnects)
		}
		if got := s.Requests.Load() - before; got != int64(r.Requests+r.InFlight) {
			t.Errorf("POST: the server read %d requests, gowrk completed %d with %d in flight: a POST was sent twice or lost", got, r.Requests, r.InFlight)
		}
	})
}

// TestRateVerdictOverload: -R against an endpoint with a 1 s service time
// that keeps up gets no shortfall verdict, though the last second's
// requests are in flight at the stop; against a pool that serves 20/s, a
// 60/s schedule gets the verdict.
func TestRateVerdictOverload(t *testing.T) {
	s := startServe(t, serve.Config{Delay: delay(t, "1s")})
	code, out, errs := gowrk(t, "-t2", "-c100", "-d", "3s", "-R", "30", "--timeout", "5s", "-f", "json", "http://"+s.Addr()+"/")
	var rep struct {
		Rate struct {
			Verdict string `json:"verdict"`
		} `json:"rate"`
		MachineBusy float64 `json:"machine_cpu_busy"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil || code != 0 {
		t.Fatalf("1 s endpoint that keeps up: exit %d, %v\n%s%s", code, err, out, errs)
	}
	// A verdict on a machine whose CPUs were all busy (the tests beside
	// this one) may be true of that machine; on a quiet one there is none.
	if rep.Rate.Verdict != "" && rep.MachineBusy < loadgen.MachineBusyShare {
		t.Errorf("1 s endpoint that keeps up: verdict %q (machine %.0f%% busy)", rep.Rate.Verdict, 100*rep.MachineBusy)
	}
	code, out, errs = gowrk(t, "-t2", "-c100", "-d", "3s", "-R", "30", "--timeout", "5s", "http://"+s.Addr()+"/")
	if code != 0 || !strings.Contains(out, "Rate: target 30/s, achieved ") {
		t.Errorf("no rate line: exit %d\n%s%s", code, out, errs)
	}
	slow := startServe(t, serve.Config{Workers: 2, Delay: delay(t, "100ms")})
	code, out, errs = gowrk(t, "-t2", "-c200", "-d", "3s", "-R", "60", "--timeout", "5s", "http://"+slow.Addr()+"/")
	if code != 0 || !strings.Contains(out, "the server could not keep up") {
		t.Errorf("20/s pool at 60/s: exit %d\n%s%s", code, out, errs)
	}
}

// TestHTTP2OnlyServer: HTTP/1.1 against a TLS server that offers only h2
// in ALPN stops at the first handshake with one line naming --http2.
func TestHTTP2OnlyServer(t *testing.T) {
	cfg, _, err := serve.SelfSigned()
	if err != nil {
		t.Fatal(err)
	}
	var handshakes atomic.Int64
	cfg.NextProtos = []string{"h2"} // as fastify with http2: true, or nghttpd
	cfg.GetConfigForClient = func(*tls.ClientHelloInfo) (*tls.Config, error) { handshakes.Add(1); return nil, nil }
	ln, err := tls.Listen("tcp", "127.0.0.1:0", cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}), ErrorLog: log.New(io.Discard, "", 0), Protocols: new(http.Protocols)}
	srv.Protocols.SetHTTP2(true)
	go srv.Serve(ln)
	defer srv.Close()
	url := "https://" + ln.Addr().String() + "/"
	code, out, errs := gowrk(t, "-k", "-t1", "-c10", "-d", "2s", url)
	if code != 1 || out != "" || !strings.Contains(errs, "speaks only HTTP/2 over TLS") || !strings.Contains(errs, "add --http2") || strings.Count(errs, "\n") != 1 {
		t.Errorf("exit %d, stdout %q, stderr %q", code, out, errs)
	}
	if n := handshakes.Load(); n > 2 {
		t.Errorf("%d handshakes; the first refusal must stop the run", n)
	}
	// With --http2 the same server serves the run.
	if code, out, errs := gowrk(t, "-k", "--http2", "-t1", "-c2", "-n", "50", url); code != 0 || !strings.Contains(out, "50 requests in") {
		t.Errorf("--http2: exit %d, %s%s", code, out, errs)
	}
}

// TestHTTPToHTTPSPort: http:// to Go's HTTPS server, which answers plain
// HTTP with a 400: the run says every response was 400 and why.
func TestHTTPToHTTPSPort(t *testing.T) {
	cfg, _, err := serve.SelfSigned()
	if err != nil {
		t.Fatal(err)
	}
	s := startServe(t, serve.Config{TLS: cfg})
	code, _, errs := gowrk(t, "-t1", "-c1", "-n", "5", "http://"+s.Addr()+"/")
	if code != 0 || !strings.Contains(errs, "every one of the 5 responses had a status of 400") || !strings.Contains(errs, "try https://") {
		t.Errorf("exit %d, stderr %q", code, errs)
	}
}

// TestOtherProtocolAnswers: a response that is a TLS alert or HTTP/2
// frames stops the run with the fix, after one request per connection.
func TestOtherProtocolAnswers(t *testing.T) {
	for _, tc := range []struct {
		name, raw, want string
	}{
		{"TLS alert", "\x15\x03\x01\x00\x02\x02\x46", "use an https:// URL"},
		{"HTTP/2 SETTINGS", "\x00\x00\x00\x04\x00\x00\x00\x00\x00\x00\x00\x08\x07\x00\x00\x00\x00\x00", "add --http2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := server(t, testserver.Behaviour{Raw: []byte(tc.raw), CutAfter: len(tc.raw)})
			r, code := faultRun(t, 3*time.Second, "-t1", "-c4", "-d", "2s", s.URL())
			if code != 1 || !strings.Contains(r.Aborted, tc.want) || s.Requests.Load() > 8 {
				t.Errorf("exit %d, aborted %q, server saw %d requests", code, r.Aborted, s.Requests.Load())
			}
		})
	}
}

// TestIntervalsCensored: a closed loop of 5 connections on one 100 ms
// worker ends with its requests still waiting (one served, the others
// queued). The requests due that never completed are counted in the
// report's latency over every due request and, at the stop, in the last
// interval's: the intervals' censored add up to the run's, which is the
// run's in flight at the stop; every interval's count over every due
// request is its completed plus its censored; the server received the
// completed and the censored.
func TestIntervalsCensored(t *testing.T) {
	s := startServe(t, serve.Config{Workers: 1, Delay: delay(t, "100ms")})
	code, out, errs := gowrk(t, "-t1", "-c5", "-d1s", "--interval", "250ms", "-f", "json", "http://"+s.Addr()+"/")
	type due struct {
		Count    int64 `json:"count"`
		Censored int64 `json:"censored"`
	}
	var r struct {
		Requests  int64 `json:"requests"`
		InFlight  int64 `json:"in_flight_at_stop"`
		Due       due   `json:"latency_all_due"`
		Intervals []struct {
			Latency struct {
				Count int64 `json:"count"`
			} `json:"latency"`
			Due due `json:"latency_all_due"`
		} `json:"intervals"`
	}
	if err := json.Unmarshal([]byte(out), &r); err != nil || code != 0 {
		t.Fatalf("exit %d, %v: %s", code, err, errs)
	}
	var censored int64
	for i, iv := range r.Intervals {
		censored += iv.Due.Censored
		if iv.Due.Count != iv.Latency.Count+iv.Due.Censored {
			t.Errorf("interval %d: %d due, %d completed + %d censored", i, iv.Due.Count, iv.Latency.Count, iv.Due.Censored)
		}
	}
	if r.InFlight == 0 || r.Due.Censored != r.InFlight || censored != r.Due.Censored || r.Due.Count != r.Requests+r.InFlight {
		t.Errorf("in flight %d; censored %d in the run, %d in its intervals; %d due for %d completed", r.InFlight, r.Due.Censored, censored, r.Due.Count, r.Requests)
	}
	// The server reads the last requests sent a moment later on a loaded
	// machine: wait for its count (a bound on a hang, not a measure).
	got := s.Stats().Requests
	for deadline := time.Now().Add(5 * time.Second); got != r.Requests+r.InFlight && time.Now().Before(deadline); got = s.Stats().Requests {
		time.Sleep(10 * time.Millisecond)
	}
	if got != r.Requests+r.InFlight {
		t.Errorf("the server received %d; gowrk completed %d and left %d in flight", got, r.Requests, r.InFlight)
	}
}
