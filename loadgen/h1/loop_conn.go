//go:build linux

package h1

import (
	"time"

	"github.com/gowrk/gowrk/loadgen"
	"golang.org/x/sys/unix"
)

// dial starts a non-blocking connect for c. consume says whether a failure
// takes the slot's next request (a redial) or not (the first dial).
func (l *loop) dial(idx int, c *lconn, consume bool) {
	if l.th.Aborted() {
		l.stopped = true
		return
	}
	// The dial's own start (a clock read per connection, not per
	// request): a wake that opens many connections starts the last one
	// long after l.now, which the connect phase must not count.
	since := time.Since(l.th.Start)
	fd, err := connectStart(l.sa, l.family, &l.local)
	if err != nil {
		l.dialFailed(idx, c, err, consume)
		return
	}
	c.fd, c.state, c.since, c.used, c.wleft = fd, stConnecting, since, 0, 0
	c.parser.reset(l.e.head)
	c.out = true
	if err := unix.EpollCtl(l.epfd, unix.EPOLL_CTL_ADD, fd, &unix.EpollEvent{Events: unix.EPOLLOUT | unix.EPOLLIN | unix.EPOLLRDHUP, Fd: int32(idx + 1)}); err != nil {
		unix.Close(fd)
		c.fd, c.state = -1, stClosed
		l.dialFailed(idx, c, err, consume)
		return
	}
	l.armSweep()
	c.consume = consume
}

func (l *loop) dialFailed(idx int, c *lconn, err error, consume bool) {
	c.slot.DialFailed(err, consume)
	c.state = stClosed
	l.redialLater(c)
}

// redialLater raises c's backoff and dials again when it has passed.
func (l *loop) redialLater(c *lconn) {
	c.backoff = loadgen.NextBackoff(c.backoff)
	if _, _, more := c.slot.Due(); !more {
		l.slotDone(c)
		return
	}
	c.timerOn, c.redial = false, true
	l.setTimer(c, l.now+c.backoff)
}

// connected finishes a non-blocking connect.
func (l *loop) connected(idx int, c *lconn) {
	if err := connectResult(c.fd); err != nil {
		consume := c.consume
		l.closeFd(c)
		l.dialFailed(idx, c, err, consume)
		return
	}
	c.state = stOpen
	ph := loadgen.NoPhases
	ph.Connect = max(l.now-c.since, 0) // to the wake that saw the connect end
	c.slot.Opened(ph)
	c.slot.Dialed()
	l.setOut(idx, c, false)
	l.fill(idx, c, false)
}

// broken ends a connection that failed: a stale keep-alive connection (the
// server closed it while idle: nothing of a response came) sends its
// requests again on a new one; otherwise the requests in flight fail with
// class.
func (l *loop) broken(idx int, c *lconn, class loadgen.ErrorClass, err error) {
	unanswered := !c.parser.started && closedByPeer(err)
	if c.n == 0 && c.used > 0 && err == errNoBody {
		c.slot.Reconnected() // closed while idle, before the next request
	}
	fresh := c.used == 0
	for c.n > 0 {
		r := c.pop()
		if unanswered {
			c.slot.Unanswered(!fresh, class != loadgen.ClassWrite, r.due, r.send, l.now, err)
		} else {
			c.slot.Failed(class, err, r.due, r.send, l.now)
		}
	}
	c.head, c.n = 0, 0
	if fresh {
		// A connection that failed before its first response carried
		// nothing: the next dial waits out the backoff, as after a failed
		// dial.
		l.closeFd(c)
		l.redialLater(c)
		return
	}
	l.reopen(idx, c)
}

func (c *lconn) pop() inflight {
	r := c.ring[c.head]
	c.head = (c.head + 1) % len(c.ring)
	c.n--
	return r
}

// reopen closes the socket and dials again at once (a server's Connection:
// close, or a failure); requests still in flight on it were never answered
// and are sent again.
func (l *loop) reopen(idx int, c *lconn) {
	if c.n > 0 {
		c.slot.Untake(uint64(c.n))
		c.head, c.n = 0, 0
	}
	l.closeFd(c)
	if _, _, more := c.slot.Due(); !more {
		l.slotDone(c)
		return
	}
	l.dial(idx, c, true)
}

func (l *loop) closeFd(c *lconn) {
	if c.fd >= 0 {
		unix.Close(c.fd) // also removes it from the epoll set
		c.fd = -1
	}
	c.state, c.out, c.wleft = stClosed, false, 0
	c.parser.partial = c.parser.partial[:0]
	if c.sc != nil {
		c.sc.wbuf = c.sc.wbuf[:0]
	}
}

func (l *loop) slotDone(c *lconn) {
	if c.state == stDone {
		return
	}
	l.closeFd(c)
	l.clearTimer(c)
	c.state = stDone
	l.active--
}
