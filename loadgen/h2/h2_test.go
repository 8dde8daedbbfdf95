package h2_test

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gowrk/gowrk/loadgen"
	"github.com/gowrk/gowrk/loadgen/h2"
	"github.com/gowrk/gowrk/loadgen/testserver"
)

// countingHandler counts requests, connections and the most requests in
// progress at once: the truth for -c and --streams.
type countingHandler struct {
	delay              time.Duration
	requests, inFlight atomic.Int64
	mu                 sync.Mutex
	maxInFlight        int64
	conns              atomic.Int64
}

func (h *countingHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.requests.Add(1)
	n := h.inFlight.Add(1)
	h.mu.Lock()
	h.maxInFlight = max(h.maxInFlight, n)
	h.mu.Unlock()
	time.Sleep(h.delay)
	h.inFlight.Add(-1)
	w.Write([]byte("hello"))
}

func (h *countingHandler) connState(_ net.Conn, st http.ConnState) {
	if st == http.StateNew {
		h.conns.Add(1)
	}
}

// startH2C starts an in-process h2c server (net/http with unencrypted HTTP/2).
func startH2C(t *testing.T, h *countingHandler) string {
	t.Helper()
	srv := &http.Server{Handler: h, ConnState: h.connState, Protocols: new(http.Protocols)}
	srv.Protocols.SetHTTP1(true)
	srv.Protocols.SetUnencryptedHTTP2(true)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return "http://" + ln.Addr().String() + "/"
}

// startTLS starts an httptest TLS server, with HTTP/2 unless h1only.
func startTLS(t *testing.T, h *countingHandler, h1only bool) *httptest.Server {
	t.Helper()
	ts := httptest.NewUnstartedServer(h)
	ts.Config.ConnState = h.connState
	ts.Config.ErrorLog = log.New(io.Discard, "", 0) // refused handshakes are expected
	ts.EnableHTTP2 = !h1only
	if h1only {
		ts.TLS = &tls.Config{NextProtos: []string{"http/1.1"}}
	}
	ts.StartTLS()
	t.Cleanup(ts.Close)
	return ts
}

func config(t *testing.T, rawURL string) loadgen.Config {
	t.Helper()
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	return loadgen.Config{Threads: 2, Connections: 3, Streams: 4, Duration: time.Second, Timeout: 2 * time.Second,
		Target: loadgen.Target{URL: u, Method: "GET"}}
}

func run(t *testing.T, cfg loadgen.Config) (*loadgen.Result, error) {
	t.Helper()
	return runWith(t, cfg, h2.Options{DialTimeout: cfg.Timeout})
}

// startRaw starts the raw HTTP/2 server with behaviour b for the test.
func startRaw(t *testing.T, b testserver.H2Behaviour) *testserver.H2Server {
	t.Helper()
	s, err := testserver.StartH2(b)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

func trust(ts *httptest.Server) *tls.Config {
	pool := x509.NewCertPool()
	pool.AddCert(ts.Certificate())
	return &tls.Config{RootCAs: pool}
}

// TestConnectionsAndStreams: exactly -c connections, connections x streams
// requests in flight at once, and -n exact, over h2c and over TLS.
func TestConnectionsAndStreams(t *testing.T) {
	for _, tc := range []struct{ name, proto string }{{"h2c", "h2c"}, {"tls", "h2"}} {
		t.Run(tc.name, func(t *testing.T) {
			h := &countingHandler{delay: 20 * time.Millisecond}
			var cfg loadgen.Config
			if tc.name == "h2c" {
				cfg = config(t, startH2C(t, h))
			} else {
				ts := startTLS(t, h, false)
				cfg = config(t, ts.URL+"/")
				cfg.Target.TLS = trust(ts)
			}
			cfg.Duration, cfg.Requests = 0, 600
			res, err := run(t, cfg)
			if err != nil {
				t.Fatal(err)
			}
			if res.Counts.Completed != 600 || h.requests.Load() != 600 || res.Counts.Errors() != 0 {
				t.Errorf("completed %d, server counted %d, errors %+v", res.Counts.Completed, h.requests.Load(), res.Counts)
			}
			if n := h.conns.Load(); n != 3 {
				t.Errorf("server saw %d connections, want exactly 3", n)
			}
			if h.maxInFlight != 12 {
				t.Errorf("at most %d requests were in flight at once, want 3 x 4 = 12", h.maxInFlight)
			}
			if res.Conn.Protocol != tc.proto || (tc.proto == "h2") != (res.Conn.TLSVersion != "") {
				t.Errorf("conn info %+v, want protocol %s", res.Conn, tc.proto)
			}
			if res.Counts.BytesRead == 0 || res.Counts.BytesWritten == 0 {
				t.Errorf("bytes read %d, written %d", res.Counts.BytesRead, res.Counts.BytesWritten)
			}
		})
	}
}

// TestRefusals: what cannot work stops the run before it starts, with a
// message that says why and what to change.
func TestRefusals(t *testing.T) {
	h := &countingHandler{}
	h2ts := startTLS(t, h, false)
	h1ts := startTLS(t, h, true)
	h1c := httptest.NewServer(h)
	t.Cleanup(h1c.Close)
	for _, tc := range []struct {
		name string
		url  string
		tls  *tls.Config
		want string
		fix  loadgen.Fix
	}{
		{"untrusted", h2ts.URL + "/", nil, "not trusted", loadgen.FixTrust},
		{"wrong sni", h2ts.URL + "/", func() *tls.Config { c := trust(h2ts); c.ServerName = "wrong.test"; return c }(), "not wrong.test", loadgen.FixSNI},
		{"tls http/1.1 only", h1ts.URL + "/", trust(h1ts), "did not negotiate HTTP/2", loadgen.FixDropHTTP2},
		{"cleartext http/1.1 only", h1c.URL + "/", nil, "does not speak HTTP/2 over cleartext", loadgen.FixDropH2C},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := config(t, tc.url)
			cfg.Target.TLS = tc.tls
			// The first dial is bounded by the run's length: room for a
			// TLS handshake under the race detector on a loaded machine
			// (a refusal ends the run at once, whatever -d says).
			cfg.Duration = 5 * time.Second
			_, err := run(t, cfg)
			var fatal *loadgen.FatalError
			if !errors.As(err, &fatal) || !strings.Contains(err.Error(), tc.want) || fatal.Fix != tc.fix || strings.Contains(err.Error(), "--") {
				t.Errorf("Run error %v, want a FatalError containing %q, no flag, and fix %d", err, tc.want, tc.fix)
			}
		})
	}
}

// TestGoAway: a server that sends GOAWAY after 10 streams per connection;
// gowrk reconnects and carries on, losing nothing.
func TestGoAway(t *testing.T) {
	s := startRaw(t, testserver.H2Behaviour{GoAwayAfter: 10})
	cfg := config(t, s.URL())
	cfg.Duration, cfg.Requests, cfg.Streams = 0, 300, 1
	res, err := run(t, cfg)
	if err != nil {
		t.Fatal(err)
	}
	// The server counts a stream after writing its response, so its count
	// may trail the client's by the last response for a moment.
	for deadline := time.Now().Add(time.Second); s.Answered.Load() < 300 && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond)
	}
	if res.Counts.Completed != 300 || res.Counts.Errors() != 0 || s.Answered.Load() != 300 {
		t.Errorf("completed %d, server answered %d, counts %+v, messages %v", res.Counts.Completed, s.Answered.Load(), res.Counts, res.ErrorMessages)
	}
	if s.Conns.Load() < 30 {
		t.Errorf("server saw %d connections; GOAWAY every 10 streams needs 30", s.Conns.Load())
	}
}

// TestStreamResets: RST_STREAM lands in the reset class and leaves the
// connection up.
func TestStreamResets(t *testing.T) {
	s := startRaw(t, testserver.H2Behaviour{ResetEvery: 4})
	cfg := config(t, s.URL())
	cfg.Duration, cfg.Requests = 0, 400
	res, err := run(t, cfg)
	if err != nil {
		t.Fatal(err)
	}
	c := res.Counts
	if c.Reset != 100 || c.Completed != 300 || c.Reset != uint64(s.Resets.Load()) {
		t.Errorf("resets %d (server sent %d), completed %d; want 100 and 300", c.Reset, s.Resets.Load(), c.Completed)
	}
	if n := s.Conns.Load(); n != 3 {
		t.Errorf("server saw %d connections; resets must not close them", n)
	}
}

// TestMaxConcurrentStreams: a server allowing 2 streams per connection caps
// concurrency below --streams; requests wait for a slot and nothing fails.
func TestMaxConcurrentStreams(t *testing.T) {
	s := startRaw(t, testserver.H2Behaviour{MaxStreams: 2})
	cfg := config(t, s.URL())
	cfg.Duration, cfg.Requests, cfg.Streams = 0, 200, 8
	res, err := run(t, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if res.Counts.Completed != 200 || res.Counts.Errors() != 0 {
		t.Errorf("counts %+v, messages %v", res.Counts, res.ErrorMessages)
	}
	if f := res.Findings(); res.Conn.MaxStreams != 2 || len(f) == 0 || f[0].Kind != loadgen.StreamsLimited || f[0].Limit != 2 {
		t.Errorf("max streams %d, findings %+v", res.Conn.MaxStreams, f)
	}
}

// TestConstantRate: -R with streams holds the rate, as the server counts it
// over the run's own window (testserver.CheckRate: not the wall clock).
func TestConstantRate(t *testing.T) {
	h := &countingHandler{}
	cfg := config(t, startH2C(t, h))
	cfg.Rate, cfg.Duration = 500, 2*time.Second
	offCPU := testserver.OffCPU()
	res, err := run(t, cfg)
	if err != nil {
		t.Fatal(err)
	}
	testserver.CheckRate(t, res, 1000, h.requests.Load(), offCPU)
	if res.Service.TotalCount() == 0 || res.SendLag.TotalCount() == 0 {
		t.Error("no service time or send lag recorded")
	}
}

// TestTimeoutAndInterrupt: a stalled stream times out without taking its
// connection down, and the end of the run leaves nothing unaccounted.
func TestTimeoutAndInterrupt(t *testing.T) {
	for _, action := range []loadgen.TimeoutAction{loadgen.TimeoutAbort, loadgen.TimeoutWait} {
		t.Run(action.String(), func(t *testing.T) {
			h := &countingHandler{delay: 700 * time.Millisecond}
			cfg := config(t, startH2C(t, h))
			cfg.Timeout, cfg.Duration, cfg.Connections, cfg.Threads = 300*time.Millisecond, time.Second, 1, 1
			cfg.TimeoutAction = action
			began := time.Now()
			res, err := run(t, cfg)
			if err != nil {
				t.Fatal(err)
			}
			if el := time.Since(began); el > cfg.Duration+cfg.Timeout+3*time.Second { // a hang bound
				t.Errorf("run took %s", el)
			}
			c := res.Counts
			switch action {
			case loadgen.TimeoutAbort:
				if c.Timeout < 4 || c.Completed != 0 {
					t.Errorf("abort: want every stream abandoned: %+v", c)
				}
			case loadgen.TimeoutWait:
				// Each stream's first response comes at 700 ms, late; the
				// second is in flight at the stop.
				if c.Timeout != 0 || c.Completed == 0 || c.Late != c.Completed || c.Sent != c.Completed+c.InFlight {
					t.Errorf("wait: want late answers and none abandoned: %+v", c)
				}
			}
			if n := h.conns.Load(); n != 1 {
				t.Errorf("server saw %d connections; a stream timeout must not close the connection", n)
			}
		})
	}
}
