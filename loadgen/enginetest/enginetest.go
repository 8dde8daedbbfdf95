// Package enginetest is the conformance suite every gowrk engine runs: one
// call, Run, points the engine at each hostile server of the fault table
// (Faults) and judges the run against the server's own truth, the same way
// for every engine that speaks the row's protocol.
//
// For each row and engine it checks:
//   - sent = what the server parsed, where the server can count it;
//   - sent = completed + failed + in flight at the stop (testserver.CheckAccounting);
//   - the run's own Duration is at most -d + --timeout + 1 s (HangBound), and
//     a watchdog interrupts and fails a run that is still going at 10 x that;
//   - the heap in use never grows more than HeapBound above its level at
//     the row's start, sampled every 10 ms;
//   - the failures land in the row's one error class, and only there;
//   - every message kept (error messages, the abort reason, Run's error)
//     names no library internals.
//
// A row an engine fails today carries Known ("engine[,engine]: why") and is
// skipped on those engines with that reason, so that the fix turns it on.
package enginetest

import (
	"context"
	"crypto/tls"
	"sync"
	"testing"
	"time"

	"github.com/gowrk/gowrk/loadgen"
	"github.com/gowrk/gowrk/loadgen/testserver"
)

// The protocols an Engine speaks and a Fault is written for.
const (
	HTTP1 = "http/1.1"
	HTTP2 = "h2"
	// HTTP3 is HTTP/3 over QUIC (always TLS): it runs its own rows only,
	// the others being about TCP.
	HTTP3 = "h3"
)

// The run every row makes: -t1, Conns connections (Streams streams each
// under HTTP/2), for Duration, with Timeout per request and ConnectTimeout
// per dial and handshake.
const (
	Conns    = 2
	Streams  = 4
	Duration = time.Second
	Timeout  = 300 * time.Millisecond
	// ConnectTimeout is below Duration, so that a first dial that waits
	// for ever (no SETTINGS) ends at its own bound, not at the run's end.
	ConnectTimeout = 500 * time.Millisecond
	// HangBound is the longest a run may take by its own clock: -d +
	// --timeout + 1 s, as the README promises.
	HangBound = Duration + Timeout + time.Second
	// HeapBound is how far the heap in use may grow above its level at a
	// row's start (the test process's, test servers included): a run of 2
	// connections holds buffers of kilobytes, so 64 MiB is only passed by
	// something that buffers without limit.
	HeapBound = 64 << 20
	// Parallel is how many rows run at once.
	Parallel = 3
)

// Engine is one engine under test.
type Engine struct {
	// Name names the engine in subtest names and in Fault.Known.
	Name string
	// Proto is HTTP1 or HTTP2; TLS says it is run over https://.
	Proto string
	TLS   bool
	// New builds the engine for t (t.TLS trusts the suite's CA), its dials
	// and handshakes bounded by dialTimeout, as the CLI would.
	New func(ctx context.Context, t loadgen.Target, dialTimeout time.Duration) (loadgen.Engine, error)
	// Via, when set, runs every row over that transport (route.go):
	// ViaUnix, ViaConnectTo or ViaLocalAddr.
	Via string
}

// env is what a row's server gets: the server side of the engine's TLS (nil
// for cleartext engines) and the CA that the engine trusts.
type env struct {
	tls *tls.Config
	ca  *testserver.CA
	eng Engine
}

// served is a row's server as the judge sees it: where to send the load,
// and how many requests it parsed (nil where it cannot count them).
type served struct {
	url    string
	parsed func() int64
	unix   string // the socket's path when the server listens on a unix socket
}

// Run runs every row of Faults whose protocol an engine speaks, on every
// engine, each as a subtest "row/engine".
func Run(t *testing.T, engines []Engine) {
	ca, leaf := testserver.LoopbackCert(t)
	// Rows run side by side, Parallel at a time (a run mostly waits on
	// its server), each row's engines one after the other.
	sem := make(chan struct{}, Parallel)
	var wg sync.WaitGroup
	for _, f := range Faults {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			t.Run(f.Name, func(t *testing.T) {
				for _, e := range engines {
					if f.runsOn(e) {
						t.Run(e.Name, func(t *testing.T) { runOn(t, f, e, ca, leaf) })
					}
				}
			})
		}()
	}
	wg.Wait()
}

// runsOn says whether engine e runs row f.
func (f Fault) runsOn(e Engine) bool {
	if f.Proto != "" && f.Proto != e.Proto || f.Proto == "" && e.Proto == HTTP3 {
		return false
	}
	return f.Only == onlyAll || (f.Only == onlyTLS) == e.TLS
}

// runOn runs row f on engine e, unless f is known to fail there.
func runOn(t *testing.T, f Fault, e Engine, ca *testserver.CA, leaf tls.Certificate) {
	if why, ok := knownOn(f.Known, e.Name); ok {
		t.Skip("known failure: " + why)
	}
	runRow(t, f, newEnv(e, ca, leaf))
}

// newEnv is engine e's env: the server side of its TLS, when it speaks TLS.
func newEnv(e Engine, ca *testserver.CA, leaf tls.Certificate) *env {
	en := &env{ca: ca, eng: e}
	if e.TLS {
		en.tls = &tls.Config{Certificates: []tls.Certificate{leaf}, NextProtos: []string{alpn(e.Proto)}}
	}
	return en
}

// alpn is the ALPN name of proto.
func alpn(proto string) string {
	if proto == HTTP2 || proto == HTTP3 {
		return proto
	}
	return "http/1.1"
}
