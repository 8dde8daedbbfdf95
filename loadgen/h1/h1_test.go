package h1_test

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gowrk/gowrk/loadgen"
	"github.com/gowrk/gowrk/loadgen/h1"
	"github.com/gowrk/gowrk/loadgen/testserver"
)

// start starts a test server and stops it when the test ends.
var start = testserver.StartT

func config(t *testing.T, rawURL string) loadgen.Config {
	t.Helper()
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	return loadgen.Config{
		Threads: 2, Connections: 4, Duration: 500 * time.Millisecond, Timeout: 2 * time.Second,
		Target: loadgen.Target{URL: u, Method: "GET"},
	}
}

// engines are the HTTP/1.1 engines; every behaviour test runs once per
// engine (forEngines), so a new engine inherits the whole suite.
var engines = []struct {
	name string
	new  func(cfg loadgen.Config) (loadgen.Engine, error)
}{
	{"goroutine", func(cfg loadgen.Config) (loadgen.Engine, error) {
		return h1.New(context.Background(), cfg.Target, cfg.Timeout)
	}},
	{"loop", func(cfg loadgen.Config) (loadgen.Engine, error) {
		return h1.NewLoop(context.Background(), cfg.Target, cfg.Timeout)
	}},
}

// forEngines runs f as a subtest per engine.
func forEngines(t *testing.T, f func(t *testing.T)) {
	for _, e := range engines {
		t.Run(e.name, f)
	}
}

// engineFor builds the engine that the running subtest (TestX/<engine>/...) is for.
func engineFor(t *testing.T, cfg loadgen.Config) loadgen.Engine {
	t.Helper()
	parts := strings.Split(t.Name(), "/")
	for _, e := range engines {
		if len(parts) > 1 && parts[1] == e.name {
			eng, err := e.new(cfg)
			if err != nil {
				t.Fatal(err)
			}
			return eng
		}
	}
	t.Fatalf("%s does not run under forEngines", t.Name())
	return nil
}

func runLoad(t *testing.T, cfg loadgen.Config) *loadgen.Result {
	t.Helper()
	return runEngine(t, engineFor(t, cfg), cfg)
}

// runEngine runs cfg on eng and checks the run's accounting.
func runEngine(t *testing.T, eng loadgen.Engine, cfg loadgen.Config) *loadgen.Result {
	t.Helper()
	res, err := loadgen.Run(context.Background(), cfg, eng)
	if err != nil {
		t.Fatal(err)
	}
	testserver.CheckAccounting(t, res)
	return res
}

// TestCountsMatchServer: what gowrk counts is what the server served, to
// the request and to the byte.
func TestCountsMatchServer(t *testing.T) { forEngines(t, testCountsMatchServer) }

func testCountsMatchServer(t *testing.T) {
	s := start(t, testserver.Behaviour{Body: []byte(strings.Repeat("x", 1000))})
	res := runLoad(t, config(t, s.URL()))
	s.Close() // wait for the server to finish counting
	c := res.Counts
	served := uint64(s.Responses.Load())
	if c.Completed == 0 {
		t.Fatal("no request completed")
	}
	// A response the server wrote may still have been in transit at the stop.
	if served < c.Completed || served > c.Completed+c.InFlight {
		t.Errorf("server wrote %d responses; gowrk completed %d with %d in flight", served, c.Completed, c.InFlight)
	}
	if read := uint64(s.Requests.Load()); read < c.Completed || read > c.Sent {
		t.Errorf("server read %d requests; gowrk sent %d, completed %d", read, c.Sent, c.Completed)
	}
	if c.Errors() != 0 {
		t.Errorf("errors: %+v", c)
	}
	if res.StatusCodes[200] != c.Completed {
		t.Errorf("status 200 = %d, completed %d", res.StatusCodes[200], c.Completed)
	}
	// Bytes: each full response has the same size; in-flight ones may be partial.
	per := uint64(s.BytesOut.Load()) / uint64(served)
	if lo, hi := c.Completed*per, uint64(s.BytesOut.Load()); c.BytesRead < lo || c.BytesRead > hi {
		t.Errorf("bytes read %d, want within [%d, %d]", c.BytesRead, lo, hi)
	}
	if got, want := c.BytesWritten, uint64(s.BytesIn.Load()); got < want {
		t.Errorf("bytes written %d < bytes the server read %d", got, want)
	}
	if res.Latency.TotalCount() != int64(c.Completed) {
		t.Errorf("latency histogram holds %d values, completed %d", res.Latency.TotalCount(), c.Completed)
	}
	if res.ReqRate.TotalCount() == 0 {
		t.Error("no Req/Sec samples")
	}
}

// TestRequestsExact: -n N sends exactly N requests, and the server saw N.
func TestRequestsExact(t *testing.T) { forEngines(t, testRequestsExact) }

func testRequestsExact(t *testing.T) {
	for _, n := range []uint64{1, 7, 1000} {
		s := start(t, testserver.Behaviour{})
		cfg := config(t, s.URL())
		cfg.Duration, cfg.Requests, cfg.Connections = 0, n, 3
		res := runLoad(t, cfg)
		s.Close()
		if res.Counts.Completed != n || uint64(s.Requests.Load()) != n || res.Counts.Sent != n {
			t.Errorf("-n %d: completed %d, sent %d, server counted %d", n, res.Counts.Completed, res.Counts.Sent, s.Requests.Load())
		}
	}
}

// TestStatusCodes: every status is counted, >= 400 also as wrk's status errors.
func TestStatusCodes(t *testing.T) { forEngines(t, testStatusCodes) }

func testStatusCodes(t *testing.T) {
	s := start(t, testserver.Behaviour{StatusFor: func(n int64) int {
		switch n % 4 {
		case 0:
			return 503
		case 1:
			return 404
		case 2:
			return 301
		}
		return 200
	}})
	cfg := config(t, s.URL())
	cfg.Duration, cfg.Requests = 0, 400
	res := runLoad(t, cfg)
	for _, code := range []int{200, 301, 404, 503} {
		if res.StatusCodes[code] != 100 {
			t.Errorf("status %d counted %d times, want 100", code, res.StatusCodes[code])
		}
	}
	if res.Counts.Status != 200 {
		t.Errorf("non-2xx/3xx = %d, want 200", res.Counts.Status)
	}
}

// TestServiceTime: a server with a 10 ms service time gives p50 in [10, 11] ms.
func TestServiceTime(t *testing.T) { forEngines(t, testServiceTime) }

func testServiceTime(t *testing.T) {
	s := start(t, testserver.Behaviour{Delay: 10 * time.Millisecond})
	cfg := config(t, s.URL())
	cfg.Duration = time.Second
	wait := testserver.CPUWait()
	res := runLoad(t, cfg)
	starved := wait()
	p50 := time.Duration(res.Latency.ValueAtQuantile(50)) * time.Microsecond
	st := s.ServiceTimes()
	serverP50 := st[len(st)/2]
	// The upper bound allows for the server's own oversleep on a loaded
	// machine, as the server measured it, plus 1 ms for loopback and parsing.
	hi := max(11*time.Millisecond, serverP50+time.Millisecond)
	if p50 < 10*time.Millisecond {
		t.Errorf("p50 = %s, below the server's 10ms sleep (server measured p50 %s)", p50, serverP50)
	} else if p50 > hi {
		// The client's side of the millisecond is its own wake-up.
		testserver.Judge(t, starved, cfg.Duration, "the client's share of p50")
		t.Errorf("p50 = %s, want within [10ms, %s] (server measured p50 %s)", p50, hi, serverP50)
	}
}

// TestBodies: chunked, HEAD, close-delimited and large bodies are read whole.
func TestBodies(t *testing.T) { forEngines(t, testBodies) }

func testBodies(t *testing.T) {
	big := []byte(strings.Repeat("0123456789", 100_000))
	for _, tc := range []struct {
		name   string
		b      testserver.Behaviour
		method string
	}{
		{"chunked", testserver.Behaviour{Chunked: true, Body: []byte("hello, chunked world")}, "GET"},
		{"head", testserver.Behaviour{Body: []byte("body not sent")}, "HEAD"},
		{"large", testserver.Behaviour{Body: big}, "GET"},
		{"connection-close", testserver.Behaviour{CloseAfter: true}, "GET"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := start(t, tc.b)
			cfg := config(t, s.URL())
			cfg.Duration, cfg.Requests, cfg.Target.Method = 0, 200, tc.method
			res := runLoad(t, cfg)
			s.Close()
			if res.Counts.Completed != 200 || res.Counts.Errors() != 0 {
				t.Fatalf("completed %d, errors %+v, messages %v", res.Counts.Completed, res.Counts, res.ErrorMessages)
			}
			if got, want := res.Counts.BytesRead, uint64(s.BytesOut.Load()); got != want {
				t.Errorf("bytes read %d, server wrote %d", got, want)
			}
			if tc.b.CloseAfter && s.Conns.Load() < 200 {
				t.Errorf("server saw %d connections; a close after every response needs 200", s.Conns.Load())
			}
		})
	}
}

// TestErrors: each failure lands in its class, and the run ends on time.
// (A reset before any response is the conformance suite's: enginetest's
// rows "reset on accept" and "reset after the request is read".)
func TestErrors(t *testing.T) { forEngines(t, testErrors) }

func testErrors(t *testing.T) {
	for _, tc := range []struct {
		name   string
		b      *testserver.Behaviour
		action loadgen.TimeoutAction
		check  func(t *testing.T, c loadgen.Counts)
	}{
		{"connect", nil, loadgen.TimeoutWait, func(t *testing.T, c loadgen.Counts) {
			// Every first dial is refused: the run stops after one dial
			// per connection (4) and, on the goroutine engine, the run's
			// own first one.
			if c.Connect < 4 || c.Connect > 5 || c.Sent != 0 || c.Completed != 0 {
				t.Errorf("want 4 or 5 connect errors: %+v", c)
			}
		}},
		{"timeout, waiting", &testserver.Behaviour{Never: true}, loadgen.TimeoutWait, func(t *testing.T, c loadgen.Counts) {
			// 4 connections each wait for their first response until the
			// end of the run: 4 in flight, all past the timeout, none abandoned.
			if c.Timeout != 0 || c.Sent != 4 || c.InFlight != 4 || c.LateInFlight != 4 || c.TimedOut() != 4 {
				t.Errorf("want 4 requests waiting past their timeout: %+v", c)
			}
		}},
		{"timeout, abort", &testserver.Behaviour{Never: true}, loadgen.TimeoutAbort, func(t *testing.T, c loadgen.Counts) {
			// -n 12 over 4 connections, 300 ms timeout: each of the 12
			// requests is abandoned at its timeout and the connection
			// redialled; the run ends when the twelfth is, however slowly
			// the machine lets the timers fire.
			if c.Timeout != 12 || c.Sent != 12 || c.Completed != 0 || c.InFlight != 0 {
				t.Errorf("want 12 timeouts and none in flight: %+v", c)
			}
			if c.LatencyExcluded != c.Timeout {
				t.Errorf("latency excluded %d, timeouts %d", c.LatencyExcluded, c.Timeout)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			target := testserver.ClosedPortURL(t)
			if tc.b != nil {
				target = start(t, *tc.b).URL()
			}
			cfg := config(t, target)
			cfg.Duration, cfg.Timeout, cfg.TimeoutAction = time.Second, 300*time.Millisecond, tc.action
			bound := cfg.Duration + cfg.Timeout + time.Second
			if tc.action == loadgen.TimeoutAbort {
				// Counted, not timed: the run ends after its twelfth timeout.
				cfg.Duration, cfg.Requests = 0, 12
				bound = 4*cfg.Timeout + time.Second
			}
			offCPU := testserver.OffCPU()
			res := runLoad(t, cfg)
			// A hang bound on the run's own clock, plus the time the
			// machine's load kept the process off the CPU.
			if starved := testserver.OffCPU() - offCPU; res.Duration > bound+max(starved, 0) {
				t.Errorf("run took %s by its own clock, want at most %s plus %s off the CPU", res.Duration, bound, starved)
			}
			tc.check(t, res.Counts)
			if len(res.ErrorMessages) == 0 && tc.name != "timeout, waiting" {
				t.Error("no error message kept")
			}
		})
	}
}

// TestInterrupt: cancelling the context stops the run at once; requests
// in progress are counted in flight.
func TestInterrupt(t *testing.T) { forEngines(t, testInterrupt) }

func testInterrupt(t *testing.T) {
	s := start(t, testserver.Behaviour{Never: true})
	cfg := config(t, s.URL())
	cfg.Duration, cfg.Timeout = 30*time.Second, 30*time.Second
	eng := engineFor(t, cfg)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	began := time.Now()
	res, err := loadgen.Run(ctx, cfg, eng)
	if err != nil {
		t.Fatal(err)
	}
	if el := time.Since(began); el > 5*time.Second {
		t.Errorf("interrupted run took %s", el)
	}
	testserver.CheckAccounting(t, res)
	if !res.Interrupted || res.Counts.InFlight != 4 {
		t.Errorf("interrupted %v, in flight %d (want 4)", res.Interrupted, res.Counts.InFlight)
	}
}

func TestBuildRequest(t *testing.T) {
	u, _ := url.Parse("http://[::1]:8080/p?q=1")
	b, err := h1.BuildRequest(loadgen.Target{URL: u, Method: "POST", Body: []byte("abc"),
		Headers: []loadgen.Header{{Name: "Host", Value: "example.test"}, {Name: "x-custom", Value: "v"}}})
	if err != nil {
		t.Fatal(err)
	}
	got := string(b)
	for _, want := range []string{"POST /p?q=1 HTTP/1.1\r\n", "Host: example.test\r\n", "x-custom: v\r\n", "Content-Length: 3\r\n", "\r\n\r\nabc"} {
		if !strings.Contains(got, want) {
			t.Errorf("request %q lacks %q", got, want)
		}
	}
}
