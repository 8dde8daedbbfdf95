//go:build linux

package h1

import (
	"errors"
	"time"

	"github.com/gowrk/gowrk/loadgen"
	"golang.org/x/sys/unix"
)

// waitFor is how long the next wait may last: until the next timer, the
// next sweep or the end of the run.
func (l *loop) waitFor() time.Duration {
	d := time.Duration(-1)
	at := func(t time.Duration) {
		if w := max(t-l.now, 0); d < 0 || w < d {
			d = w
		}
	}
	if w, ok := l.timers.Wait(l.now); ok {
		at(l.now + w)
	}
	if l.nextSw > 0 {
		at(l.nextSw)
	}
	if l.end >= 0 {
		at(l.end)
	}
	return d
}

// timersDue runs the timers that are due, as their slack lets them fire:
// sends on idle connections, redials after a backoff; then the timeout
// sweep.
func (l *loop) timersDue() {
	if l.timers.Fire(l.now) {
		for c, ok := l.timers.Pop(l.now); ok; c, ok = l.timers.Pop(l.now) {
			switch {
			case c.state == stDone:
			case c.redial && c.state == stClosed:
				l.dial(c.idx, c, true)
			case c.timerOn:
				l.fill(c.idx, c, true)
			}
		}
	}
	if l.nextSw > 0 && l.now >= l.nextSw {
		l.sweepAges()
	}
}

// setTimer sets c's one timer to at.
func (l *loop) setTimer(c *lconn, at time.Duration) { l.timers.Set(&c.timer, c, at) }

func (l *loop) clearTimer(c *lconn) { l.timers.Clear(&c.timer) }

// armSweep makes sure the timeout sweep is scheduled.
func (l *loop) armSweep() {
	if l.nextSw == 0 {
		l.nextSw = l.now + l.sweep
	}
}

// sweepAges is the per-thread timeout sweep (as wrk2's): connects older
// than --connect-timeout fail; under --timeout-action abort, requests older
// than --timeout are abandoned with their connection (and so are, without
// a run end, requests older than the wait limit).
func (l *loop) sweepAges() {
	l.nextSw = 0
	limit := l.th.RequestLimit()
	busy := false
	for idx, c := range l.conns {
		switch {
		case c.state == stConnecting:
			busy = true
			if l.now-c.since >= l.e.timeout {
				consume := c.consume
				l.closeFd(c)
				l.dialFailed(idx, c, unix.ETIMEDOUT, consume)
			}
		case c.state == stOpen && c.n > 0 && limit >= 0:
			busy = true
			if r := c.ring[c.head]; l.now-r.send >= limit {
				for range c.n {
					r := c.pop()
					c.slot.Failed(loadgen.ClassTimeout, errTimedOut, r.due, r.send, l.now)
				}
				c.head, c.n = 0, 0
				l.reopen(idx, c)
			}
		}
	}
	if busy {
		l.armSweep()
	}
}

var errTimedOut = errors.New("i/o timeout")
