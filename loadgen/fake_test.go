package loadgen

import (
	"context"
	"errors"
	"net/url"
	"os"
	"sync/atomic"
	"time"
)

// On synctest's clock the machine's real CPU counters mean nothing: these
// tests read none (the verdicts' machine rule has its own rows).
func init() { readMachine = func() ticks { return ticks{} } }

// fakeEngine serves every request in-process after a fixed service time,
// with an optional stall: requests that arrive in [stallFrom, stallTo) are
// answered at stallTo. Inside a synctest bubble its clock is exact.
type fakeEngine struct {
	service            time.Duration
	stallFrom, stallTo time.Time
	never              bool // never answer: every request times out
	requests           atomic.Int64
}

func (e *fakeEngine) Dial(ctx context.Context) (Conn, error) { return &fakeConn{e: e}, nil }

type fakeConn struct {
	e           *fakeEngine
	interrupted atomic.Bool
}

func (c *fakeConn) Do(deadline time.Time, res *Response) error {
	c.e.requests.Add(1)
	now := time.Now()
	ready := now.Add(c.e.service)
	if !now.Before(c.e.stallFrom) && now.Before(c.e.stallTo) {
		ready = c.e.stallTo.Add(c.e.service)
	}
	if c.e.never || ready.After(deadline) {
		time.Sleep(time.Until(deadline))
		return &ClassError{Class: ClassTimeout, Err: os.ErrDeadlineExceeded}
	}
	time.Sleep(time.Until(ready))
	if c.interrupted.Load() {
		return &ClassError{Class: ClassRead, Err: errors.New("interrupted")}
	}
	res.Status, res.BytesIn, res.BytesOut = 200, 100, 50
	return nil
}

func (c *fakeConn) Close() error { return nil }
func (c *fakeConn) Interrupt()   { c.interrupted.Store(true) }

func fakeConfig() Config {
	u, _ := url.Parse("http://fake.test/")
	return Config{Threads: 2, Connections: 20, Duration: 4 * time.Second, Timeout: 2 * time.Second,
		Target: Target{URL: u, Method: "GET"}}
}

// instantEngine answers at once and allocates nothing.
type instantEngine struct{}

func (instantEngine) Dial(context.Context) (Conn, error) { return instantConn{}, nil }

type instantConn struct{}

func (instantConn) Do(_ time.Time, res *Response) error {
	res.Status, res.BytesIn, res.BytesOut = 200, 10, 10
	return nil
}
func (instantConn) Close() error { return nil }
func (instantConn) Interrupt()   {}

// refusingEngine fails every dial with err.
type refusingEngine struct{ err error }

func (e refusingEngine) Dial(context.Context) (Conn, error) { return nil, e.err }

func (*fakeEngine) Info() ConnInfo    { return ConnInfo{Protocol: "fake"} }
func (instantEngine) Info() ConnInfo  { return ConnInfo{Protocol: "fake"} }
func (refusingEngine) Info() ConnInfo { return ConnInfo{} }
func (*downEngine) Info() ConnInfo    { return ConnInfo{} }
