package h2_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/gowrk/gowrk/loadgen"
	"github.com/gowrk/gowrk/loadgen/h2"
	"github.com/gowrk/gowrk/loadgen/testserver"
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
