package loadgen

import (
	"context"
	"errors"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

// poolEngine is a server with Workers first-come-first-served workers and
// a fixed service time: its capacity is Workers/Service requests a second,
// whatever the connections. A request waits for the first worker free, as
// in a thread pool; abandoned requests keep their worker (the pool cannot
// cancel work). Inside a synctest bubble its clock is exact.
type poolEngine struct {
	workers int
	service time.Duration
	mu      sync.Mutex
	free    []time.Time // when each worker is next free
	served  atomic.Int64
}

func newPool(workers int, service time.Duration) *poolEngine {
	return &poolEngine{workers: workers, service: service, free: make([]time.Time, workers)}
}

func (e *poolEngine) Dial(context.Context) (Conn, error) {
	return &poolConn{e: e, stop: make(chan struct{})}, nil
}
func (*poolEngine) Info() ConnInfo { return ConnInfo{Protocol: "fake"} }

// take books the earliest free worker for a request arriving now and
// returns when its answer is ready.
func (e *poolEngine) take(now time.Time) time.Time {
	e.mu.Lock()
	defer e.mu.Unlock()
	w := 0
	for i := range e.free {
		if e.free[i].Before(e.free[w]) {
			w = i
		}
	}
	start := now
	if e.free[w].After(now) {
		start = e.free[w]
	}
	e.free[w] = start.Add(e.service)
	return e.free[w]
}

type poolConn struct {
	e    *poolEngine
	stop chan struct{}
	once sync.Once
}

func (c *poolConn) Do(deadline time.Time, res *Response) error {
	ready := c.e.take(time.Now())
	wake, err := ready, error(nil)
	if ready.After(deadline) {
		wake, err = deadline, &ClassError{Class: ClassTimeout, Err: os.ErrDeadlineExceeded}
	}
	t := time.NewTimer(time.Until(wake))
	defer t.Stop()
	select {
	case <-t.C:
	case <-c.stop:
		return &ClassError{Class: ClassRead, Err: errors.New("interrupted")}
	}
	if err != nil {
		return err
	}
	c.e.served.Add(1)
	res.Status, res.BytesIn, res.BytesOut = 200, 100, 50
	return nil
}

func (c *poolConn) Close() error { return nil }
func (c *poolConn) Interrupt()   { c.once.Do(func() { close(c.stop) }) }
func (c *poolConn) Usable() bool { return false }

// TestRateVerdictServerShortfall: a server of 4 workers x 50 ms (80/s)
// under a schedule above its capacity gets the server's verdict, with
// figures that show its rate, never gowrk's: gowrk's own timer is exact
// here, so no evidence points at it, however busy the real machine is.
func TestRateVerdictServerShortfall(t *testing.T) {
	for _, tc := range []struct {
		name  string
		rate  float64
		conns int
		want  FindingKind
	}{
		// 200 connections keep every request going out: the queue grows.
		{"queue grows", 120, 200, RateQueueGrew},
		// 20 connections all wait on the pool: requests go unsent.
		{"connections all waiting", 120, 20, RateServerShortfall},
		// 4 connections cannot carry 120/s x 50 ms.
		{"too few connections", 120, 4, RateTooFewConnections},
		// Below capacity: no verdict.
		{"below capacity", 60, 20, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				cfg := fakeConfig()
				cfg.Rate, cfg.Connections, cfg.Duration, cfg.Timeout = tc.rate, tc.conns, 4*time.Second, 10*time.Second
				pool := newPool(4, 50*time.Millisecond)
				res, err := Run(context.Background(), cfg, pool)
				if err != nil {
					t.Fatal(err)
				}
				f, ok := res.RateFinding()
				if f.Kind != tc.want || ok != (tc.want != 0) || res.GeneratorLimited() {
					t.Fatalf("finding %v %+v, want %v", f.Kind, f, tc.want)
				}
				if got := res.RequestsPerSec(); tc.want != 0 && (got < 0.95*80 || got > 80.5) {
					t.Errorf("answered %.1f/s, the pool serves 80/s", got)
				}
				if tc.want != 0 && (f.Answered != res.RequestsPerSec() || f.Service < 50*time.Millisecond) {
					t.Errorf("figures %+v", f)
				}
			})
		})
	}
}
