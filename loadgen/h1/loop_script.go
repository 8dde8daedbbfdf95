//go:build linux

package h1

import (
	"bytes"
	"fmt"
	"time"

	"github.com/gowrk/gowrk/loadgen"
)

// connScript is a connection's share of a script's requests (loadgen.Hooks):
// the batch request() returned and how much of it has been taken, and the
// bytes of the requests taken and not yet written. It exists only when the
// thread has hooks; the loop without a script never touches it.
type connScript struct {
	wbuf      []byte // taken requests' bytes; the last wleft are unwritten
	pend      []byte // the batch from request()
	lens      []int  // the lengths of its requests, in order
	next      int    // the batch's next request to take
	off       int    // its offset in pend
	delay     time.Duration
	delayFrom time.Duration // when the batch was asked for (closed loop)
}

// HooksPerConn implements loadgen.HookRunner: one loop per thread runs
// its script thread, as wrk runs one Lua state per thread.
func (e *LoopEngine) HooksPerConn() bool { return false }

// scriptAddr points the loop at the script's thread.addr, when set.
func (l *loop) scriptAddr() error {
	if l.hooks == nil || l.hooks.Addr() == "" {
		return nil
	}
	sa, family, err := sockaddr(l.hooks.Addr())
	if err != nil {
		return fmt.Errorf("--script: thread.addr %q: want ip:port", l.hooks.Addr())
	}
	l.sa, l.family = sa, family
	return nil
}

// scriptNext makes sure c has a script request to take: it asks request()
// for a new batch (and delay() for its wait) when the last one is spent.
// It returns when the request may go out (due plus the delay under a
// schedule; the batch's time plus the delay in closed loop), or false when
// it may not yet: a new batch waits until it fits in the connection's
// window whole (wrk writes request()'s bytes at once), and a script that
// failed or stopped its thread stops the loop.
func (l *loop) scriptNext(c *lconn, due time.Duration, scheduled bool) (time.Duration, bool) {
	sc := c.sc
	if sc.next >= len(sc.lens) {
		if l.hooks.Stopped() {
			l.stopped = true
			return 0, false
		}
		b, err := l.hooks.Request(sc.pend[:0])
		if err == nil {
			sc.pend = b
			sc.lens, err = loadgen.SplitRequests(b, sc.lens[:0])
		}
		var d time.Duration
		if err == nil {
			d, err = l.hooks.Delay()
		}
		if err != nil {
			sc.lens, sc.next = sc.lens[:0], 0
			l.th.Abort(err)
			l.stopped = true
			return 0, false
		}
		sc.next, sc.off, sc.delay, sc.delayFrom = 0, 0, d, l.now
		if len(sc.lens) > len(c.ring) {
			c.grow(len(sc.lens))
		}
	}
	if sc.next == 0 && c.n > 0 && c.n+len(sc.lens) > len(c.ring) {
		return 0, false
	}
	if scheduled {
		return due + sc.delay, true
	}
	return sc.delayFrom + sc.delay, true
}

// scriptTake moves the batch's next request to the write buffer and says
// whether it is a HEAD request.
func (l *loop) scriptTake(c *lconn) bool {
	sc := c.sc
	n := sc.lens[sc.next]
	req := sc.pend[sc.off : sc.off+n]
	sc.next++
	sc.off += n
	sc.wbuf = append(sc.wbuf, req...)
	c.wleft += n
	head := bytes.HasPrefix(req, []byte("HEAD "))
	if c.n == 0 {
		c.parser.head = head // its response is the next one parsed
	}
	return head
}

// scriptResponse hands a complete response to response(), and readies the
// parser for the next one's method.
func (l *loop) scriptResponse(c *lconn, status int) {
	if c.n > 0 {
		c.parser.head = c.ring[c.head].head
	}
	if !l.hooks.WantsResponse() {
		return
	}
	if err := l.hooks.Response(status, c.parser.hdr, c.parser.body); err != nil {
		l.th.Abort(err)
		l.stopped = true
		return
	}
	if l.hooks.Stopped() {
		l.stopped = true
	}
}

// grow makes c's ring hold n requests in flight, keeping their order.
func (c *lconn) grow(n int) {
	ring := make([]inflight, n)
	for i := range c.n {
		ring[i] = c.ring[(c.head+i)%len(c.ring)]
	}
	c.ring, c.head = ring, 0
}
