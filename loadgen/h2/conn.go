package h2

import (
	"context"
	"errors"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gowrk/gowrk/loadgen"
	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// stream is one stream slot of a connection: its Slot and the request it
// has open (id 0: none).
type stream struct {
	slot      *loadgen.Slot
	id        uint32
	due, send time.Duration // offsets from the start of the run
	first     time.Duration // when its first HEADERS frame came; -1: not yet
	timer     int64         // timer lateness (us) for a send on an idle connection; -1 otherwise
	status    int
	sendWin   int64  // the stream's send window (request body)
	bodyOff   int    // request body bytes sent
	recv      int64  // DATA bytes since the stream's last WINDOW_UPDATE
	headers   bool   // the response's (final) headers have come
	done      bool   // the slot has nothing left to send
	body      []byte // the request's body: the target's, or a script's

	sbuf       []byte // a script's request body, kept across streams
	kept, khdr []byte // the response kept for a script's response()
}

// conn is one connection of a thread: its stream slots and the session
// that carries them (redialled when it ends). One goroutine runs it.
type conn struct {
	e     *Engine
	th    *loadgen.Thread
	st    []stream
	tab   []int32 // stream ID -> slot, direct-mapped (a miss scans st)
	s     *session
	spare *session // a finished session, whose buffers the next dial reuses
	mu    sync.Mutex
	stop  atomic.Bool

	active  int // slots not done
	rr      int // where the next fill starts (round robin under a stream limit)
	now     time.Duration
	end     time.Duration // offset of the run's end; -1: none
	limit   time.Duration // a request's timeout; -1: none (it waits for the end)
	wake    time.Duration // the next time the loop must wake; -1: none
	backoff time.Duration
	sleeper loadgen.Sleeper // the backoff's timer
	dialed  bool            // the first dial is settled (carried a request, failed and counted, or pending at the stop)
	opened  bool            // a session of the connection has been handshaken
	proven  bool            // a session of the connection has carried a request
	wakes   uint64          // reads that ended at their deadline (timer wakes)

	// The event loop's (loop_linux.go): the connection's place in the
	// loop, its wake among the loop's timers, whether EPOLLOUT is asked,
	// and whether a dial goroutine owns the connection (the loop touches
	// nothing else of it meanwhile).
	idx          int
	timer        loopTimer
	out, dialing bool

	feed    *loadgen.ScriptFeed // a script's requests; nil without
	capture bool                // the script has response(): keep headers and bodies
	fields  []hpack.HeaderField // a script request's fields, reused
	targets []scriptReq         // each target's request (loadgen.Targets), parsed on first use
}

func newConn(e *Engine, th *loadgen.Thread, slots []*loadgen.Slot) *conn {
	c := &conn{e: e, th: th, st: make([]stream, len(slots)), end: th.EndOffset(), limit: th.RequestLimit()}
	size := 1
	for size < 4*len(slots) {
		size <<= 1
	}
	c.tab = make([]int32, size)
	for i, s := range slots {
		c.st[i] = stream{slot: s, done: s.None()}
		if !s.None() {
			c.active++
		}
	}
	return c
}

func (c *conn) since() time.Duration { return time.Since(c.th.Start) }

// interrupt stops the connection's goroutine: a read in progress returns.
func (c *conn) interrupt() {
	c.stop.Store(true)
	c.mu.Lock()
	if c.s != nil {
		c.s.nc.SetDeadline(aLongTimeAgo)
	}
	c.mu.Unlock()
}

func (c *conn) setSession(s *session) {
	c.mu.Lock()
	c.s = s
	c.mu.Unlock()
	if s != nil && c.stop.Load() {
		s.nc.SetDeadline(aLongTimeAgo)
	}
}

// run drives the connection until every slot is done or the run stops.
func (c *conn) run(ctx context.Context) {
	stop := context.AfterFunc(ctx, c.interrupt)
	defer stop()
	for !c.stop.Load() && c.active > 0 && !c.th.Aborted() {
		if c.s == nil {
			if !c.connect(ctx) {
				break
			}
			continue
		}
		if !c.serve() {
			break
		}
	}
	if c.s == nil && !c.opened && !c.dialed {
		// Its first dial, due from the start, was cut off by the stop
		// before it began (the run's first dial, or one the stop found
		// waiting for a CPU): still connecting at the stop.
		c.pending()
	}
	c.finish()
	c.drop()
}

// turnResult is what a turn of a session leaves to its driver.
type turnResult uint8

const (
	turnWait   turnResult = iota // wait for the server, or the wake (c.wake)
	turnRedial                   // the session ended (dropped): dial another
	turnOver                     // the connection is done, or the run is
)

// serve drives the session until it ends (true: dial another) or the run
// does (false): the goroutine's driver, a blocking read with the wake as
// its deadline between turns.
func (c *conn) serve() bool {
	s := c.s
	fromTimer := false
	if s.rpos < s.rend { // frames that came with the server's SETTINGS
		c.now = c.since()
		if !c.parsed() {
			return true
		}
	}
	for {
		c.now = c.since()
		switch c.turn(fromTimer) {
		case turnRedial:
			return true
		case turnOver:
			return false
		}
		var dl time.Time
		if c.wake >= 0 {
			dl = c.th.Start.Add(c.wake)
		}
		if !dl.Equal(s.deadline) {
			s.deadline = dl
			s.nc.SetReadDeadline(dl)
		}
		c.room()
		n, err := s.nc.Read(s.rbuf[s.rend:])
		c.now = c.since()
		fromTimer = false
		if n > 0 && !c.received(n) {
			return true
		}
		if err != nil {
			if errors.Is(err, os.ErrDeadlineExceeded) && !c.stop.Load() {
				c.wakes++
				fromTimer = true
				continue
			}
			if c.stop.Load() {
				return false
			}
			c.broken(loadgen.ClassRead, err)
			return true
		}
	}
}

// turn is one turn of the session at c.now, whichever driver runs it:
// timeouts, then every due request within the server's stream limit, then
// one write of the frames gathered; it sets c.wake, when the connection
// must next wake without a word from the server.
func (c *conn) turn(fromTimer bool) turnResult {
	s := c.s
	if c.end >= 0 && c.now >= c.end {
		return turnOver
	}
	c.wake = -1
	if c.feed != nil {
		c.scriptEncoder()
	} else if s.reencode {
		s.prepare(c.e.fields)
	}
	c.expire() // first: a slot it frees sends again in this turn
	c.fill(fromTimer)
	c.credit()
	if err := s.flush(); err != nil {
		if c.stop.Load() {
			return turnOver // a write cut by the stop: its streams are in flight there
		}
		c.broken(loadgen.ClassWrite, err)
		return turnRedial
	}
	if c.active == 0 && s.open == 0 {
		return turnOver
	}
	if s.goingAway && s.open == 0 {
		if s.refusedFresh() {
			c.refused(goAwayFresh(s.goAwayCode))
		}
		c.drop()
		return turnRedial
	}
	if c.noStreams() {
		return turnRedial
	}
	if c.end >= 0 {
		c.wakeAt(c.end)
	}
	if c.stop.Load() {
		return turnOver
	}
	return turnWait
}

// room makes room for the next read in the session's buffer.
func (c *conn) room() {
	if s := c.s; s.rend == len(s.rbuf) {
		c.compact()
		s.grow()
	}
}

// received parses the n bytes a read just put after s.rend; false: the
// session failed (connFailed dropped it).
func (c *conn) received(n int) bool {
	s := c.s
	s.rend += n
	s.in += int64(n)
	if s.rend == len(s.rbuf) {
		s.grow() // the read filled the buffer: there is more
	}
	return c.parsed()
}

// parsed parses the buffered frames; false: the session failed.
func (c *conn) parsed() bool {
	if err := c.parse(); err != nil {
		c.connFailed(err)
		return false
	}
	c.compact()
	return true
}

// credit hands the wire bytes counted by the session to the connection's
// first slot.
func (c *conn) credit() {
	if s := c.s; s != nil && (s.in != 0 || s.out0 != 0) {
		c.st[0].slot.Bytes(s.in, s.out0, c.now)
		s.in, s.out0 = 0, 0
	}
}

func (c *conn) wakeAt(t time.Duration) {
	if c.wake < 0 || t < c.wake {
		c.wake = t
	}
}

// fill opens a stream for every slot whose request is due, within the
// server's stream limit, starting round robin. fromTimer says the loop
// woke for a due request.
func (c *conn) fill(fromTimer bool) {
	s := c.s
	idle := fromTimer && s.open == 0
	n := len(c.st)
	for k := range n {
		i := (c.rr + k) % n
		st := &c.st[i]
		if st.id != 0 || st.done {
			continue
		}
		if s.goingAway || uint32(s.open) >= s.maxStreams {
			if _, _, more := st.slot.Due(); !more {
				c.slotDone(st)
			}
			continue
		}
		if s.nextID > maxStreamID {
			s.goingAway, s.lastID = true, maxStreamID // out of stream IDs: drain, then a new connection
			continue
		}
		step := st.slot.Next(c.now, c.feed)
		switch step.Kind {
		case loadgen.NextDone:
			c.slotDone(st)
			continue
		case loadgen.NextStop:
			c.stop.Store(true) // the script stopped its thread, or failed
			return
		case loadgen.NextLater:
			c.wakeAt(step.At)
			continue
		}
		var req []byte
		if c.feed != nil {
			req = c.feed.Take()
		}
		due, timer := st.slot.Send(c.now, step, idle)
		idle = false
		if req != nil {
			if err := c.openScript(i, due, timer, req); err != nil {
				c.th.Abort(err)
				c.stop.Store(true)
				return
			}
			c.rr = i + 1
			continue
		}
		c.open(i, due, timer)
		c.rr = i + 1
	}
}

func (c *conn) slotDone(st *stream) {
	if !st.done {
		st.done = true
		c.active--
	}
}

// broken ends a session whose connection failed: its open streams fail
// with class, or as goaway when a GOAWAY had announced the end. A failed
// write fails the streams opened in this turn (sent at c.now) as write
// errors, the others as read errors.
func (c *conn) broken(class loadgen.ErrorClass, err error) {
	s := c.s
	if s.refusedFresh() {
		c.refused(goAwayFresh(s.goAwayCode)) // every stream was given back
	}
	for i := range c.st {
		st := &c.st[i]
		if st.id == 0 {
			continue
		}
		cl, e := class, err
		if class == loadgen.ClassWrite && st.send < c.now {
			// Sent in an earlier turn: the connection died under it (a
			// reset that this turn's write met first), not its write.
			cl = loadgen.ClassRead
		}
		if s.goingAway {
			cl, e = loadgen.ClassGoAway, goAwayError(s.goAwayCode)
		}
		st.slot.Failed(cl, e, st.due, st.send, c.now)
		c.closeStream(st)
	}
	c.drop()
}

// connFailed handles a connection error gowrk found: GOAWAY with its code,
// and the open streams fail as protocol errors; with none open on a
// connection that carried nothing yet, it is a failed connect.
func (c *conn) connFailed(err error) {
	s := c.s
	code := http2.ErrCodeProtocol
	var ce connError
	if errors.As(err, &ce) {
		code = ce.code
	}
	s.fr.WriteGoAway(0, code, nil)
	s.flush()
	if s.open == 0 && s.completed == 0 && !s.refusedFresh() {
		c.refused(err) // before it carried any request: a failed connect
	}
	c.broken(loadgen.ClassProtocol, err)
}

// drop closes the session; the next dial reuses its buffers.
func (c *conn) drop() {
	if c.s == nil {
		return
	}
	c.credit()
	s := c.s
	// The shared redial backoff: a session that carried no request (none
	// sent, or all given back to a GOAWAY) is a failed dial; one that
	// carried some, answered or failed, resets it (as a request over
	// HTTP/1.1 does).
	if s.opened == 0 {
		c.backoff = loadgen.NextBackoff(c.backoff)
	} else {
		c.backoff = 0
	}
	c.setSession(nil)
	s.close()
	c.spare = s
}

// finish counts what is in flight at the stop and finishes every slot.
func (c *conn) finish() {
	now := c.th.StopAt()
	c.now = now
	c.credit()
	for i := range c.st {
		st := &c.st[i]
		if st.id != 0 {
			st.slot.InFlight(st.due, st.send, now)
			st.id = 0
		}
		st.slot.Finish(now)
	}
	if c.s != nil {
		c.s.open = 0
	}
}
