package enginetest

import (
	"context"
	"crypto/tls"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gowrk/gowrk/loadgen"
	h1wire "github.com/gowrk/gowrk/loadgen/h1"
	"github.com/gowrk/gowrk/loadgen/testserver"
	"github.com/quic-go/quic-go"
	"github.com/quic-go/quic-go/http3"
)

// The suite's row for many targets (Config.Targets): -n TargetsN requests
// over two targets weighted 3:1, on every engine as it speaks its
// protocol; the server's count of each path must be exactly the target's
// share, and the run's per-target figures the server's count.
const TargetsN = 200

// RunTargets runs the many-targets row on every engine but the transport
// variants (Via: the row is about the request source, not the route).
func RunTargets(t *testing.T, engines []Engine) { runEach(t, engines, runTargets) }

// runEach runs row on every engine but the transport variants (Via), each
// as a subtest named by the engine.
func runEach(t *testing.T, engines []Engine, row func(*testing.T, *env)) {
	ca, leaf := testserver.LoopbackCert(t)
	for _, e := range engines {
		if e.Via != "" {
			continue
		}
		t.Run(e.Name, func(t *testing.T) { row(t, newEnv(e, ca, leaf)) })
	}
}

// pathCounts is a handler that counts its requests by path, and answers
// 200 to /a and 201 to /b (so that status codes tell the targets apart).
type pathCounts struct {
	mu sync.Mutex
	n  map[string]int
}

func (p *pathCounts) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	p.n[r.URL.Path]++
	p.mu.Unlock()
	if r.URL.Path == "/b" {
		w.WriteHeader(http.StatusCreated)
	}
	w.Write([]byte("ok"))
}

func (p *pathCounts) count(path string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.n[path]
}

func runTargets(t *testing.T, en *env) {
	pc := &pathCounts{n: map[string]int{}}
	base := serveCounting(t, en, pc)
	weights := map[string]uint32{"/a": 3, "/b": 1}
	var names []string
	var wire [][]byte
	var ws []uint32
	for _, p := range []string{"/a", "/b"} {
		u, _ := url.Parse(base + p)
		w, err := h1wire.BuildRequest(loadgen.Target{URL: u, Method: "GET"})
		if err != nil {
			t.Fatal(err)
		}
		names, wire, ws = append(names, "GET "+p), append(wire, w), append(ws, weights[p])
	}
	targets, err := loadgen.NewTargets(names, wire, ws, loadgen.OrderWeighted, 0)
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(base + "/a")
	cfg := loadgen.Config{Threads: 1, Connections: Conns, Requests: TargetsN, Timeout: 5 * time.Second,
		ConnectTimeout: 5 * time.Second, Engine: en.eng.Name, Targets: targets,
		Target: loadgen.Target{URL: u, Method: "GET", TLS: en.clientTLS()}}
	if en.eng.Proto == HTTP2 || en.eng.Proto == HTTP3 {
		cfg.Streams = Streams
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := run(ctx, en.eng, cfg)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if res.Counts.Completed != TargetsN || res.Counts.Errors() != 0 {
		t.Fatalf("%d completed and %d errors (%v); want %d answered", res.Counts.Completed, res.Counts.Errors(), res.ErrorMessages, TargetsN)
	}
	for i, want := range []struct {
		path   string
		n      int
		status int
	}{{"/a", TargetsN * 3 / 4, 200}, {"/b", TargetsN / 4, 201}} {
		f := res.Targets[i]
		if got := pc.count(want.path); got != want.n || int(f.Completed) != want.n || int(f.StatusCodes[want.status]) != want.n {
			t.Errorf("%s: the server counted %d, the run %d (%d of status %d); want %d", want.path, got, f.Completed, f.StatusCodes[want.status], want.status, want.n)
		}
	}
}

// serveCounting serves pc over the engine's protocol (and TLS) and returns
// the base URL.
func serveCounting(t *testing.T, en *env, pc *pathCounts) string {
	base, _ := serveHandler(t, en, pc, 0)
	return base
}

// serveHandler serves h over the engine's protocol (and TLS, each
// handshake accepted only after tlsDelay) and returns the base URL and
// the server's count of the connections it accepted (QUIC: handshaken).
func serveHandler(t *testing.T, en *env, h http.Handler, tlsDelay time.Duration) (string, func() int64) {
	var accepted atomic.Int64
	var cfg *tls.Config
	if en.tls != nil {
		cfg = en.tls.Clone()
		if tlsDelay > 0 {
			cfg.GetConfigForClient = func(*tls.ClientHelloInfo) (*tls.Config, error) {
				time.Sleep(tlsDelay) // the server takes this long to answer the ClientHello
				return nil, nil
			}
		}
	}
	if en.eng.Proto == HTTP3 {
		udp, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		srv := &http3.Server{Handler: h, TLSConfig: http3.ConfigureTLSConfig(cfg),
			ConnContext: func(ctx context.Context, _ *quic.Conn) context.Context { accepted.Add(1); return ctx }}
		go srv.Serve(udp)
		t.Cleanup(func() { srv.Close(); udp.Close() })
		return "https://" + udp.LocalAddr().String(), accepted.Load
	}
	srv := httptest.NewUnstartedServer(h)
	t.Cleanup(srv.Close)
	srv.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			accepted.Add(1)
		}
	}
	if en.eng.Proto == HTTP2 {
		srv.Config.Protocols = new(http.Protocols)
		srv.Config.Protocols.SetHTTP2(true)
		srv.Config.Protocols.SetUnencryptedHTTP2(!en.eng.TLS)
		srv.Config.Protocols.SetHTTP1(en.eng.TLS)
		srv.EnableHTTP2 = true
	}
	if cfg == nil {
		srv.Start()
	} else {
		srv.TLS = cfg
		srv.StartTLS()
	}
	return srv.URL, accepted.Load
}
