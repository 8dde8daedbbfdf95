package loadgen

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"
)

// connThreads is the adapter that runs any Engine (one blocking Conn at a
// time: TLS, HTTP/2 on x/net) on the seam: one goroutine per slot, each
// driving its Slot through the Conn of its connection's link.
type connThreads struct{ eng ConnEngine }

// Redial backoff after a failed dial: a server that is down must not turn
// gowrk into a SYN flood. It starts at MinBackoff, doubles per failure up
// to MaxBackoff, and resets when a dial succeeds. Every engine uses it.
const (
	MinBackoff = 10 * time.Millisecond
	MaxBackoff = time.Second
)

// WaitLimitFactor bounds how long a request waits for its response under
// TimeoutWait when the run has no end (-n alone): WaitLimitFactor x Timeout,
// after which it is abandoned and counted as a timeout.
const WaitLimitFactor = 10

// run drives th with one worker goroutine per slot; first, when not nil,
// is the run's first connection, for the thread's first link.
func (a connThreads) run(ctx context.Context, th *Thread, first Conn, workers *[]*worker, links *[]*link, wg *sync.WaitGroup) {
	var l *link
	var hooks Hooks
	end := time.Duration(-1)
	if !th.End.IsZero() {
		end = th.End.Sub(th.Start)
	}
	for i, s := range th.Slots {
		if i%th.Streams == 0 {
			l = &link{eng: a.eng}
			if hooks = th.HooksFor(i / th.Streams); hooks != nil {
				l.addr = hooks.Addr()
			}
			if first != nil && l.addr == "" { // (a thread.addr elsewhere dials its own)
				l.set(first)
				first = nil
			}
			*links = append(*links, l)
		}
		if s.none {
			continue // -n smaller than the slots: this one has nothing to do
		}
		w := &worker{slot: s, link: l, th: th, end: end}
		if hooks != nil {
			w.feed = &ScriptFeed{Hooks: hooks} // Streams is 1: one worker per connection
		}
		*workers = append(*workers, w)
		wg.Add(1)
		go func() { defer wg.Done(); w.loop(ctx) }()
	}
	if first != nil {
		first.Close()
	}
}

// worker drives one slot: it waits for each request's due time, sends it
// on its link's connection, and records the outcome on its Slot. Only the
// worker goroutine touches its fields, except stop, which interrupt sets.
type worker struct {
	slot *Slot
	th   *Thread
	link *link

	conn    Conn // the link's connection as this worker last got it
	fresh   bool // conn has carried no request of this worker yet
	backoff time.Duration
	stop    atomic.Bool // set once by interrupt; read by the worker
	timer   *time.Timer
	feed    *ScriptFeed   // a script's requests; nil without
	end     time.Duration // the run's end as an offset from its start; -1: none
}

func (w *worker) loop(ctx context.Context) {
	s, th := w.slot, w.th
	defer func() { s.Finish(time.Since(th.Start)) }()
	if w.conn == nil && !w.dial(ctx, false) {
		return
	}
	var res Response
	for {
		if w.stop.Load() {
			return
		}
		offset, scheduled, more := s.Due()
		if !more {
			return
		}
		// One clock read per phase: now is the send time unless a sleep or
		// a dial comes first.
		now := time.Since(th.Start)
		due := now
		if scheduled {
			due = offset
		}
		if w.feed != nil {
			at, ok := w.feed.Ready(th, now, due, scheduled)
			if !ok {
				return // the script stopped its thread, or failed (the run stops)
			}
			if scheduled {
				due = at
			} else if at > now {
				if !w.sleep(ctx, at-now) {
					return
				}
				now = time.Since(th.Start)
			}
		}
		timerLate := int64(-1)
		if wait := due - now; scheduled && wait > 0 {
			if !w.sleep(ctx, wait) {
				return
			}
			now = time.Since(th.Start)
			timerLate = micros(now - due)
		}
		if w.conn == nil {
			if !w.redial(ctx) {
				return
			}
			if w.conn == nil {
				continue // a connect error ends this attempt
			}
			now = time.Since(th.Start)
		}
		send := now
		if !scheduled {
			due = send
		}
		if w.end >= 0 && send >= w.end {
			return // the run ended while this request waited: it was not sent
		}
		deadline, own := w.deadline(send)
		s.Take(send)
		var err error
		if w.feed != nil {
			err = w.doScript(deadline, &res)
		} else {
			err = w.conn.Do(deadline, &res)
		}
		done := time.Since(th.Start)
		s.Bytes(res.BytesIn, res.BytesOut, done)
		if err == nil {
			w.fresh = false
			s.Completed(due, send, done, res.Status, timerLate)
			if w.feed != nil && !w.response(res.Status) {
				return
			}
			if res.Close {
				w.dropConn()
			}
			continue
		}
		if !w.failed(err, due, send, done, own) {
			return
		}
	}
}

// deadline is when the request sent at send is cut off, and whether that
// is its own timeout (true) or the end of the run (false). Under
// TimeoutWait a request waits for its response until the run ends, so that
// --timeout never changes the load the server sees.
func (w *worker) deadline(send time.Duration) (time.Time, bool) {
	th := w.th
	limit := th.Timeout
	if th.TimeoutAction == TimeoutWait {
		if !th.End.IsZero() {
			return th.End, false
		}
		limit *= WaitLimitFactor
	}
	d := th.Start.Add(send + limit)
	if !th.End.IsZero() && th.End.Before(d) {
		return th.End, false
	}
	return d, true
}

// failed accounts for a request that ended in err and drops the connection
// unless the engine says it is still usable (an HTTP/2 stream error). It
// returns false when the run is over.
func (w *worker) failed(err error, due, send, done time.Duration, ownDeadline bool) bool {
	s := w.slot
	if err == ErrNotSent || err == ErrStale {
		return w.notSent(err, due, send, done)
	}
	w.fresh = false
	if !w.conn.Usable() {
		w.dropConn()
	}
	class := ClassRead
	var ce *ClassError
	if errors.As(err, &ce) {
		class = ce.Class
	}
	if w.stop.Load() || (class == ClassTimeout && !ownDeadline) {
		s.InFlight(due, send, done)
		return false
	}
	s.Failed(class, err, due, send, done)
	return true
}

// notSent handles a request the connection could not carry: an HTTP/2
// connection that received GOAWAY (ErrNotSent), or a keep-alive connection
// the server had closed while it was idle (ErrStale). Nothing reached the
// server, so the request is sent again on a new connection, once: a new
// connection that cannot take it either counts a connect error, so that a
// server that refuses everything cannot loop us. A non-idempotent request
// is not sent again silently after an idle close: it counts as IdleClosed.
func (w *worker) notSent(err error, due, send, done time.Duration) bool {
	s := w.slot
	fresh := w.fresh
	w.dropConn()
	switch {
	case w.stop.Load():
		s.Untake(1, false)
		return false
	case fresh:
		s.Untake(1, false)
		s.NotSentFresh(err)
	case err == ErrStale && !w.th.Idempotent:
		s.Failed(ClassIdleClosed, err, due, send, done)
	default:
		s.Untake(1, err == ErrStale)
	}
	return true
}

// sleep waits for d or until the run is interrupted; false means interrupted.
func (w *worker) sleep(ctx context.Context, d time.Duration) bool {
	if w.timer == nil {
		w.timer = time.NewTimer(d)
	} else {
		w.timer.Reset(d)
	}
	select {
	case <-w.timer.C:
		return true
	case <-ctx.Done():
		w.timer.Stop()
		return false
	}
}

// redial dials after a lost connection, first waiting out the backoff of
// earlier failures. It returns false when the run ended meanwhile; a failed
// dial leaves w.conn nil (counted, and consuming the request it was for).
func (w *worker) redial(ctx context.Context) bool {
	end := w.th.End
	if w.backoff > 0 {
		d := w.backoff
		if !end.IsZero() {
			d = min(d, time.Until(end))
		}
		if d > 0 && !w.sleep(ctx, d) {
			return false
		}
		if !end.IsZero() && !time.Now().Before(end) {
			return false // the wait took the rest of the run
		}
	}
	return w.dial(ctx, true)
}

// dial gets the link's connection, dialling it if needed. It returns false
// when the run ended meanwhile; a failed dial is counted (consuming a
// request when consume), raises the backoff and returns true with w.conn nil.
func (w *worker) dial(ctx context.Context, consume bool) bool {
	c, err := w.link.get(ctx)
	if err == nil {
		w.conn, w.fresh, w.backoff = c, true, 0
		w.slot.Dialed()
		return true
	}
	// A dial cut off by the end of the run is the end, not a fault. The
	// dialler uses the run's deadline directly, so the dial can fail just
	// before the context reports itself done: check the clock too.
	end := w.th.End
	if w.stop.Load() || ctx.Err() != nil || (!end.IsZero() && !time.Now().Before(end)) {
		return false
	}
	w.slot.DialFailed(err, consume)
	w.backoff = NextBackoff(w.backoff)
	return true
}

// NextBackoff is the wait before the next dial after one more failure.
func NextBackoff(cur time.Duration) time.Duration {
	return min(max(2*cur, MinBackoff), MaxBackoff)
}

func (w *worker) dropConn() {
	if w.conn != nil {
		w.link.drop(w.conn)
		w.conn = nil
	}
}

// doScript sends the script's next request on the worker's connection.
func (w *worker) doScript(deadline time.Time, res *Response) error {
	sc, ok := w.conn.(ScriptConn)
	if !ok {
		return &FatalError{Err: errors.New("--script: this engine cannot send a script's requests")}
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
