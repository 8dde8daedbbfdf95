package loadgen

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"
)

// connThreads is the adapter that makes a ConnEngine (one blocking Conn at
// a time: HTTP/1.1 over TLS, or anywhere without the event loop) a
// ThreadEngine: one goroutine per connection, each driving its Slot through
// the seam's rules (seam.go) as the event loops do. Run wraps every
// ConnEngine in one, so that there is one way to run a thread.
type connThreads struct {
	eng ConnEngine
	mu  sync.Mutex
	// last is the last connection dialled, for Info.
	last Conn
}

var _ FirstDialer = (*connThreads)(nil)

// WaitLimitFactor bounds how long a request waits for its response under
// TimeoutWait when the run has no end (-n alone): WaitLimitFactor x Timeout,
// after which it is abandoned and counted as a timeout.
const WaitLimitFactor = 10

// Info implements Engine: what the last connection negotiated, when one
// could say (TLS), or the engine's own word.
func (a *connThreads) Info() ConnInfo {
	a.mu.Lock()
	c := a.last
	a.mu.Unlock()
	if in, ok := c.(Informer); ok {
		if ci := in.Info(); ci.Protocol != "" {
			return ci
		}
	}
	return a.eng.Info()
}

// DialFirst implements FirstDialer.
func (a *connThreads) DialFirst(ctx context.Context) (any, error) {
	c, err := a.eng.Dial(ctx)
	if err != nil {
		return nil, err
	}
	a.keep(c)
	return c, nil
}

func (a *connThreads) keep(c Conn) {
	a.mu.Lock()
	a.last = c
	a.mu.Unlock()
}

// RunThread implements ThreadEngine: one worker goroutine per connection;
// at the run's stop every worker is interrupted and waited for.
func (a *connThreads) RunThread(ctx context.Context, th *Thread) {
	first, _ := th.First.(Conn)
	shares := a.shares(th)
	var workers []*worker
	var wg sync.WaitGroup
	for i, s := range th.Slots {
		w := &worker{slot: s, th: th, eng: a}
		if shares != nil {
			w.share = shares[i/th.Streams]
		}
		if hooks := th.HooksFor(i); hooks != nil {
			w.addr = hooks.Addr()
			w.feed = &ScriptFeed{Hooks: hooks}
		}
		if s.none {
			continue // -n smaller than the slots: this one has nothing to do
		}
		if first != nil && w.addr == "" { // (a thread.addr elsewhere dials its own)
			w.conn, w.shared, w.fresh, first = first, first, true, nil
			s.Opened(PhasesOf(w.conn))
			if w.share != nil {
				w.share.Seed = w.conn
			}
			s.Dialed()
		}
		workers = append(workers, w)
		wg.Add(1)
		go func() { defer wg.Done(); w.loop(ctx) }()
	}
	if first != nil && shares == nil {
		first.Close()
	}
	allDone := make(chan struct{})
	go func() { wg.Wait(); close(allDone) }()
	select {
	case <-allDone:
	case <-ctx.Done():
		for _, w := range workers {
			w.interrupt()
		}
		<-allDone
	}
	for _, w := range workers {
		w.dropConn()
	}
	if shares != nil {
		a.closeShares(shares, first)
	}
}

// worker drives one connection's slot (HTTP/1.1 has one stream per
// connection): it takes each request through the seam's pre-send step,
// sends it on its connection, and records the outcome on its Slot. Only
// the worker goroutine touches its fields, except those under mu, which
// interrupt also touches.
type worker struct {
	slot *Slot
	th   *Thread
	eng  *connThreads
	addr string // a script's thread.addr; "": the target's
	// share is the connection the worker's stream is on, under a
	// StreamEngine; nil otherwise.
	share *Shared

	fresh   bool // conn has carried no request yet
	backoff time.Duration
	sleeper Sleeper
	feed    *ScriptFeed // a script's requests; nil without

	conn Conn        // the connection (nil between a drop and a dial); the worker's own copy
	stop atomic.Bool // set once by interrupt
	mu   sync.Mutex
	// shared is conn as interrupt sees it.
	shared Conn
}

func (w *worker) loop(ctx context.Context) {
	s, th := w.slot, w.th
	defer func() { s.Finish(time.Since(th.Start)) }()
	if w.conn == nil && !w.dial(ctx, false) {
		return
	}
	var res Response
	idleWake := false // the worker slept until this request was due
	for {
		now := time.Since(th.Start)
		step := s.Next(now, w.feed)
		switch step.Kind {
		case NextDone, NextStop:
			return
		case NextLater:
			if !w.sleeper.Sleep(ctx, step.At-now) {
				return
			}
			idleWake = true
			continue
		}
		if w.conn == nil {
			if !w.redial(ctx) {
				return
			}
			idleWake = false // the dial took its time: not the timer's lateness
			continue
		}
		if w.stop.Load() {
			return
		}
		deadline, own := w.deadline(now)
		due, timerLate := s.Send(now, step, idleWake)
		idleWake = false
		var err error
		res.First = time.Time{} // (a Conn that does not see it leaves it unknown)
		if w.feed != nil {
			err = w.doScript(deadline, &res)
		} else {
			err = w.conn.Do(deadline, &res)
		}
		done := time.Since(th.Start)
		s.Bytes(res.BytesIn, res.BytesOut, done)
		if err == nil {
			w.fresh, w.backoff = false, 0
			first := time.Duration(-1)
			if !res.First.IsZero() {
				first = res.First.Sub(th.Start)
			}
			s.Completed(due, now, first, done, res.Status, timerLate)
			if w.feed != nil && !w.response(res.Status) {
				return
			}
			if res.Close {
				w.dropConn()
			}
			continue
		}
		if !w.failed(err, due, now, done, own) {
			return
		}
	}
}

// deadline is when the request sent at send is cut off, and whether that
// is its own limit (true) or the end of the run (false).
func (w *worker) deadline(send time.Duration) (time.Time, bool) {
	th := w.th
	limit, end := th.RequestLimit(), th.EndOffset()
	if limit < 0 || (end >= 0 && send+limit > end) {
		return th.End, false
	}
	return th.Start.Add(send + limit), true
}

// failed accounts for a request that ended in err and drops the
// connection. It returns false when the run is over.
func (w *worker) failed(err error, due, send, done time.Duration, ownDeadline bool) bool {
	s := w.slot
	fresh := w.fresh
	if sc, ok := w.conn.(StreamConn); ok && sc.Answered() {
		fresh = false // another stream's response came on the connection
	}
	w.fresh = false
	w.dropConn()
	var ue *UnansweredError
	if err == ErrStale || errors.As(err, &ue) {
		if w.stop.Load() {
			s.InFlight(due, send, done) // unanswered at the stop
			return false
		}
		s.Unanswered(!fresh, ue == nil || ue.Written, due, send, done, err)
		if fresh {
			w.backoff = NextBackoff(w.backoff)
		}
		return !w.th.Aborted()
	}
	class := ClassRead
	var ce *ClassError
	if errors.As(err, &ce) {
		class = ce.Class
	}
	if class == ClassConnect && fresh {
		s.RefusedFresh(err, false)
		return !w.th.Aborted()
	}
	if w.stop.Load() || (class == ClassTimeout && !ownDeadline) {
		s.InFlight(due, send, done)
		return false
	}
	s.Failed(class, err, due, send, done)
	if fresh {
		// A connection that failed its first request carried nothing:
		// the next dial waits, as after a failed dial.
		w.backoff = NextBackoff(w.backoff)
	}
	return true
}

// redial dials after a lost connection, first waiting out the backoff of
// earlier failures (Thread.Backoff). It returns false when the run ended
// meanwhile; a failed dial leaves the connection nil (counted, and
// consuming the request it was for).
func (w *worker) redial(ctx context.Context) bool {
	if !w.th.Backoff(ctx, &w.sleeper, w.backoff) {
		return false
	}
	return w.dial(ctx, true)
}

// dial opens the worker's connection. It returns false when the run ended
// meanwhile (a dial still in progress at the stop counts as pending); a
// failed dial is counted (consuming a request when consume), raises the
// backoff and returns true with no connection.
func (w *worker) dial(ctx context.Context, consume bool) bool {
	var c Conn
	var err error
	if se, ok := w.eng.eng.(StreamEngine); ok && w.share != nil {
		c, err = se.DialStream(ctx, w.share)
	} else if ad, ok := w.eng.eng.(AddrDialer); ok && w.addr != "" {
		c, err = ad.DialAddr(ctx, w.addr)
	} else {
		c, err = w.eng.eng.Dial(ctx)
	}
	if err == nil {
		w.mu.Lock()
		stopped := w.stop.Load()
		if !stopped {
			w.conn, w.shared = c, c
		}
		w.mu.Unlock()
		if stopped {
			c.Close()
			return false
		}
		w.eng.keep(c)
		w.fresh = true
		if sc, ok := c.(StreamConn); !ok || sc.Dialled() {
			w.slot.Opened(PhasesOf(c))
		}
		w.slot.Dialed()
		return true
	}
	// A dial cut off by the end of the run is the end, not a fault. The
	// dialler uses the run's deadline directly, so the dial can fail just
	// before the context reports itself done: Over checks the clock too.
	if w.stop.Load() || w.th.Over(ctx, time.Since(w.th.Start)) {
		w.slot.ConnectPending()
		return false
	}
	if errors.Is(err, ErrSharedDialFailed) {
		// Counted by the stream that dialled: this one only waits.
		w.slot.DialSpent(err)
		w.backoff = NextBackoff(w.backoff)
		return true
	}
	w.slot.DialFailed(err, consume)
	w.backoff = NextBackoff(w.backoff)
	return true
}

// dropConn closes the connection; the next request redials.
func (w *worker) dropConn() {
	w.mu.Lock()
	c := w.shared
	w.conn, w.shared = nil, nil
	w.mu.Unlock()
	if c != nil {
		c.Close()
	}
}

// interrupt stops the worker from another goroutine: a request in progress
// returns at once and no new connection is dialled.
func (w *worker) interrupt() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.stop.Store(true)
	if w.shared != nil {
		w.shared.Interrupt()
	}
}

// doScript sends the script's next request on the worker's connection.
func (w *worker) doScript(deadline time.Time, res *Response) error {
	sc, ok := w.conn.(ScriptConn)
	if !ok {
		return &FatalError{Err: errors.New("this engine cannot send a script's requests (its connections are no ScriptConn)")}
	}
	return sc.DoScript(w.feed.Take(), w.feed.Hooks.WantsResponse(), deadline, res)
}

// response hands the response just completed to the script's response();
// false when the script failed (the run stops) or stopped its thread.
func (w *worker) response(status int) bool {
	h := w.feed.Hooks
	if h.WantsResponse() {
		var hdr, body []byte
		if sc, ok := w.conn.(ScriptConn); ok {
			hdr, body = sc.Kept()
		}
		if err := h.Response(status, hdr, body); err != nil {
			w.th.Abort(err)
			return false
		}
	}
	return !h.Stopped()
}
