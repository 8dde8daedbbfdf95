//go:build linux

package h1

import (
	"bytes"
	"fmt"

	"github.com/gowrk/gowrk/loadgen"
)

// connScript is a connection's share of a script's requests: the feed
// (request()'s batches, delay()) and the bytes of the requests taken and
// not yet written. It exists only when the thread has hooks; the loop
// without a script never touches it.
type connScript struct {
	feed loadgen.ScriptFeed
	wbuf []byte // taken requests' bytes; the last wleft are unwritten
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
		return fmt.Errorf("the script's thread.addr %q: want ip:port", l.hooks.Addr())
	}
	l.sa, l.family = sa, family
	return nil
}

// scriptRoom says whether the script's next request (made ready by the
// pre-send step) may go now: a new batch waits until it fits in the
// connection's window whole (wrk writes request()'s bytes at once), the
// window growing to the largest batch.
func (l *loop) scriptRoom(c *lconn) bool {
	f := &c.sc.feed
	if n := f.Len(); n > len(c.ring) {
		c.grow(n)
	}
	return !(f.Fresh() && c.n > 0 && c.n+f.Len() > len(c.ring))
}

// scriptTake moves the batch's next request to the write buffer and says
// whether it is a HEAD request.
func (l *loop) scriptTake(c *lconn) bool {
	req := c.sc.feed.Take()
	c.sc.wbuf = append(c.sc.wbuf, req...)
	c.wleft += len(req)
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
