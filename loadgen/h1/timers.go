//go:build linux

package h1

import (
	"container/heap"
	"errors"
	"time"

	"github.com/gowrk/gowrk/loadgen"
	"golang.org/x/sys/unix"
)

// timerHeap orders a loop's connections by their timer (timerAt, an offset
// from the start of the run): the next due send or redial is at the top.
// A connection has at most one timer; heapIdx is its place (-1: none).
type timerHeap []*lconn

func (h timerHeap) Len() int           { return len(h) }
func (h timerHeap) Less(i, j int) bool { return h[i].timerAt < h[j].timerAt }
func (h timerHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].heapIdx, h[j].heapIdx = i, j
}
func (h *timerHeap) Push(x any) {
	c := x.(*lconn)
	c.heapIdx = len(*h)
	*h = append(*h, c)
}
func (h *timerHeap) Pop() any {
	old := *h
	c := old[len(old)-1]
	*h = old[:len(old)-1]
	c.heapIdx = -1
	return c
}

// pop removes and returns the connection with the earliest timer.
func (h *timerHeap) pop() *lconn { return heap.Pop(h).(*lconn) }

// waitFor is how long the next wait may last: until the next timer, the
// next sweep or the end of the run.
func (l *loop) waitFor() time.Duration {
	d := time.Duration(-1)
	at := func(t time.Duration) {
		if w := max(t-l.now, 0); d < 0 || w < d {
			d = w
		}
	}
	if len(l.timers) > 0 {
		at(l.now + l.slack.Wait(l.now, l.timers[0].timerAt))
	}
	if l.nextSw > 0 {
		at(l.nextSw)
	}
	if l.end >= 0 {
		at(l.end)
	}
	return d
}

// timersDue runs the timers that are due (l.slack notes the firing):
// sends on idle connections, redials after a backoff; then the timeout
// sweep.
func (l *loop) timersDue() {
	if len(l.timers) > 0 && l.slack.Fire(l.now, l.timers[0].timerAt) {
		for len(l.timers) > 0 && l.timers[0].timerAt <= l.now {
			c := l.timers.pop()
			c.timerAt = -1
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
func (l *loop) setTimer(c *lconn, at time.Duration) {
	c.timerAt = at
	if c.heapIdx >= 0 {
		heap.Fix(&l.timers, c.heapIdx)
		return
	}
	heap.Push(&l.timers, c)
}

func (l *loop) clearTimer(c *lconn) {
	if c.heapIdx >= 0 {
		heap.Remove(&l.timers, c.heapIdx)
	}
	c.timerAt = -1
}

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
