package enginetest

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"runtime/metrics"
	"strings"
	"testing"
	"time"

	"github.com/gowrk/gowrk/loadgen"
	"github.com/gowrk/gowrk/loadgen/testserver"
)

// runRow runs row f on the engine of en and judges the run.
func runRow(t *testing.T, f Fault, en *env) {
	srv := f.Server(t, en)
	u, err := url.Parse(srv.url)
	if err != nil {
		t.Fatal(err)
	}
	target := loadgen.Target{URL: u, Method: "GET", TLS: en.clientTLS()}
	via(t, en.eng.Via, srv, &target)
	cfg := loadgen.Config{Threads: 1, Connections: Conns, Duration: Duration, Timeout: Timeout,
		ConnectTimeout: ConnectTimeout, Engine: en.eng.Name}
	if en.eng.Proto == HTTP2 || en.eng.Proto == HTTP3 {
		cfg.Streams = Streams
	}
	if f.Config != nil {
		f.Config(&cfg, &target)
	}
	cfg.Target = target

	// The watchdog: a run still going at 10 x the bound is a hang; it is
	// interrupted so that the suite ends, and failed.
	ctx, cancel := context.WithTimeout(context.Background(), 10*HangBound)
	defer cancel()
	heap := startHeapSampler()
	wait := testserver.CPUWait()
	res, runErr := run(ctx, en.eng, cfg)
	peak := heap()
	// How long the kernel kept this process runnable but off every CPU
	// during the run (a loaded machine): the evidence that excuses a
	// run's overrun or a handshake that never finished.
	starved := wait()
	if ctx.Err() != nil {
		t.Errorf("hang: the run was still going after %s and had to be interrupted", 10*HangBound)
	}
	if peak > HeapBound {
		t.Errorf("the heap in use grew by %d MiB during the run; the bound is %d MiB", peak>>20, HeapBound>>20)
	}
	msgs := &messages{}
	msgs.check("Run's error", errText(runErr))
	if f.classOn(en.eng) == Refused {
		msgs.report(t, f, en.eng.Name)
		if runErr == nil {
			t.Fatalf("the run started (%+v); want one line before it", res.Counts)
		}
		if !strings.Contains(runErr.Error(), f.Msg) {
			t.Errorf("Run's error %q does not say %q", runErr, f.Msg)
		}
		if srv.parsed != nil && srv.parsed() != 0 {
			t.Errorf("the run did not start, yet the server parsed %d requests", srv.parsed())
		}
		return
	}
	if runErr != nil {
		msgs.report(t, f, en.eng.Name)
		var fatal *loadgen.FatalError
		if errors.As(runErr, &fatal) && fatal.Fix == loadgen.FixDropH2C {
			// h2c's refusal rests on the server's silence for the dial's
			// timeout, which a starved process (this server runs in it)
			// cannot tell from its own lateness.
			testserver.Judge(t, starved, ConnectTimeout, "an h2c refusal after a handshake that timed out")
		}
		t.Fatalf("Run: %v", runErr)
	}
	if res.Duration > HangBound+starved {
		t.Errorf("the run took %s by its own clock; the bound is -d + --timeout + 1s = %s, plus %s off the CPU", res.Duration, HangBound, starved)
	}
	if c := res.Counts; c.Sent == 0 && c.ConnectPending > 0 && f.classOn(en.eng) != Connect {
		testserver.Judge(t, starved, Duration, fmt.Sprintf("a run that made no connection (%d pending at the stop)", c.ConnectPending))
	}
	testserver.CheckAccounting(t, res)
	msgs.check("the abort reason", res.Aborted)
	for _, m := range res.ErrorMessages {
		msgs.check(m.Class+" message", m.Message)
	}
	checkClass(t, f, en, res, starved)
	checkMsg(t, f, en, res)
	if f.Check != nil {
		f.Check(t, res)
	}
	if srv.parsed != nil {
		checkParsed(t, &res.Counts, srv.parsed, f.Lost != "")
	}
	msgs.report(t, f, en.eng.Name)
}

// run builds the engine and runs cfg on it.
func run(ctx context.Context, e Engine, cfg loadgen.Config) (*loadgen.Result, error) {
	eng, err := e.New(ctx, cfg.Target, cfg.ConnectTimeout)
	if err != nil {
		return nil, err
	}
	return loadgen.Run(ctx, cfg, eng)
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// checkParsed waits (at most 3 s) for the server to have parsed every
// request sent: bytes written before the stop may still be in its socket
// buffer. The server must parse no more than was sent (every write it may
// have parsed, resent ones included), and every request sent once but the
// ones in flight at the stop (a write the stop cut short never arrives
// whole); with lost, only the first. The wait only lets the server catch
// up: to every write, or, with writes the server may not have parsed
// (resent), to the lower bound and 100 ms more.
func checkParsed(t *testing.T, c *loadgen.Counts, parsed func() int64, lost bool) {
	t.Helper()
	least := int64(c.SentOnce()) - int64(c.InFlight)
	want := int64(c.Sent)
	if c.Resent > 0 {
		want = least
	}
	for wait := time.Now().Add(3 * time.Second); time.Now().Before(wait) && parsed() < want; {
		time.Sleep(10 * time.Millisecond)
	}
	if c.Resent > 0 {
		time.Sleep(100 * time.Millisecond)
	}
	got := parsed()
	if got > int64(c.Sent) {
		t.Errorf("sent %d, but the server parsed more: %d requests", c.Sent, got)
	} else if !lost && got < least {
		t.Errorf("sent %d (%d of them resent, %d in flight at the stop), but the server parsed only %d requests", c.Sent, c.Resent, c.InFlight, got)
	}
}

// checkMsg checks that a message of the row's class, or the abort
// reason, says f.Msg.
func checkMsg(t *testing.T, f Fault, en *env, res *loadgen.Result) {
	t.Helper()
	if f.Msg == "" || strings.Contains(res.Aborted, f.Msg) {
		return
	}
	class := f.classOn(en.eng)
	for _, m := range res.ErrorMessages {
		if m.Class == class && strings.Contains(m.Message, f.Msg) {
			return
		}
	}
	t.Errorf("no %s message says %q: %v (aborted %q)", class, f.Msg, res.ErrorMessages, res.Aborted)
}

// failures are the counts of each error class a row can name. Timeouts
// are abandoned requests only: one answered late, or waiting at the stop,
// is no failure (a loaded machine makes some late in any row).
func failures(c *loadgen.Counts) map[string]uint64 {
	return map[string]uint64{
		Connect: c.Connect + c.Ports, Read: c.Read, Write: c.Write, TimeoutClass: c.Timeout,
		GoAway: c.GoAway, Reset: c.Reset, Protocol: c.Protocol, "idle_closed": c.IdleClosed,
	}
}

// checkClass checks that the run's failures are in the row's class and
// in no other (Also lists the classes a row tolerates beside it). Two
// verdicts hang on the wall clock, and a starved run (the time it waited
// for a CPU, from CPUWait) skips them with the evidence: no request
// completed, or no failure of the row's class counted, within Duration (a
// handshake alone may take the run when the process waits); and a dial
// that timed out beside the row's class.
func checkClass(t *testing.T, f Fault, en *env, res *loadgen.Result, starved time.Duration) {
	t.Helper()
	want := f.classOn(en.eng)
	got := failures(&res.Counts)
	if (want == TimeoutClass && res.Counts.TimedOut() == 0) || (want != None && want != Status && want != TimeoutClass && got[want] == 0) {
		testserver.Judge(t, starved, Duration, fmt.Sprintf("a row that counted no %s failure within its %s", want, Duration))
	}
	if want != Connect && got[Connect] > 0 && dialTimedOut(res) {
		testserver.Judge(t, starved, ConnectTimeout, fmt.Sprintf("%d dials that timed out beside the row's class %q", got[Connect], want))
	}
	switch want {
	case None, Status:
		if res.Counts.Completed == 0 {
			testserver.Judge(t, starved, Duration, "a run in which no request completed")
			t.Errorf("no request completed: %+v %v", res.Counts, res.ErrorMessages)
		}
		if want == Status && res.Counts.Status == 0 {
			t.Errorf("no status error counted: %+v", res.Counts)
		}
	case TimeoutClass: // wrk's timeouts: abandoned, answered late, or waiting at the stop
		if res.Counts.TimedOut() == 0 {
			t.Errorf("no request timed out: %+v %v", res.Counts, res.ErrorMessages)
		}
	default:
		if got[want] == 0 {
			t.Errorf("no %s failure counted: %v %v (aborted %q)", want, nonzero(got), res.ErrorMessages, res.Aborted)
		}
	}
	for class, n := range got {
		if n > 0 && class != want && !strings.Contains(","+f.Also+",", ","+class+",") {
			t.Errorf("%d %s failures beside the row's class %q: %v %v", n, class, want, nonzero(got), res.ErrorMessages)
		}
	}
}

// dialTimedOut reports whether every connect failure the run kept a
// message of was a dial that ran out of ConnectTimeout.
func dialTimedOut(res *loadgen.Result) bool {
	n := 0
	for _, m := range res.ErrorMessages {
		if m.Class == Connect {
			// A dial's timeout, or HTTP/2's handshake's (the server's
			// SETTINGS not read in time).
			if !strings.HasPrefix(m.Message, "connect timeout") && !strings.HasPrefix(m.Message, "no SETTINGS frame within") {
				return false
			}
			n++
		}
	}
	return n > 0
}

func nonzero(m map[string]uint64) map[string]uint64 {
	out := map[string]uint64{}
	for k, v := range m {
		if v > 0 {
			out[k] = v
		}
	}
	return out
}

// internals are what a message must not show: library names, buffer
// sizes and raw bytes belong to the engine, not to the user.
var internals = []string{"fasthttp", "bufio", "readbuffersize", "buffer size", "x/net", "golang.org", "http2:", `\r\n`, "goroutine ", "panic", "%!", "http3:", "quic-go"}

// messages collects what the kept messages show that they must not.
type messages struct{ bad []string }

// check notes it when msg shows library internals or is a dump.
func (m *messages) check(what, msg string) {
	low := strings.ToLower(msg)
	for _, bad := range internals {
		if strings.Contains(low, bad) {
			m.bad = append(m.bad, fmt.Sprintf("%s shows library internals (%q): %.200s", what, bad, msg))
		}
	}
	if len(msg) > 512 {
		m.bad = append(m.bad, fmt.Sprintf("%s is %d bytes long (a dump?): %.200s", what, len(msg), msg))
	}
}

// report fails the test for each finding, or, when f.KnownMsg names the
// engine, skips it with that reason (a test that has already failed
// stays failed).
func (m *messages) report(t *testing.T, f Fault, engine string) {
	if len(m.bad) == 0 {
		return
	}
	if why, ok := knownOn(f.KnownMsg, engine); ok {
		t.Skipf("known failure: %s (%s)", why, m.bad[0])
	}
	for _, b := range m.bad {
		t.Error(b)
	}
}

// startHeapSampler samples the heap in use every 10 ms until the returned
// function is called, which returns its peak growth above the first sample.
func startHeapSampler() func() uint64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	read := func() uint64 { metrics.Read(s); return s[0].Value.Uint64() }
	base := read()
	stop, done := make(chan struct{}), make(chan uint64)
	go func() {
		var peak uint64
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for {
			if v := read(); v > base {
				peak = max(peak, v-base)
			}
			select {
			case <-stop:
				done <- peak
				return
			case <-tick.C:
			}
		}
	}()
	return func() uint64 { close(stop); return <-done }
}
