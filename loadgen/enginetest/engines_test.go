package enginetest_test

import (
	"context"
	"testing"
	"time"

	"github.com/gowrk/gowrk/loadgen"
	"github.com/gowrk/gowrk/loadgen/enginetest"
	"github.com/gowrk/gowrk/loadgen/h1"
	"github.com/gowrk/gowrk/loadgen/h2"
	"github.com/gowrk/gowrk/loadgen/h3"
)

// engines lists every engine gowrk has, as the CLI builds it; a new engine
// adds one line here (the loop, Linux only, adds itself in
// engines_linux_test.go).
var engines = []enginetest.Engine{
	{Name: "goroutine", Proto: enginetest.HTTP1, New: newH1},
	{Name: "goroutine/tls", Proto: enginetest.HTTP1, TLS: true, New: newH1},
	{Name: "h2c", Proto: enginetest.HTTP2, New: newH2}, // the event loop (Linux; goroutines elsewhere)
	{Name: "h2c/goroutine", Proto: enginetest.HTTP2, New: newH2Goroutines},
	{Name: "h2/tls", Proto: enginetest.HTTP2, TLS: true, New: newH2},
	{Name: "h3", Proto: enginetest.HTTP3, TLS: true, New: newH3},
	// The transports: the table again over a unix socket, a --connect-to
	// mapping and a bound source address (IP_BIND_ADDRESS_NO_PORT).
	{Name: "goroutine/no-keepalive", Proto: enginetest.HTTP1, New: newH1, Via: enginetest.ViaNoKeepAlive},
	{Name: "goroutine/unix", Proto: enginetest.HTTP1, New: newH1, Via: enginetest.ViaUnix},
	{Name: "h2c/unix", Proto: enginetest.HTTP2, New: newH2, Via: enginetest.ViaUnix},
	{Name: "goroutine/tls/connect-to", Proto: enginetest.HTTP1, TLS: true, New: newH1, Via: enginetest.ViaConnectTo},
	{Name: "h2/tls/local-addr", Proto: enginetest.HTTP2, TLS: true, New: newH2, Via: enginetest.ViaLocalAddr},
}

func newH1(ctx context.Context, t loadgen.Target, dial time.Duration) (loadgen.Engine, error) {
	return h1.New(ctx, t, dial)
}

func newH2(ctx context.Context, t loadgen.Target, dial time.Duration) (loadgen.Engine, error) {
	return h2.New(ctx, t, h2.Options{DialTimeout: dial})
}

func newH2Goroutines(ctx context.Context, t loadgen.Target, dial time.Duration) (loadgen.Engine, error) {
	return h2.New(ctx, t, h2.Options{DialTimeout: dial, Goroutines: true})
}

func newH3(ctx context.Context, t loadgen.Target, dial time.Duration) (loadgen.Engine, error) {
	return h3.New(ctx, t, h3.Options{DialTimeout: dial})
}

// TestEngines runs the fault table on every engine.
func TestEngines(t *testing.T) {
	enginetest.Run(t, engines)
}

// TestTargets runs the many-targets row (a 3:1 split under -n, by the
// server's per-path count) on every engine.
func TestTargets(t *testing.T) {
	enginetest.RunTargets(t, engines)
}

// TestPhases runs the phases row (a server with known handshake, first
// byte and body delays, and its count of connections) on every engine.
func TestPhases(t *testing.T) {
	enginetest.RunPhases(t, engines)
}

// TestOrigins runs the two-origin row (targets on two servers, each
// counting its own) on every engine, whole and in two shards.
func TestOrigins(t *testing.T) {
	enginetest.RunOrigins(t, engines)
}

// TestLog runs the request log row (a run with --log, rebuilt from its
// log, against the server's count) on every engine.
func TestLog(t *testing.T) {
	enginetest.RunLog(t, engines)
}
