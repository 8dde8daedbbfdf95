package h2

import (
	"context"
	"fmt"

	"github.com/gowrk/gowrk/loadgen"
)

// A connection's sessions come and go: connect dials one after the shared
// backoff, a session that carried no request counts as a failed dial
// (refused), and one whose server allows no stream ends (noStreams).

// connect dials a session after the backoff of earlier failures. It
// returns false when the run is over.
func (c *conn) connect(ctx context.Context) bool {
	if !c.th.Backoff(ctx, &c.sleeper, c.backoff) {
		return false
	}
	s, err := c.e.dial(ctx, c.spare, c.addr())
	if err != nil {
		if c.stop.Load() || c.th.Over(ctx, c.since()) {
			c.pending() // cut off by the end: still connecting at the stop
			return false
		}
		c.dialFailed(err)
		c.backoff = loadgen.NextBackoff(c.backoff)
		return c.active > 0
	}
	c.spare, c.opened = nil, true
	c.st[0].slot.Opened(s.phases)
	c.setSession(s)
	return true
}

// carried notes the connection's first response: its slots count as
// dialled from now on (the run's rule that stops it when every first
// connection failed). A session that ends before it carried a request (a
// GOAWAY, no stream allowed, a protocol error with none open) is a failed
// connect, and raises the backoff (drop).
func (c *conn) carried() {
	c.proven, c.dialed = true, true
	for i := range c.st {
		c.st[i].slot.Dialed()
	}
}

// refused counts a session that ended before it carried a request (the
// server's GOAWAY, no stream allowed, a protocol error with no stream
// open) as a failed dial: a connect error whose cause, for the run's
// fail-fast rule, is the server's refusal in HTTP/2 (not a missing server).
func (c *conn) refused(err error) {
	c.dialFailed(&loadgen.ClassError{Class: loadgen.ClassProtocol, Err: err})
}

// dialFailed counts one connect error for the connection. The first dial
// takes no request; a redial takes the next one of the first slot that
// has one (so that -n ends against a server that is down).
func (c *conn) dialFailed(err error) {
	if !c.dialed {
		c.st[0].slot.DialFailed(err, false)
		for i := 1; i < len(c.st); i++ {
			if !c.st[i].slot.None() { // (a slot -n left idle is no worker)
				c.st[i].slot.DialSpent(err)
			}
		}
		c.dialed = true // the first dial is spent
		return
	}
	for i := range c.st {
		st := &c.st[i]
		if st.done {
			continue
		}
		if _, _, more := st.slot.Due(); !more {
			c.slotDone(st)
			continue
		}
		st.slot.DialFailed(err, true)
		return
	}
}

// pending counts the connection as still connecting at the stop, on its
// first slot with requests left; a first dial so counted is settled.
func (c *conn) pending() {
	c.dialed = true
	for i := range c.st {
		if !c.st[i].done {
			c.st[i].slot.ConnectPending()
			return
		}
	}
}

// noStreams ends, after the connect timeout, a session whose server allows
// no stream (it lowered SETTINGS_MAX_CONCURRENT_STREAMS to 0) while
// requests wait: one connect error, and a new connection after the
// backoff. It returns true when it ended the session.
func (c *conn) noStreams() bool {
	s := c.s
	if s.maxStreams != 0 || s.open != 0 || s.goingAway {
		s.zeroAt = -1
		return false
	}
	wait := c.e.opts.DialTimeout
	if s.zeroAt < 0 {
		s.zeroAt = c.now
	}
	if c.now-s.zeroAt < wait {
		c.wakeAt(s.zeroAt + wait)
		return false
	}
	c.refused(fmt.Errorf("%w and did not raise it within %s", errZeroStreams, wait))
	c.drop()
	return true
}
