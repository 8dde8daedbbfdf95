//go:build linux

package h1

import (
	"context"
	"fmt"
	"time"

	"github.com/gowrk/gowrk/loadgen"
	"github.com/gowrk/gowrk/loadgen/poll"
	"golang.org/x/sys/unix"
)

// LoopEngine is the event-loop HTTP/1.1 engine: one loop per -t thread over
// epoll owns all of the thread's connections (non-blocking sockets), writes
// the prebuilt request bytes, parses responses in place from one per-thread
// read buffer, and wakes for the next due request with epoll_pwait2's
// nanosecond timeout. A connection costs a few hundred bytes of state, not
// a goroutine and a buffer. http:// only: TLS wants a blocking net.Conn and
// stays on the goroutine engine.
type LoopEngine struct {
	*Engine     // the request bytes, the address; Dial for a probe
	sa          unix.Sockaddr
	family      int
	coarseTimer bool // no epoll_pwait2: millisecond timeouts
}

var _ loadgen.ThreadEngine = (*LoopEngine)(nil)

// ReadChunk is the loop's per-thread read buffer: one read takes up to this
// much from a connection.
const ReadChunk = 64 << 10

// NewLoop builds the event-loop engine for t (an http:// target). How
// many requests a connection keeps in flight (-P) is the run's
// (Thread.Pipeline).
func NewLoop(ctx context.Context, t loadgen.Target, dialTimeout time.Duration) (*LoopEngine, error) {
	if t.URL.Scheme != "http" {
		return nil, loadgen.ConfigErrorf("{Engine} loop speaks http:// only; https:// runs on {Engine} goroutine (crypto/tls wants a blocking connection)")
	}
	e, err := New(ctx, t, dialTimeout)
	if err != nil {
		return nil, err
	}
	sa, family, err := routeSockaddr(e.dial)
	if err != nil {
		return nil, err
	}
	return &LoopEngine{Engine: e, sa: sa, family: family, coarseTimer: poll.Coarse()}, nil
}

// Info implements loadgen.ThreadEngine.
func (e *LoopEngine) Info() loadgen.ConnInfo { return loadgen.ConnInfo{Protocol: "http/1.1"} }

// RunThread implements loadgen.ThreadEngine.
func (e *LoopEngine) RunThread(ctx context.Context, th *loadgen.Thread) {
	l, err := e.newLoop(th)
	if err != nil {
		// No poller (descriptor limit): every slot fails its first dial.
		for _, s := range th.Slots {
			s.DialFailed(err, false)
			s.Finish(time.Since(th.Start))
		}
		return
	}
	defer l.close()
	stop := context.AfterFunc(ctx, l.poller.Wake)
	defer stop()
	l.run()
}

// inflight is one request sent on a connection and not yet answered.
type inflight struct {
	due, send time.Duration // offsets from the start of the run
	first     time.Duration // when its response's first byte came (the read's wake); -1: not yet
	timer     int64         // timer lateness (us) when sent by a timer on an idle connection; -1 otherwise
	head      bool          // a HEAD request: its response has no body (scripts)
}

// lconn is one connection of a loop: its descriptor, parse state and the
// requests in flight on it (at most the pipeline depth).
type lconn struct {
	slot    *loadgen.Slot
	idx     int // its place in the loop's connections
	fd      int
	state   uint8
	out     bool // registered for EPOLLOUT
	wleft   int  // request bytes still to write
	ring    []inflight
	head, n int
	used    int // responses completed on this socket
	parser  parser
	backoff time.Duration
	since   time.Duration // connecting since
	timer   poll.Timer    // the connection's one timer, in loop.timers
	timerOn bool          // the timer is for a due send on an idle connection
	redial  bool          // the timer is for a redial
	consume bool          // a failure of the connect in progress takes a request
	sc      *connScript   // a script's requests; nil without hooks
	step    loadgen.Step  // the pre-send step's last word
}

const (
	stClosed uint8 = iota
	stConnecting
	stOpen
	stDone // the slot has nothing left to send
)

type loop struct {
	e       *LoopEngine
	sa      unix.Sockaddr // the loop's own copy: x/sys caches the raw form inside it
	family  int
	th      *loadgen.Thread
	poller  *poll.Poller
	epfd    int // poller.Fd
	events  []unix.EpollEvent
	rbuf    []byte
	reqs    []byte // Pipeline copies of the request
	conns   []*lconn
	timers  poll.Timers[lconn] // the connections' timers, paced
	now     time.Duration
	end     time.Duration // offset of the end; -1: none
	sweep   time.Duration // interval of the timeout sweep
	nextSw  time.Duration
	active  int // connections whose slot is not done
	stopped bool
	done    func(int, bool) // the parser's callback, bound once
	cur     *lconn          // the connection being parsed
	hooks   loadgen.Hooks   // the thread's script; nil without
	local   locals          // source addresses to bind, in turn (the route's)
}

func (e *LoopEngine) newLoop(th *loadgen.Thread) (*loop, error) {
	p, err := poll.New()
	if err != nil {
		return nil, fmt.Errorf("epoll: %w", err)
	}
	l := &loop{e: e, sa: cloneSockaddr(e.sa), th: th, poller: p, epfd: p.Fd, events: make([]unix.EpollEvent, 512), rbuf: make([]byte, ReadChunk), end: -1, hooks: th.Hooks, family: e.family}
	if err := l.scriptAddr(); err != nil {
		p.Close()
		return nil, err
	}
	depth := max(th.Pipeline, 1)
	for range depth {
		l.reqs = append(l.reqs, e.request...)
	}
	l.end = th.EndOffset()
	l.local = newLocals(e.dial, l.family, th.Index)
	l.sweep = min(100*time.Millisecond, max(time.Millisecond, th.Timeout/10), max(time.Millisecond, e.timeout/10))
	for _, s := range th.Slots {
		c := &lconn{slot: s, idx: len(l.conns), fd: -1, ring: make([]inflight, depth)}
		c.parser.head, c.parser.noKeep = e.head, e.noKeep
		if l.hooks != nil {
			c.sc = &connScript{feed: loadgen.ScriptFeed{Hooks: l.hooks}}
			c.parser.capture = l.hooks.WantsResponse()
		}
		if s.None() {
			c.state = stDone
		} else {
			l.active++
		}
		l.conns = append(l.conns, c)
	}
	l.done = l.complete
	return l, nil
}

func (l *loop) close() {
	for _, c := range l.conns {
		if c.fd >= 0 {
			unix.Close(c.fd)
			c.fd = -1
		}
	}
	l.poller.Close()
}

// run is the loop: wait for readiness or the next timer, handle it, until
// every slot is done or the run stops. Then whatever is in flight is
// counted as such, and every slot is finished.
func (l *loop) run() {
	l.now = time.Since(l.th.Start)
	for i, c := range l.conns {
		if c.state != stDone {
			l.dial(i, c, false)
		}
	}
	for !l.stopped && l.active > 0 {
		n, err := poll.Wait(l.epfd, l.events, l.waitFor(), l.e.coarseTimer)
		l.now = time.Since(l.th.Start)
		if err != nil && err != unix.EINTR {
			break
		}
		if l.end >= 0 && l.now >= l.end {
			break // (a stop before the end wakes the loop through its poller)
		}
		for i := range n {
			ev := &l.events[i]
			if ev.Fd == 0 {
				l.stopped = true
				break
			}
			idx := int(ev.Fd) - 1
			c := l.conns[idx]
			if ev.Events&(unix.EPOLLOUT|unix.EPOLLERR|unix.EPOLLHUP) != 0 && c.state == stConnecting {
				l.connected(idx, c)
				continue
			}
			if ev.Events&unix.EPOLLOUT != 0 && c.state == stOpen && c.wleft > 0 {
				l.write(idx, c)
			}
			if ev.Events&(unix.EPOLLIN|unix.EPOLLERR|unix.EPOLLHUP|unix.EPOLLRDHUP) != 0 && c.state == stOpen {
				l.read(idx, c)
			}
		}
		l.timersDue()
	}
	l.finish()
}

// fill sends as many of the slot's requests as are due and fit in the
// pipeline, in one write. fromTimer says the connection's send timer fired.
func (l *loop) fill(idx int, c *lconn, fromTimer bool) {
	if c.state != stOpen {
		return
	}
	var feed *loadgen.ScriptFeed
	if c.sc != nil {
		feed = &c.sc.feed
	}
	k := 0
	for c.n < len(c.ring) && l.next(c, feed) {
		due, timer := c.slot.Send(l.now, c.step, fromTimer && c.n == 0 && k == 0)
		r := inflight{due: due, send: l.now, first: -1, timer: timer}
		if c.sc != nil {
			r.head = l.scriptTake(c)
		}
		c.ring[(c.head+c.n)%len(c.ring)] = r
		c.n++
		k++
	}
	if k > 0 {
		if c.sc == nil {
			c.wleft += k * len(l.e.request)
		}
		if l.th.TimeoutAction == loadgen.TimeoutAbort || l.end < 0 {
			l.armSweep() // the sweep abandons requests past their limit
		}
		l.write(idx, c)
	}
}

// next is the seam's pre-send step for c's next request: true when it
// goes now (c.step says when it was due); otherwise c waits for its timer,
// for room in its window (a script's batch), or for nothing (done).
func (l *loop) next(c *lconn, feed *loadgen.ScriptFeed) bool {
	c.step = c.slot.Next(l.now, feed)
	switch c.step.Kind {
	case loadgen.NextGo:
		return c.sc == nil || l.scriptRoom(c)
	case loadgen.NextLater:
		c.timerOn, c.redial = true, false
		l.setTimer(c, c.step.At)
	case loadgen.NextDone:
		if c.n == 0 && c.wleft == 0 {
			l.slotDone(c)
		}
	case loadgen.NextStop:
		l.stopped = true
	}
	return false
}

// write writes the pending request bytes (a suffix of the prebuilt
// pipeline buffer: every request is the same).
func (l *loop) write(idx int, c *lconn) {
	buf := l.reqs
	if c.sc != nil {
		buf = c.sc.wbuf // a script's requests, as taken
	}
	for c.wleft > 0 {
		n, err := poll.Write(c.fd, buf[len(buf)-c.wleft:])
		if n > 0 {
			c.wleft -= n
			c.slot.Bytes(0, int64(n), l.now)
			continue
		}
		if err == unix.EAGAIN {
			l.setOut(idx, c, true)
			return
		}
		if err == unix.EINTR {
			continue
		}
		l.broken(idx, c, loadgen.ClassWrite, err)
		return
	}
	if c.sc != nil {
		c.sc.wbuf = c.sc.wbuf[:0]
	}
	if c.out {
		l.setOut(idx, c, false)
	}
}

func (l *loop) setOut(idx int, c *lconn, on bool) {
	if c.out == on {
		return
	}
	ev := uint32(unix.EPOLLIN | unix.EPOLLRDHUP)
	if on {
		ev |= unix.EPOLLOUT
	}
	unix.EpollCtl(l.epfd, unix.EPOLL_CTL_MOD, c.fd, &unix.EpollEvent{Events: ev, Fd: int32(idx + 1)})
	c.out = on
}

// read reads what the connection has and parses it.
func (l *loop) read(idx int, c *lconn) {
	n, err := poll.Read(c.fd, l.rbuf)
	switch {
	case n > 0:
		c.slot.Bytes(int64(n), 0, l.now)
		l.cur = c
		if err := c.parser.feed(l.rbuf[:n], l.done); err != nil {
			l.broken(idx, c, loadgen.ClassRead, err)
			return
		}
		if c.n > 0 && c.parser.started && c.ring[c.head].first < 0 {
			c.ring[c.head].first = l.now // a response begun in this read, ended in a later one
		}
		if c.state == stClosed { // a response asked to close
			l.reopen(idx, c)
			return
		}
		l.fill(idx, c, false)
	case n == 0 || (err != nil && err != unix.EAGAIN && err != unix.EINTR):
		if n == 0 {
			err = errNoBody
			l.cur = c
			if c.parser.eof(l.done) {
				l.reopen(idx, c)
				return
			}
		}
		l.broken(idx, c, loadgen.ClassRead, err)
	}
}

// complete is the parser's callback: the oldest request in flight on the
// connection being parsed has its response.
func (l *loop) complete(status int, close bool) {
	c := l.cur
	if c.n == 0 {
		return // an answer nobody asked for; the sweep of the conn follows
	}
	r := c.ring[c.head]
	c.head = (c.head + 1) % len(c.ring)
	c.n--
	c.used++
	c.backoff = 0 // the connection carried a request
	first := r.first
	if first < 0 {
		first = l.now // its first byte came in this read
	}
	c.slot.Completed(r.due, r.send, first, l.now, status, r.timer)
	if c.sc != nil {
		l.scriptResponse(c, status)
	}
	if close {
		c.state = stClosed // the caller reopens once the buffer is parsed
	}
}

// finish counts what is in flight at the stop and finishes every slot.
func (l *loop) finish() {
	now := l.th.StopAt()
	for _, c := range l.conns {
		if c.state == stConnecting {
			c.slot.ConnectPending()
		}
		for c.n > 0 {
			r := c.pop()
			c.slot.InFlight(r.due, r.send, now)
		}
		c.slot.Finish(now)
	}
}
