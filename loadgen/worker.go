package loadgen

import (
	"context"
	"errors"
	"net"
	"os"
	"sync/atomic"
	"syscall"
	"time"
)

// worker drives one stream slot of a connection (the whole connection for
// HTTP/1.1): it waits for each request's due time, sends it, and records the
// outcome into its own batch. Only the worker goroutine touches its fields,
// except stop, which interrupt sets.
type worker struct {
	rec        *Recorder
	run        *runState
	link       *link
	sched      Scheduler
	quota      uint64 // requests this worker may end; 0 = no limit
	timeout    time.Duration
	action     TimeoutAction
	idempotent bool      // the method may be sent again after an idle close
	start      time.Time // start of the run
	end        time.Time // end of the run; zero for none

	conn    Conn // the link's connection as this worker last got it
	fresh   bool // conn has carried no request of this worker yet
	dialed  bool // this worker has had a connection at least once
	backoff time.Duration
	next    uint64      // the request the worker is at; those before it are accounted for
	stop    atomic.Bool // set once by interrupt; read by the worker

	batch     []sample
	delta     Counts
	lastFlush time.Time
	timer     *time.Timer
}

// Redial backoff after a failed dial: a server that is down must not turn
// gowrk into a SYN flood. It starts at minBackoff, doubles per failure up
// to maxBackoff, and resets when a dial succeeds.
const (
	minBackoff = 10 * time.Millisecond
	maxBackoff = time.Second
)

// WaitLimitFactor bounds how long a request waits for its response under
// TimeoutWait when the run has no end (-n alone): WaitLimitFactor x Timeout,
// after which it is abandoned and counted as a timeout.
const WaitLimitFactor = 10

// outcome is what the loop does after a failed exchange.
type outcome uint8

const (
	nextRequest     outcome = iota // the request is accounted for; go on
	resend                         // nothing reached the server: send the same request again
	stoppedUnsent                  // the run ended before the request was sent
	stoppedInFlight                // the run ended while the request was in flight
)

func (w *worker) loop(ctx context.Context) {
	w.batch = make([]sample, 0, batchSize)
	w.lastFlush = w.start
	defer w.finish()
	if w.conn == nil && !w.dial(ctx) {
		return
	}
	var res Response
	for ; w.quota == 0 || w.next < w.quota; w.next++ {
		n := w.next
		if w.stop.Load() {
			return
		}
		// One clock read per phase: now is the send time unless a sleep or
		// a dial comes first.
		offset, scheduled := w.sched.Due(n)
		now := time.Now()
		due := now
		if scheduled {
			due = w.start.Add(offset)
		}
		if !w.end.IsZero() && !due.Before(w.end) {
			return
		}
		timerLate := int64(-1)
		if wait := due.Sub(now); scheduled && wait > 0 {
			if !w.sleep(ctx, wait) {
				return
			}
			now = time.Now()
			timerLate = micros(now.Sub(due))
		}
		if w.conn == nil {
			if !w.redial(ctx) {
				return
			}
			if w.conn == nil {
				continue // a connect error ends this attempt
			}
			now = time.Now()
		}
		send := now
		if !scheduled {
			due = send
		}
		deadline, own := w.deadline(send)
		w.delta.Sent++
		err := w.conn.Do(deadline, &res)
		done := time.Now()
		w.delta.BytesRead += uint64(res.BytesIn)
		w.delta.BytesWritten += uint64(res.BytesOut)
		if err != nil {
			switch w.failed(err, due, send, done, own, scheduled) {
			case resend:
				w.next-- // the loop's increment brings it back to n
				continue
			case stoppedUnsent:
				return
			case stoppedInFlight:
				w.next++
				return
			}
		} else {
			w.fresh = false
			w.delta.Completed++
			if res.Status >= 400 {
				w.delta.Status++
			}
			if done.Sub(send) > w.timeout {
				w.delta.Late++ // waited past --timeout, answered: in the figures at its true latency
			}
			s := sample{latency: micros(done.Sub(due)), service: micros(done.Sub(send)), lag: -1, timer: timerLate, status: int32(res.Status)}
			if scheduled {
				s.lag = micros(send.Sub(due))
			}
			w.batch = append(w.batch, s)
			if res.Close {
				w.dropConn()
			}
		}
		if len(w.batch) == cap(w.batch) || done.Sub(w.lastFlush) >= flushEvery {
			w.rec.flush(w.batch, &w.delta)
			w.batch = w.batch[:0]
			w.lastFlush = done
		}
	}
}

// deadline is when the request sent at send is cut off, and whether that
// is its own timeout (true) or the end of the run (false). Under
// TimeoutWait a request waits for its response until the run ends, so that
// --timeout never changes the load the server sees.
func (w *worker) deadline(send time.Time) (time.Time, bool) {
	limit := w.timeout
	if w.action == TimeoutWait {
		if !w.end.IsZero() {
			return w.end, false
		}
		limit *= WaitLimitFactor
	}
	d := send.Add(limit)
	if !w.end.IsZero() && w.end.Before(d) {
		return w.end, false
	}
	return d, true
}

// failed accounts for a request that ended in err and drops the connection
// unless the engine says it is still usable (an HTTP/2 stream error). A
// timed-out request is in the latency histogram only under a schedule
// (closed loop leaves it out, as wrk does).
func (w *worker) failed(err error, due, send, done time.Time, ownDeadline, scheduled bool) outcome {
	if err == ErrNotSent || err == ErrStale {
		return w.notSent(err)
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
	lag := int64(-1) // every request sent is in the send-lag figures
	if scheduled {
		lag = micros(send.Sub(due))
	}
	if w.stop.Load() || (class == ClassTimeout && !ownDeadline) {
		w.delta.InFlight++
		if done.Sub(send) > w.timeout {
			w.delta.LateInFlight++
		}
		if scheduled {
			w.batch = append(w.batch, sample{latency: -1, service: -1, lag: lag, timer: -1})
		}
		return stoppedInFlight
	}
	w.delta.count(class)
	if class == ClassTimeout && scheduled {
		w.batch = append(w.batch, sample{latency: micros(done.Sub(due)), service: -1, lag: lag, timer: -1})
	} else {
		w.batch = append(w.batch, sample{latency: -1, service: -1, lag: lag, timer: -1})
		w.delta.LatencyExcluded++
	}
	w.rec.noteError(class, err)
	var fatal *FatalError
	if errors.As(err, &fatal) {
		w.run.abort(fatal.Error()) // the server speaks another protocol: no point going on
	}
	return nextRequest
}

// notSent handles a request the connection could not carry: an HTTP/2
// connection that received GOAWAY (ErrNotSent), or a keep-alive connection
// the server had closed while it was idle (ErrStale). Nothing reached the
// server, so the request is sent again on a new connection, once: a new
// connection that cannot take it either counts a connect error, so that a
// server that refuses everything cannot loop us. A non-idempotent request
// is not sent again silently after an idle close: it counts as IdleClosed.
func (w *worker) notSent(err error) outcome {
	w.delta.Sent--
	fresh := w.fresh
	w.dropConn()
	if w.stop.Load() {
		return stoppedUnsent
	}
	switch {
	case fresh:
		w.delta.Connect++
		w.rec.noteError(ClassConnect, err)
		return nextRequest
	case err == ErrStale && !w.idempotent:
		w.delta.Sent++
		w.delta.count(ClassIdleClosed)
		w.delta.LatencyExcluded++
		w.rec.noteError(ClassIdleClosed, err)
		return nextRequest
	case err == ErrStale:
		w.delta.Reconnects++
	}
	return resend
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
	if w.backoff > 0 {
		d := w.backoff
		if !w.end.IsZero() {
			d = min(d, time.Until(w.end))
		}
		if d > 0 && !w.sleep(ctx, d) {
			return false
		}
		if !w.end.IsZero() && !time.Now().Before(w.end) {
			return false // the wait took the rest of the run
		}
	}
	return w.dial(ctx)
}

// dial gets the link's connection, dialling it if needed. It returns false
// when the run ended meanwhile; a failed dial is counted, raises the
// backoff and returns true with w.conn nil.
func (w *worker) dial(ctx context.Context) bool {
	c, err := w.link.get(ctx)
	if err == nil {
		w.conn, w.fresh, w.dialed, w.backoff = c, true, true, 0
		w.run.connected.Store(true)
		return true
	}
	// A dial cut off by the end of the run is the end, not a fault. The
	// dialler uses the run's deadline directly, so the dial can fail just
	// before the context reports itself done: check the clock too.
	if w.stop.Load() || ctx.Err() != nil || (!w.end.IsZero() && !time.Now().Before(w.end)) {
		return false
	}
	class := dialClass(err)
	w.delta.count(class)
	if isTimeout(err) {
		w.delta.ConnectTimeout++
		err = errConnectTimeout // one cause, one message
	}
	w.rec.noteError(class, err)
	w.backoff = min(max(2*w.backoff, minBackoff), maxBackoff)
	if !w.dialed {
		w.dialed = true // its first dial is spent
		w.run.firstDialFailed(err)
	}
	return true
}

// errConnectTimeout is the one message of a dial that timed out, whichever
// layer noticed (the dialler's timeout, the deadline, the TLS handshake).
var errConnectTimeout = errors.New("connect timeout: no answer within --connect-timeout (listen backlog full?)")

func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, os.ErrDeadlineExceeded) || errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout())
}

// dialClass is the class of a failed dial: ClassPorts when the machine had
// no ephemeral port left, ClassConnect otherwise.
func dialClass(err error) ErrorClass {
	if errors.Is(err, syscall.EADDRNOTAVAIL) {
		return ClassPorts
	}
	return ClassConnect
}

func (w *worker) dropConn() {
	if w.conn != nil {
		w.link.drop(w.conn)
		w.conn = nil
	}
}

// finish flushes what is left and, under a schedule, counts the requests
// that were due before the stop but never sent (their connection was
// still busy, or the run stopped while they waited).
func (w *worker) finish() {
	if _, scheduled := w.sched.Due(0); scheduled {
		stopAt := time.Now()
		if !w.end.IsZero() && w.end.Before(stopAt) {
			stopAt = w.end
		}
		due := DueBefore(w.sched, stopAt.Sub(w.start))
		if w.quota > 0 {
			due = min(due, w.quota)
		}
		if due > w.next {
			w.delta.Unsent += due - w.next
		}
	}
	w.rec.flush(w.batch, &w.delta)
	w.batch = w.batch[:0]
}

// micros converts d to whole microseconds.
func micros(d time.Duration) int64 { return int64(d / time.Microsecond) }
