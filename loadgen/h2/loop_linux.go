//go:build linux

package h2

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"syscall"
	"time"

	"github.com/gowrk/gowrk/loadgen"
	"github.com/gowrk/gowrk/loadgen/poll"
	"golang.org/x/sys/unix"
)

// loop drives all of an h2c thread's connections from one goroutine over
// epoll, as the HTTP/1.1 loop engine does: a ready socket is read into its
// session's buffer, parsed, and the connection's turn (conn.turn, the same
// as the goroutine driver's) runs at once; each connection's wake (a due
// request, a timeout, the end) is a timer in one heap. Where the goroutine
// driver parks and wakes a goroutine per connection turn (16% of its CPU
// in the Go scheduler), the loop reads every ready socket in one wake.
//
// Dials stay blocking, on a goroutine per dial (the route's proxy, source
// address and handshake rules are the goroutine driver's): a connection
// whose dial ended is handed back through dialed and the poller's wake.
// While a connection dials, its goroutine owns it; otherwise the loop does.
type loop struct {
	e       *Engine
	th      *loadgen.Thread
	p       *poll.Poller
	coarse  bool
	events  []unix.EpollEvent
	conns   []*conn
	timers  poll.Timers[conn] // the connections' wakes, paced
	due     []*conn           // timers firing in this wake (scratch)
	now     time.Duration     // the wake's time, an offset from the start of the run
	live    int               // connections not yet over (served, dialing, or on a goroutine)
	stopped bool              // the run stopped: what ends is over, nothing dials
	wg      sync.WaitGroup

	mu     sync.Mutex
	dialed []*conn // connections whose dial goroutine has ended; under mu
	taken  []*conn // the loop's spare for dialed
}

// loopSupported: h2c runs on the event loop here (Driver).
const loopSupported = true

// newPoller makes a loop's poller (a test makes it fail).
var newPoller = poll.New

// loopTimer is a connection's wake among the loop's timers.
type loopTimer = poll.Timer

// runLoop runs the thread's connections on an event loop. Without one (no
// epoll instance: the descriptor limit) each connection fails its first
// dial, as HTTP/1.1's loop engine's do, rather than run on goroutines
// under the loop's name.
func (e *Engine) runLoop(ctx context.Context, th *loadgen.Thread, conns []*conn) {
	p, err := newPoller()
	if err != nil {
		err = fmt.Errorf("epoll: %w", err)
		for _, c := range conns {
			c.drop() // the run's first session, dialed before the loop
			c.dialFailed(err)
			c.finish()
		}
		return
	}
	defer p.Close()
	lp := &loop{e: e, th: th, p: p, coarse: poll.Coarse(), events: make([]unix.EpollEvent, 256), conns: conns, live: len(conns)}
	for i, c := range conns {
		c.idx = i
	}
	stop := context.AfterFunc(ctx, p.Wake)
	defer stop()
	lp.run(ctx)
	lp.wg.Wait()
}

func (lp *loop) since() time.Duration { return time.Since(lp.th.Start) }

func (lp *loop) run(ctx context.Context) {
	lp.now = lp.since()
	for _, c := range lp.conns {
		if c.s != nil {
			lp.adopt(ctx, c) // the run's first connection
		} else {
			lp.dial(ctx, c)
		}
	}
	for lp.live > 0 {
		n, err := poll.Wait(lp.p.Fd, lp.events, lp.waitFor(), lp.coarse)
		lp.now = lp.since()
		if err != nil && err != unix.EINTR {
			// (epoll_pwait2 fails only on a bad set: end what the loop
			// holds, and take the dials back as they end.)
			lp.stop()
			time.Sleep(time.Millisecond)
			lp.takeDialed(ctx)
			continue
		}
		for i := range n {
			ev := &lp.events[i]
			if ev.Fd == 0 { // a dial ended, or the run stopped (ctx: the stop and an abort)
				lp.p.Drain()
				lp.takeDialed(ctx)
				if !lp.stopped && ctx.Err() != nil {
					lp.stop()
				}
				continue
			}
			c := lp.conns[ev.Fd-1]
			if c.dialing || c.s == nil || !c.s.raw {
				continue // its session ended earlier in this wake
			}
			lp.ready(ctx, c, ev.Events)
		}
		lp.timersDue(ctx)
	}
}

// stop ends every connection the loop holds; those still dialing end
// when their dial goroutine hands them back.
func (lp *loop) stop() {
	lp.stopped = true
	for _, c := range lp.conns {
		if !c.dialing && c.s != nil && c.s.raw {
			lp.over(c)
		}
	}
}

// waitFor is how long the next wait may last: until the earliest wake, and
// a wake for timers alone at most once per poll.TimerSlack (poll.Timers, as
// HTTP/1.1's loop).
func (lp *loop) waitFor() time.Duration {
	if w, ok := lp.timers.Wait(lp.now); ok && !lp.stopped {
		return w
	}
	return -1
}

// ready handles a socket's readiness: the rest of a write, then a read.
func (lp *loop) ready(ctx context.Context, c *conn, events uint32) {
	s := c.s
	// The clock per ready socket, not per wake: a wake that reads many
	// sockets would otherwise time the last one's responses at the
	// first one's read (a read of the vDSO clock is ~1% of a read(2)).
	lp.now = lp.since()
	c.now = lp.now
	if events&unix.EPOLLOUT != 0 && s.wpos < len(s.out.b) {
		if err := s.flush(); err != nil {
			c.broken(loadgen.ClassWrite, err)
			lp.after(ctx, c, turnRedial)
			return
		}
		lp.setOut(c)
	}
	if events&(unix.EPOLLIN|unix.EPOLLERR|unix.EPOLLHUP|unix.EPOLLRDHUP) != 0 {
		lp.read(ctx, c)
	}
}

// read reads what the socket has into the session's buffer, parses it and
// runs the connection's turn.
func (lp *loop) read(ctx context.Context, c *conn) {
	s := c.s
	c.room()
	if s.rend == len(s.rbuf) {
		c.connFailed(connError{0x1, "a frame larger than the read buffer"}) // (the parser bounds frames first)
		lp.after(ctx, c, turnRedial)
		return
	}
	n, err := poll.Read(s.fd, s.rbuf[s.rend:])
	switch {
	case n > 0:
		if !c.received(n) {
			lp.after(ctx, c, turnRedial)
			return
		}
	case n == 0:
		c.broken(loadgen.ClassRead, io.EOF)
		lp.after(ctx, c, turnRedial)
		return
	case err == unix.EAGAIN || err == unix.EINTR:
		return
	default:
		c.broken(loadgen.ClassRead, s.opError("read", err))
		lp.after(ctx, c, turnRedial)
		return
	}
	lp.after(ctx, c, c.turn(false))
}

// after acts on what a turn left: wait (the write's rest, the wake), dial
// again, or end the connection.
func (lp *loop) after(ctx context.Context, c *conn, r turnResult) {
	switch {
	case r == turnOver:
		lp.over(c)
	case c.s == nil:
		lp.unwake(c)
		lp.dial(ctx, c)
	default:
		lp.setOut(c)
		lp.setWake(c)
	}
}

// over ends the connection: what is in flight counts at the stop, its
// slots finish, its session closes.
func (lp *loop) over(c *conn) {
	lp.unwake(c)
	if c.s == nil && !c.opened && !c.dialed {
		c.pending() // cut off before its first dial began
	}
	c.finish()
	c.drop()
	lp.live--
}

// dial starts a dial goroutine for the connection (after the backoff of
// earlier failures, as the goroutine driver's connect), or ends the
// connection when there is nothing left to dial for.
func (lp *loop) dial(ctx context.Context, c *conn) {
	if lp.stopped || c.stop.Load() || c.active == 0 || lp.th.Aborted() {
		lp.over(c)
		return
	}
	c.dialing = true
	go func() {
		for c.s == nil && !c.stop.Load() && c.active > 0 && !c.th.Aborted() {
			if !c.connect(ctx) {
				break
			}
		}
		lp.mu.Lock()
		lp.dialed = append(lp.dialed, c)
		lp.mu.Unlock()
		lp.p.Wake()
	}()
}

// takeDialed takes the connections whose dial ended: a session to serve,
// or none (the run is over for it).
func (lp *loop) takeDialed(ctx context.Context) {
	lp.mu.Lock()
	list := lp.dialed
	lp.dialed, lp.taken = lp.taken[:0], list
	lp.mu.Unlock()
	for _, c := range list {
		c.dialing = false
		if c.s == nil || lp.stopped {
			lp.over(c)
			continue
		}
		lp.adopt(ctx, c)
	}
}

// adopt registers a handshaken session's socket and runs its first turn.
// A connection whose socket has no descriptor (none does over h2c) runs
// on a goroutine of its own.
func (lp *loop) adopt(ctx context.Context, c *conn) {
	s := c.s
	fd, ok := socketFd(s.nc)
	if !ok || unix.EpollCtl(lp.p.Fd, unix.EPOLL_CTL_ADD, fd, &unix.EpollEvent{Events: unix.EPOLLIN | unix.EPOLLRDHUP, Fd: int32(c.idx + 1)}) != nil {
		// A socket the loop cannot poll (no descriptor under it, or
		// epoll refused it): the connection runs on a goroutine of its
		// own, the one exception to the loop's name in the reports.
		lp.live--
		lp.wg.Add(1)
		go func() {
			defer lp.wg.Done()
			c.run(ctx)
		}()
		return
	}
	s.raw, s.fd, s.ep, s.wpos = true, fd, lp.p.Fd, 0
	c.out = false
	c.now = lp.now
	if s.rpos < s.rend && !c.parsed() { // frames that came with the server's SETTINGS
		lp.after(ctx, c, turnRedial)
		return
	}
	lp.after(ctx, c, c.turn(false))
}

// socketFd is the descriptor under nc (a TCP or unix socket), which the
// loop reads and writes directly; Go's poller keeps it non-blocking.
func socketFd(nc net.Conn) (int, bool) {
	sc, ok := nc.(syscall.Conn)
	if !ok {
		return -1, false
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return -1, false
	}
	fd := -1
	if rc.Control(func(f uintptr) { fd = int(f) }) != nil {
		return -1, false
	}
	return fd, fd >= 0
}

// setOut asks for EPOLLOUT while frames wait to be written.
func (lp *loop) setOut(c *conn) {
	s := c.s
	want := s.wpos < len(s.out.b)
	if c.out == want {
		return
	}
	ev := uint32(unix.EPOLLIN | unix.EPOLLRDHUP)
	if want {
		ev |= unix.EPOLLOUT
	}
	unix.EpollCtl(lp.p.Fd, unix.EPOLL_CTL_MOD, s.fd, &unix.EpollEvent{Events: ev, Fd: int32(c.idx + 1)})
	c.out = want
}

// timersDue runs the turn of every connection whose wake has come, as the
// timers' slack lets them fire.
func (lp *loop) timersDue(ctx context.Context) {
	if !lp.timers.Fire(lp.now) {
		return
	}
	lp.due = lp.due[:0]
	for c, ok := lp.timers.Pop(lp.now); ok; c, ok = lp.timers.Pop(lp.now) {
		lp.due = append(lp.due, c)
	}
	for _, c := range lp.due {
		if c.dialing || c.s == nil || !c.s.raw {
			continue
		}
		c.wakes++
		c.now = lp.now
		lp.after(ctx, c, c.turn(true))
	}
}

// setWake puts the connection's wake (c.wake; -1: none) among the timers.
func (lp *loop) setWake(c *conn) {
	if c.wake < 0 {
		lp.unwake(c)
		return
	}
	lp.timers.Set(&c.timer, c, c.wake)
}

func (lp *loop) unwake(c *conn) { lp.timers.Clear(&c.timer) }

// flushRaw writes what the socket takes of the gathered frames; the rest
// stays for EPOLLOUT.
func (s *session) flushRaw() error {
	for s.wpos < len(s.out.b) {
		n, err := poll.Write(s.fd, s.out.b[s.wpos:])
		if n > 0 {
			s.wpos += n
			s.out0 += int64(n)
			continue
		}
		if err == unix.EAGAIN {
			return nil
		}
		if err != unix.EINTR {
			return s.opError("write", err)
		}
	}
	s.out.b, s.wpos = s.out.b[:0], 0
	return nil
}

// release takes the socket out of the loop's epoll set before it closes
// (its descriptor number may be reused at once by another dial).
func (s *session) release() {
	if s.raw {
		unix.EpollCtl(s.ep, unix.EPOLL_CTL_DEL, s.fd, nil)
		s.raw = false
	}
}

// opError words a failed read or write as net.Conn's would be, so that
// both drivers report the same error.
func (s *session) opError(op string, err error) error {
	return &net.OpError{Op: op, Net: s.nc.LocalAddr().Network(), Source: s.nc.LocalAddr(), Addr: s.nc.RemoteAddr(), Err: os.NewSyscallError(op, err)}
}
