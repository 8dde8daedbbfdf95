package loadgen

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"testing/synctest"
	"time"
)

// downEngine accepts the first up dials, then refuses every dial; its
// connections fail every request, as a server that went down does.
type downEngine struct {
	up    int64
	dials atomic.Int64
}

func (e *downEngine) Dial(context.Context) (Conn, error) {
	if e.dials.Add(1) > e.up {
		return nil, syscall.ECONNREFUSED
	}
	return brokenConn{}, nil
}

type brokenConn struct{}

func (brokenConn) Do(time.Time, *Response) error {
	return &ClassError{Class: ClassRead, Err: errors.New("connection reset by peer")}
}
func (brokenConn) Close() error { return nil }
func (brokenConn) Interrupt()   {}

// TestRedialBackoff: a server that goes down mid-run is redialled with a
// backoff (10 ms doubling to 1 s), not at full speed: 20 connections over
// 4 s make about 20 x 9 dials, not millions. On synctest's clock a loop
// without backoff would never let time pass at all.
func TestRedialBackoff(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfg := fakeConfig()
		eng := &downEngine{up: 21}
		res, err := Run(context.Background(), cfg, eng)
		if err != nil {
			t.Fatal(err)
		}
		n := eng.dials.Load()
		if n > 21+20*12 {
			t.Errorf("%d dials in 4 s: the redials did not back off", n)
		}
		// 21 connections came up (the run's first and one per worker, the
		// first worker's twice) and each carried one failed request.
		if c := res.Counts; c.Connect != uint64(n-21) || c.Read != 21 {
			t.Errorf("counts %+v: want one connect error per failed dial (%d) and one read error per connection", c, n-21)
		}
		if res.Aborted != "" {
			t.Errorf("aborted %q: the target answered before it went down", res.Aborted)
		}
	})
}

// TestRefusedFromTheStart: every first dial refused stops the run at once:
// one dial per worker and the run's own, whatever the duration.
func TestRefusedFromTheStart(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfg := fakeConfig()
		cfg.Duration = time.Hour
		eng := &downEngine{}
		began := time.Now()
		res, err := Run(context.Background(), cfg, eng)
		if err != nil {
			t.Fatal(err)
		}
		if n := eng.dials.Load(); n != 21 || time.Since(began) > time.Second || !strings.Contains(res.Aborted, "cannot connect") {
			t.Errorf("%d dials, %s, aborted %q", n, time.Since(began), res.Aborted)
		}
	})
}
