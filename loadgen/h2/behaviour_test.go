package h2_test

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/gowrk/gowrk/loadgen"
	"github.com/gowrk/gowrk/loadgen/h2"
	"github.com/gowrk/gowrk/loadgen/testserver"
	"golang.org/x/net/http2"
)

// TestFrames is the frame-level behaviour table, each case against the raw
// server that sends exactly those frames, and each checked against what
// the server counted.
func TestFrames(t *testing.T) {
	const n = 200
	for _, tc := range []struct {
		name  string
		b     testserver.H2Behaviour
		opts  h2.Options
		body  []byte
		check func(t *testing.T, s *testserver.H2Server, res *loadgen.Result)
	}{
		{name: "continuation frames", b: testserver.H2Behaviour{Continuation: true}, check: allAnswered},
		{name: "padding", b: testserver.H2Behaviour{Padded: 7}, check: func(t *testing.T, s *testserver.H2Server, res *loadgen.Result) {
			allAnswered(t, s, res)
			// Each body is "ok": padding is framing, not data.
			if d := res.Counts.DataBytesRead; d != 2*n {
				t.Errorf("data bytes read %d, want %d (padding excluded)", d, 2*n)
			}
		}},
		{name: "server pings", b: testserver.H2Behaviour{Ping: true}, check: func(t *testing.T, s *testserver.H2Server, res *loadgen.Result) {
			allAnswered(t, s, res)
			waitFor(func() bool { return s.PingAcks.Load() == n })
			if s.PingAcks.Load() != n {
				t.Errorf("server's PINGs answered: %d of %d", s.PingAcks.Load(), n)
			}
		}},
		{name: "103 early hints first", b: testserver.H2Behaviour{Informational: true}, check: func(t *testing.T, s *testserver.H2Server, res *loadgen.Result) {
			allAnswered(t, s, res)
			if res.StatusCodes[200] != n || len(res.StatusCodes) != 1 {
				t.Errorf("status codes %v: the 103 is not a response", res.StatusCodes)
			}
		}},
		{name: "push refused", b: testserver.H2Behaviour{Push: true}, check: func(t *testing.T, s *testserver.H2Server, res *loadgen.Result) {
			c := res.Counts
			// The push is a connection error: gowrk sends GOAWAY(PROTOCOL_ERROR),
			// the streams open on that connection fail, and the rest go on.
			if c.Protocol == 0 || c.Protocol > 4 || c.Completed+c.Protocol != n || s.ProtocolErrors.Load() != 1 {
				t.Errorf("protocol %d, completed %d, GOAWAYs with an error received %d; counts %+v", c.Protocol, c.Completed, s.ProtocolErrors.Load(), c)
			}
		}},
		{name: "large bodies within small windows", b: testserver.H2Behaviour{Body: 100_000}, opts: h2.Options{Window: 16 << 10, ConnWindow: 65535},
			check: func(t *testing.T, s *testserver.H2Server, res *loadgen.Result) {
				allAnswered(t, s, res)
				if d := res.Counts.DataBytesRead; d != n*100_000 {
					t.Errorf("data bytes read %d, want %d", d, n*100_000)
				}
			}},
		{name: "request bodies past the server's window", body: make([]byte, 200_000), check: func(t *testing.T, s *testserver.H2Server, res *loadgen.Result) {
			allAnswered(t, s, res)
			if got := s.BodyBytes.Load(); got != n*200_000 || res.Counts.DataBytesWritten != n*200_000 {
				t.Errorf("server received %d body bytes, gowrk wrote %d; want %d", got, res.Counts.DataBytesWritten, n*200_000)
			}
		}},
		{name: "header table of 0 bytes", b: testserver.H2Behaviour{TableSize: 0}, check: allAnswered},
		{name: "header table of 64 bytes", b: testserver.H2Behaviour{TableSize: 64}, check: allAnswered},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := startRaw(t, tc.b)
			cfg := config(t, s.URL())
			cfg.Duration, cfg.Requests = 0, n
			if tc.body != nil {
				cfg.Target.Method, cfg.Target.Body = "POST", tc.body
			}
			opts := tc.opts
			opts.DialTimeout = time.Second
			res, err := runWith(t, cfg, opts)
			if err != nil {
				t.Fatal(err)
			}
			if s.DecodeErrors.Load() != 0 {
				t.Errorf("%d request header blocks did not decode on the server", s.DecodeErrors.Load())
			}
			tc.check(t, s, res)
		})
	}
}

func allAnswered(t *testing.T, s *testserver.H2Server, res *loadgen.Result) {
	t.Helper()
	waitFor(func() bool { return uint64(s.Answered.Load()) >= res.Counts.Completed })
	c := res.Counts
	if c.Completed != 200 || c.Errors() != 0 || s.Answered.Load() != 200 {
		t.Errorf("completed %d, server answered %d; counts %+v, messages %v", c.Completed, s.Answered.Load(), c, res.ErrorMessages)
	}
	if c.HeaderBytesRead == 0 || c.HeaderBytesWritten == 0 || c.BytesRead <= c.HeaderBytesRead+c.DataBytesRead {
		t.Errorf("byte split: read %d = headers %d + data %d + framing?", c.BytesRead, c.HeaderBytesRead, c.DataBytesRead)
	}
}

// waitFor gives the server a moment to count what it wrote last.
func waitFor(ok func() bool) {
	for deadline := time.Now().Add(time.Second); !ok() && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond)
	}
}

func runWith(t *testing.T, cfg loadgen.Config, opts h2.Options) (*loadgen.Result, error) {
	t.Helper()
	eng, err := h2.New(context.Background(), cfg.Target, opts)
	if err != nil {
		t.Fatal(err)
	}
	res, err := loadgen.Run(context.Background(), cfg, eng)
	if err == nil {
		testserver.CheckAccounting(t, res)
	}
	return res, err
}

// TestNoSettings: a server that takes the preface and never sends SETTINGS
// does not speak HTTP/2: the run stops before it starts, saying so.
func TestNoSettings(t *testing.T) {
	s := startRaw(t, testserver.H2Behaviour{NoSettings: true})
	cfg := config(t, s.URL())
	began := time.Now()
	_, err := runWith(t, cfg, h2.Options{DialTimeout: 300 * time.Millisecond})
	var fatal *loadgen.FatalError
	if !errors.As(err, &fatal) || !strings.Contains(err.Error(), "no SETTINGS frame within 300ms") {
		t.Errorf("Run error %v, want a FatalError about the missing SETTINGS", err)
	}
	if el := time.Since(began); el > 2*time.Second {
		t.Errorf("took %s to give up", el)
	}
}

// TestStreamTimeouts: under --timeout-action abort a stream that gets no
// answer is cancelled with RST_STREAM(CANCEL) at its timeout, its slot
// goes on, and the connection stays up.
func TestStreamTimeouts(t *testing.T) {
	s := startRaw(t, testserver.H2Behaviour{Stall: 10})
	cfg := config(t, s.URL())
	cfg.Duration, cfg.Requests, cfg.Timeout, cfg.TimeoutAction = 0, 300, 200*time.Millisecond, loadgen.TimeoutAbort
	res, err := runWith(t, cfg, h2.Options{DialTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	c := res.Counts
	waitFor(func() bool { return s.Cancels.Load() == int64(c.Timeout) })
	if c.Timeout != 30 || c.Completed != 270 || s.Cancels.Load() != 30 {
		t.Errorf("timeouts %d (server saw %d RST_STREAM(CANCEL)), completed %d; want 30 and 270", c.Timeout, s.Cancels.Load(), c.Completed)
	}
	if n := s.Conns.Load(); n != 3 {
		t.Errorf("server saw %d connections; a stream timeout must keep its connection", n)
	}
}

// heapBound is the most the heap in use may grow during a hostile run
// (gowrk and the in-process server together): the buffers of -c2 and the
// server's frames fit many times over, while the CONTINUATION flood that
// this bounds grew by 350 MB in under 2 s before.
const heapBound = 32 << 20

// TestHostile: each hostile HTTP/2 server ends in one error class with a
// message free of library internals, a run bounded in time, bounded
// memory, and figures that agree with the server's counts.
func TestHostile(t *testing.T) {
	const timeout = 300 * time.Millisecond
	enhance, flow := uint32(http2.ErrCodeEnhanceYourCalm), uint32(http2.ErrCodeFlowControl)
	for _, tc := range []struct {
		name   string
		b      testserver.H2Behaviour
		opts   h2.Options
		n      uint64 // -n; 0: -d
		class  string // the one error class; "": none
		msg    string // in the class's message (or the fatal error)
		fatal  bool   // the run stops before it starts
		goAway uint32 // the GOAWAY code the server must have got; 0: not checked
		check  func(t *testing.T, s *testserver.H2Server, c loadgen.Counts)
	}{
		{name: "CONTINUATION flood", b: testserver.H2Behaviour{ContinuationFlood: true}, class: "protocol", msg: "header block larger than 64 KiB"},
		// Every connection breaks after carrying requests: a new one at
		// once (no backoff, as over HTTP/1.1), so -n ends within its bound.
		{name: "CONTINUATION flood, -n", b: testserver.H2Behaviour{ContinuationFlood: true}, n: 100, class: "protocol", msg: "header block larger than 64 KiB"},
		{name: "HPACK bomb", b: testserver.H2Behaviour{HPACKBomb: true}, class: "protocol", msg: "decode to more than 64 KiB", goAway: enhance},
		{name: "PING flood within the bound", b: testserver.H2Behaviour{PingFlood: 500}, n: 40, check: func(t *testing.T, s *testserver.H2Server, c loadgen.Counts) {
			if waitFor(func() bool { return s.PingAcks.Load() == 500*40 }); s.PingAcks.Load() != 500*40 || c.Completed != 40 {
				t.Errorf("PINGs answered %d of %d, completed %d of 40", s.PingAcks.Load(), 500*40, c.Completed)
			}
		}},
		{name: "endless PING flood", b: testserver.H2Behaviour{PingFlood: 1 << 20}, class: "protocol", msg: "more than 1000 PING or SETTINGS frames"},
		{name: "endless SETTINGS flood", b: testserver.H2Behaviour{SettingsFlood: 1 << 20}, class: "protocol", msg: "more than 1000 PING or SETTINGS frames"},
		{name: "GOAWAY on every connection", b: testserver.H2Behaviour{GoAwayFirst: true}, class: "connect", msg: "sent GOAWAY (NO_ERROR) on a new connection before taking any request"},
		{name: "MAX_CONCURRENT_STREAMS 0, -d", b: testserver.H2Behaviour{ZeroStreams: true}, fatal: true, msg: "allows 0 concurrent streams (SETTINGS_MAX_CONCURRENT_STREAMS=0) and did not raise it within 300ms"},
		{name: "MAX_CONCURRENT_STREAMS 0, -n", b: testserver.H2Behaviour{ZeroStreams: true}, n: 100, fatal: true, msg: "SETTINGS_MAX_CONCURRENT_STREAMS=0"},
		{name: "MAX_CONCURRENT_STREAMS 1", b: testserver.H2Behaviour{MaxStreams: 1}, n: 200},
		// Lowered to 0 after 10 answers: the streams open finish, then the
		// connection, which takes nothing more, ends after the connect
		// timeout (one connect error) and a new one carries on.
		{name: "MAX_CONCURRENT_STREAMS lowered to 0", b: testserver.H2Behaviour{ZeroAfter: 10}, class: "connect", msg: "allows 0 concurrent streams", check: func(t *testing.T, s *testserver.H2Server, c loadgen.Counts) {
			// A redial cut off by the end may not reach the server.
			if n := uint64(s.Accepted()); c.Completed < 20 || c.Connect == 0 || n > 2+c.Connect || n < 1+c.Connect {
				t.Errorf("completed %d, connect errors %d, connections %d (2 + one per connect error)", c.Completed, c.Connect, n)
			}
		}},
		{name: "GOAWAY on every connection, -n", b: testserver.H2Behaviour{GoAwayFirst: true}, n: 100, class: "connect", msg: "sent GOAWAY (NO_ERROR)"},
		{name: "RST_STREAM storm", b: testserver.H2Behaviour{ResetEvery: 1}, class: "reset", msg: "RST_STREAM INTERNAL_ERROR", check: func(t *testing.T, s *testserver.H2Server, c loadgen.Counts) {
			// The server's last resets may reach gowrk after the stop (in flight there).
			if r := uint64(s.Resets.Load()); r < c.Reset || r > c.Reset+c.InFlight || s.Accepted() != 2 {
				t.Errorf("server reset %d, gowrk counted %d; %d connections, want 2 (a reset keeps the connection)", s.Resets.Load(), c.Reset, s.Accepted())
			}
		}},
		{name: "DATA past the stream window", b: testserver.H2Behaviour{IgnoreWindow: true}, opts: h2.Options{Window: 1}, class: "protocol", msg: "DATA beyond the stream's flow-control window", goAway: flow},
		{name: "WINDOW_UPDATE past 2^31-1 on the connection", b: testserver.H2Behaviour{WindowOverflow: 1}, class: "protocol", msg: "past 2^31-1", goAway: flow},
		{name: "WINDOW_UPDATE past 2^31-1 on a stream", b: testserver.H2Behaviour{WindowOverflow: 2}, class: "protocol", msg: "stream's send window past 2^31-1", check: func(t *testing.T, s *testserver.H2Server, c loadgen.Counts) {
			if s.Accepted() != 2 {
				t.Errorf("%d connections: a stream error must keep its connection", s.Accepted())
			}
		}},
		{name: "never sends SETTINGS", b: testserver.H2Behaviour{NoSettings: true}, fatal: true, msg: "no SETTINGS frame within 300ms"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := startRaw(t, tc.b)
			cfg := config(t, s.URL())
			cfg.Threads, cfg.Connections, cfg.Timeout = 1, 2, timeout
			if tc.n > 0 {
				cfg.Duration, cfg.Requests = 0, tc.n
			}
			opts := tc.opts
			opts.DialTimeout = timeout
			peak := watchHeap(t)
			res, err := runWith(t, cfg, opts)
			if grew := peak(); grew > heapBound {
				t.Errorf("heap in use grew by %d MiB during the run, bound %d MiB", grew>>20, heapBound>>20)
			}
			if tc.fatal {
				var fatal *loadgen.FatalError
				if !errors.As(err, &fatal) || !strings.Contains(err.Error(), tc.msg) {
					t.Fatalf("Run error %v, want a FatalError saying %q", err, tc.msg)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			c := res.Counts
			// Bounded: -d plus the timeout, or -n's wait limit; a hang
			// check on the run's own clock.
			bound := cfg.Duration + timeout + time.Second
			if tc.n > 0 {
				bound = loadgen.WaitLimitFactor * timeout
			}
			if res.Duration > bound {
				t.Errorf("the run took %s, bound %s", res.Duration, bound)
			}
			checkOneClass(t, res, tc.class, tc.msg)
			if tc.class == "" && c.Completed == 0 {
				t.Error("nothing completed")
			}
			if tc.b.GoAwayFirst {
				// The server processed no stream: nothing was sent, no
				// reconnect storm (redials wait the backoff), and as no
				// connection ever carried a request the run stops, as
				// against a closed port.
				if c.Sent != 0 || s.Streams.Load() != 0 || s.Accepted() > 20 || !strings.Contains(res.Aborted, "every first connection was refused before it carried a request") {
					t.Errorf("sent %d, server processed %d, accepted %d connections; aborted %q", c.Sent, s.Streams.Load(), s.Accepted(), res.Aborted)
				}
			}
			if tc.class == "" || tc.class == "reset" {
				// The server reads every request, but for those in flight at
				// the stop: closing a connection with the server's frames
				// unread resets it, and the kernel drops what the server had
				// not read yet (the conformance suite's rule, checkParsed).
				waitFor(func() bool { return uint64(s.Headers.Load()) == c.Sent })
				if got := uint64(s.Headers.Load()); got > c.Sent || got+c.InFlight < c.Sent {
					t.Errorf("sent %d (%d in flight at the stop), the server got %d", c.Sent, c.InFlight, got)
				}
			}
			if tc.goAway != 0 {
				waitFor(func() bool { return s.LastGoAway.Load() == tc.goAway })
				if got := s.LastGoAway.Load(); got != tc.goAway {
					t.Errorf("the server got GOAWAY %s, want %s", http2.ErrCode(got), http2.ErrCode(tc.goAway))
				}
			}
			if tc.check != nil {
				tc.check(t, s, c)
			}
		})
	}
}

// checkOneClass asserts that class is the only error class counted (none
// when ""), and that its messages say msg and name no library.
func checkOneClass(t *testing.T, res *loadgen.Result, class, msg string) {
	t.Helper()
	for _, f := range loadgen.Counters {
		if (!strings.HasPrefix(f.Name, "connect") && !isErrorClass(f.Name)) || f.Name == "connects_pending_at_stop" {
			continue
		}
		n := *f.Of(&res.Counts)
		switch {
		case f.Name == class && n == 0:
			t.Errorf("no %s error counted: %+v", class, res.Counts)
		case f.Name != class && f.Name != "connect_timeout" && n != 0:
			t.Errorf("%d %s errors, want only %q: %v", n, f.Name, class, res.ErrorMessages)
		}
	}
	found := class == ""
	for _, m := range res.ErrorMessages {
		if strings.Contains(m.Message, msg) && m.Class == class {
			found = true
		}
		for _, internal := range []string{"x/net", "golang.org", "http2:", "hpack", "HPACK:", "runtime", "goroutine"} {
			if strings.Contains(m.Message, internal) {
				t.Errorf("message %q shows library internals (%s)", m.Message, internal)
			}
		}
	}
	if !found {
		t.Errorf("no %s message saying %q: %v", class, msg, res.ErrorMessages)
	}
}

func isErrorClass(name string) bool {
	switch name {
	case "read", "write", "timeout", "goaway", "reset", "protocol", "ports", "idle_closed":
		return true
	}
	return false
}

// watchHeap samples the heap in use until the returned function is
// called, which returns its peak growth over the level at the start.
func watchHeap(t *testing.T) func() uint64 {
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	base := ms.HeapInuse
	done, peak := make(chan struct{}), make(chan uint64)
	go func() {
		var grew uint64
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			var m runtime.MemStats
			runtime.ReadMemStats(&m)
			if m.HeapInuse > base {
				grew = max(grew, m.HeapInuse-base)
			}
			select {
			case <-done:
				peak <- grew
				return
			case <-tick.C:
			}
		}
	}()
	return func() uint64 {
		close(done)
		return <-peak
	}
}
