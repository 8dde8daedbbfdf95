package enginetest

import (
	"context"
	"net/http"
	"net/url"
	"testing"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
	"github.com/gowrk/gowrk/loadgen"
	"github.com/gowrk/gowrk/loadgen/testserver"
)

// The suite's row for the phases of a request: a server that accepts each
// TLS (or QUIC) handshake only PhaseTLSDelay after the ClientHello, and
// answers each request's head PhaseFirstDelay after it came, then its
// body PhaseBodyDelay later. Every engine runs -n PhaseN; each phase must
// be at least its delay and at most the delay plus PhaseSlack plus the
// time the process waited for a CPU, and the connections behind the
// connect and handshake figures must be the server's count of the
// connections it accepted.
const (
	PhaseTLSDelay   = 40 * time.Millisecond
	PhaseFirstDelay = 30 * time.Millisecond
	PhaseBodyDelay  = 20 * time.Millisecond
	PhaseN          = 24
	// PhaseSlack is what a phase may take beyond its delay on an idle
	// machine: loopback transit, a handshake's own work, a wake-up.
	PhaseSlack = 60 * time.Millisecond
)

// RunPhases runs the phases row on every engine that dials TCP or QUIC
// itself (a unix socket has no server of this row).
func RunPhases(t *testing.T, engines []Engine) {
	ca, leaf := testserver.LoopbackCert(t)
	for _, e := range engines {
		if e.Via == ViaUnix {
			continue
		}
		t.Run(e.Name, func(t *testing.T) { runPhases(t, newEnv(e, ca, leaf)) })
	}
}

// slowHead answers after PhaseFirstDelay with its head alone, flushed,
// then after PhaseBodyDelay with its body.
func slowHead(w http.ResponseWriter, _ *http.Request) {
	time.Sleep(PhaseFirstDelay)
	w.WriteHeader(http.StatusOK)
	w.(http.Flusher).Flush()
	time.Sleep(PhaseBodyDelay)
	w.Write([]byte("the body, after a known delay"))
}

func runPhases(t *testing.T, en *env) {
	base, accepted := serveHandler(t, en, http.HandlerFunc(slowHead), PhaseTLSDelay)
	u, _ := url.Parse(base + "/")
	target := loadgen.Target{URL: u, Method: "GET", TLS: en.clientTLS()}
	via(t, en.eng.Via, served{url: base}, &target)
	cfg := loadgen.Config{Threads: 1, Connections: Conns, Requests: PhaseN, Timeout: 5 * time.Second,
		ConnectTimeout: 5 * time.Second, Engine: en.eng.Name, Target: target}
	if en.eng.Proto == HTTP2 || en.eng.Proto == HTTP3 {
		cfg.Streams = Streams
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	wait := testserver.CPUWait()
	res, err := run(ctx, en.eng, cfg)
	starved := wait()
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	c := &res.Counts
	if c.Completed != PhaseN || c.Errors() != 0 {
		t.Fatalf("%d completed and %d errors (%v); want %d answered", c.Completed, c.Errors(), res.ErrorMessages, PhaseN)
	}
	ph := &res.Phases
	if ph.DNS != nil {
		t.Errorf("a DNS figure (%d lookups) for a URL whose host is an IP address", ph.DNS.TotalCount())
	}
	// The connections: every one the server accepted is in the figures
	// once, and only those.
	conns, ok := ph.Connect, true
	wantHandshake, absent := ph.TLS, ph.QUIC
	switch {
	case en.eng.Proto == HTTP3:
		conns, ok, wantHandshake, absent = ph.QUIC, ph.Connect == nil && ph.TLS == nil, ph.QUIC, nil
	case !en.eng.TLS:
		wantHandshake, ok = nil, ph.TLS == nil
	}
	if !ok || absent != nil {
		t.Errorf("phases this protocol has not: %+v", ph)
	}
	if got := count(conns); got != int64(c.Opened) || got != accepted() {
		t.Errorf("the connection figures come from %d connections; the run opened %d, the server accepted %d", got, c.Opened, accepted())
	}
	if en.eng.TLS {
		phaseWithin(t, "handshake", wantHandshake, int64(c.Opened), PhaseTLSDelay, 0, starved)
	}
	phaseWithin(t, "first byte", ph.FirstByte, PhaseN, PhaseFirstDelay, 0, starved)
	// The body's start is the client's note of the first byte: a wake-up
	// the kernel delays makes the body look that much shorter.
	phaseWithin(t, "body", ph.Body, PhaseN, PhaseBodyDelay, starved, starved)
}

// count is h's count; 0 for a phase not measured.
func count(h *hdrhistogram.Histogram) int64 {
	if h == nil {
		return 0
	}
	return h.TotalCount()
}

// phaseWithin checks that h holds n values, none below delay less early
// (and the histogram's 0.1%), none above delay + PhaseSlack + late.
func phaseWithin(t *testing.T, name string, h *hdrhistogram.Histogram, n int64, delay, early, late time.Duration) {
	t.Helper()
	if h != nil {
		t.Logf("%s: %d values, min %d us, max %d us (delay %s, %s off the CPU)", name, h.TotalCount(), h.Min(), h.Max(), delay, late)
	}
	if got := count(h); got != n {
		t.Errorf("%s: %d values, want %d", name, got, n)
		return
	}
	lo := (delay - early).Microseconds()
	lo -= lo / 1000
	if h.Min() < lo {
		t.Errorf("%s: min %d us, below the server's delay of %s (less %s off the CPU)", name, h.Min(), delay, early)
	}
	if hi := delay + PhaseSlack + late; h.Max() > hi.Microseconds() {
		testserver.Judge(t, late, Duration, name+"'s maximum")
		t.Errorf("%s: max %d us, above the delay %s + %s + %s off the CPU", name, h.Max(), delay, PhaseSlack, late)
	}
}
