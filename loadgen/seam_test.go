package loadgen

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

// The seam's rules, tested once, through the goroutine adapter on
// synctest's exact clock (the event loops run the same rules: seam.go).

// scriptedEngine answers each request as its answer function says, given
// the number of the connection (from 1) and of the request on it (from 1).
type scriptedEngine struct {
	dials   atomic.Int64
	service time.Duration
	answer  func(conn, n int64) error
	// dialWait blocks every dial until ctx is done (a full backlog).
	dialWait bool
}

func (e *scriptedEngine) Info() ConnInfo { return ConnInfo{Protocol: "fake"} }

func (e *scriptedEngine) Dial(ctx context.Context) (Conn, error) {
	id := e.dials.Add(1)
	if e.dialWait {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	return &scriptedConn{e: e, id: id}, nil
}

type scriptedConn struct {
	e  *scriptedEngine
	id int64
	n  int64
}

func (c *scriptedConn) Do(deadline time.Time, res *Response) error {
	c.n++
	time.Sleep(min(c.e.service, time.Until(deadline)))
	if c.e.answer != nil {
		if err := c.e.answer(c.id, c.n); err != nil {
			return err
		}
	}
	res.Status = 200
	return nil
}
func (c *scriptedConn) Close() error { return nil }
func (c *scriptedConn) Interrupt()   {}

// TestSeamBackoffAfterFailedFirstRequest: a server that ends every new
// connection before its first response (as a GOAWAY on every connection
// does) gets dials spaced by the backoff, not a storm.
func TestSeamBackoffAfterFailedFirstRequest(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		eng := &scriptedEngine{answer: func(int64, int64) error {
			return &ClassError{Class: ClassRead, Err: errors.New("closed")}
		}}
		cfg := fakeConfig()
		cfg.Threads, cfg.Connections, cfg.Duration = 1, 1, 3*time.Second
		res, err := Run(context.Background(), cfg, eng)
		if err != nil {
			t.Fatal(err)
		}
		// Backoff 10, 20, 40 ... 1000 ms: about 10 dials fit in 3 s.
		if n := eng.dials.Load(); n > 12 || n < 5 {
			t.Errorf("%d dials in 3 s; the backoff allows about 10", n)
		}
		if res.Counts.Read+1 < uint64(eng.dials.Load()) {
			t.Errorf("read errors %d for %d dials", res.Counts.Read, eng.dials.Load())
		}
	})
}

// TestSeamConnectPendingAtStop: dials that never complete (a full listen
// backlog) are counted at the stop, not lost.
func TestSeamConnectPendingAtStop(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		eng := &scriptedEngine{dialWait: true}
		cfg := fakeConfig()
		cfg.Threads, cfg.Connections, cfg.Duration = 1, 4, time.Second
		res, err := Run(context.Background(), cfg, eng)
		if err != nil {
			t.Fatal(err)
		}
		// The run's first dial is cut by the end too; it is one of the four.
		if res.Counts.ConnectPending != 4 || res.Counts.Connect != 0 {
			t.Errorf("pending %d, connect errors %d; want the 4 connections pending", res.Counts.ConnectPending, res.Counts.Connect)
		}
	})
}

// TestSeamStale: a request that meets a connection the server closed while
// idle is sent again when idempotent (a reconnect; its first write stays
// in sent, as resent: the server may have parsed it) and counts as
// idle_closed otherwise.
func TestSeamStale(t *testing.T) {
	for _, tc := range []struct {
		method                 string
		reconnects, idleClosed bool
	}{{"GET", true, false}, {"POST", false, true}} {
		t.Run(tc.method, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				eng := &scriptedEngine{service: time.Millisecond, answer: func(_, n int64) error {
					if n == 3 {
						return ErrStale
					}
					return nil
				}}
				cfg := fakeConfig()
				cfg.Threads, cfg.Connections, cfg.Duration, cfg.Duration = 1, 1, 0, 0
				cfg.Requests = 10
				cfg.Target.Method = tc.method
				res, err := Run(context.Background(), cfg, eng)
				if err != nil {
					t.Fatal(err)
				}
				c := res.Counts
				if (c.Reconnects > 0) != tc.reconnects || (c.IdleClosed > 0) != tc.idleClosed {
					t.Errorf("reconnects %d, idle_closed %d", c.Reconnects, c.IdleClosed)
				}
				if c.Completed+c.IdleClosed != 10 || c.Sent != 10+c.Resent || c.Resent != c.Reconnects {
					t.Errorf("sent %d, resent %d, completed %d, idle_closed %d; want 10 ended, every write sent", c.Sent, c.Resent, c.Completed, c.IdleClosed)
				}
			})
		})
	}
}

// TestSeamRequestLimit: the per-request limit of every engine.
func TestSeamRequestLimit(t *testing.T) {
	for _, tc := range []struct {
		action TimeoutAction
		end    time.Duration
		want   time.Duration
	}{
		{TimeoutAbort, time.Second, 100 * time.Millisecond},
		{TimeoutAbort, -1, 100 * time.Millisecond},
		{TimeoutWait, time.Second, -1},
		{TimeoutWait, -1, WaitLimitFactor * 100 * time.Millisecond},
	} {
		th := &Thread{Timeout: 100 * time.Millisecond, TimeoutAction: tc.action, end: tc.end}
		if got := th.RequestLimit(); got != tc.want {
			t.Errorf("%v, end %s: limit %s, want %s", tc.action, tc.end, got, tc.want)
		}
	}
}

// TestSeamTimerLateness: on synctest's clock a timer fires on time, so
// every request sent by a wake on an idle connection has lateness 0, and
// the send lag is 0: the definition is gowrk's own lateness, nothing else.
func TestSeamTimerLateness(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		eng := &scriptedEngine{service: time.Millisecond}
		cfg := fakeConfig()
		cfg.Threads, cfg.Connections, cfg.Duration, cfg.Rate = 1, 2, 2*time.Second, 100
		res, err := Run(context.Background(), cfg, eng)
		if err != nil {
			t.Fatal(err)
		}
		if res.Counts.Completed != 200 {
			t.Errorf("completed %d, want 200 (100/s for 2 s)", res.Counts.Completed)
		}
		if n := res.TimerLag.TotalCount(); n < 190 {
			t.Errorf("timer lateness measured for %d requests, want about every one (idle connections)", n)
		}
		if m := res.TimerLag.Max(); m != 0 {
			t.Errorf("timer lateness max %d us on an exact clock", m)
		}
		if m := res.SendLag.Max(); m != 0 {
			t.Errorf("send lag max %d us on an exact clock", m)
		}
	})
}

// TestSeamStoppedInWarmup: a run stopped during its warm-up (every dial
// refused) has an empty measured window, never a negative one.
func TestSeamStoppedInWarmup(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfg := fakeConfig()
		cfg.Warmup = time.Second
		res, err := Run(context.Background(), cfg, refusingEngine{err: errors.New("connection refused")})
		if err != nil {
			t.Fatal(err)
		}
		if res.Aborted == "" || res.Duration != 0 || res.Warmup == nil || res.Warmup.Duration < 0 {
			t.Errorf("aborted %q, duration %s, warm-up %+v", res.Aborted, res.Duration, res.Warmup)
		}
	})
}
