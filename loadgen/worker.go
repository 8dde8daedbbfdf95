package loadgen

import (
	"context"
	"errors"
	"sync/atomic"
	"syscall"
	"time"
)

// worker drives one stream slot of a connection (the whole connection for
// HTTP/1.1): it waits for each request's due time, sends it, and records the
// outcome into its own batch. Only the worker goroutine touches its fields,
// except stop, which interrupt sets.
type worker struct {
	rec     *Recorder
	link    *link
	sched   Scheduler
	quota   uint64 // requests this worker may end; 0 = no limit
	timeout time.Duration
	start   time.Time // start of the run
	end     time.Time // end of the run; zero for none

	conn  Conn        // the link's connection as this worker last got it
	fresh bool        // conn has carried no request of this worker yet
	stop  atomic.Bool // set once by interrupt; read by the worker

	batch     []sample
	delta     Counts
	lastFlush time.Time
	timer     *time.Timer
}

func (w *worker) run(ctx context.Context) {
	w.batch = make([]sample, 0, batchSize)
	w.lastFlush = w.start
	defer w.finish()
	var res Response
	for n := uint64(0); w.quota == 0 || n < w.quota; n++ {
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
			if !w.dial(ctx) {
				continue // a connect error ends this attempt
			}
			now = time.Now()
		}
		send := now
		if !scheduled {
			due = send
		}
		deadline, own := send.Add(w.timeout), true
		if !w.end.IsZero() && w.end.Before(deadline) {
			deadline, own = w.end, false
		}
		w.delta.Sent++
		err := w.conn.Do(deadline, &res)
		done := time.Now()
		w.delta.BytesRead += uint64(res.BytesIn)
		w.delta.BytesWritten += uint64(res.BytesOut)
		if err == ErrNotSent {
			// The connection could not take the request (an HTTP/2 GOAWAY):
			// nothing was sent. Redial and send it on the new connection,
			// unless the connection was new: then count a connect error, so
			// that a server that refuses every connection cannot loop us.
			w.delta.Sent--
			fresh := w.fresh
			w.dropConn()
			if w.stop.Load() {
				return // the run ended: nothing was sent, nothing to count
			}
			if fresh {
				w.delta.Connect++
				w.rec.noteError(ClassConnect, err)
			} else {
				n--
			}
			continue
		}
		w.fresh = false
		if err != nil {
			if !w.failed(err, due, done, own, scheduled) {
				return
			}
		} else {
			w.delta.Completed++
			if res.Status >= 400 {
				w.delta.Status++
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

// failed accounts for a request that ended in err and drops the connection
// unless the engine says it is still usable (an HTTP/2 stream error). A
// timed-out request is in the latency histogram only under a schedule
// (closed loop leaves it out, as wrk does). It returns false when the run is
// over: the request was cut off by the stop, not by a fault, and counts as
// in flight.
func (w *worker) failed(err error, due, done time.Time, ownDeadline, scheduled bool) bool {
	if !w.conn.Usable() {
		w.dropConn()
	}
	class := ClassRead
	var ce *ClassError
	if errors.As(err, &ce) {
		class = ce.Class
	}
	if w.stop.Load() || (class == ClassTimeout && !ownDeadline) {
		w.delta.InFlight++
		return false
	}
	w.delta.count(class)
	if class == ClassTimeout && scheduled {
		w.batch = append(w.batch, sample{latency: micros(done.Sub(due)), service: -1, lag: -1, timer: -1})
	} else {
		w.delta.LatencyExcluded++
	}
	w.rec.noteError(class, err)
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

// dial gets the link's connection, dialling it if needed; false means the
// dial failed (counted) or the run was interrupted meanwhile.
func (w *worker) dial(ctx context.Context) bool {
	c, err := w.link.get(ctx)
	if err != nil {
		// A dial cut off by the end of the run is the end, not a fault. The
		// dialler uses the run's deadline directly, so the dial can fail
		// just before the context reports itself done: check the clock too.
		if w.stop.Load() || ctx.Err() != nil || (!w.end.IsZero() && !time.Now().Before(w.end)) {
			return false
		}
		class := ClassConnect
		if errors.Is(err, syscall.EADDRNOTAVAIL) {
			class = ClassPorts
		}
		w.delta.count(class)
		w.rec.noteError(class, err)
		return false
	}
	w.conn, w.fresh = c, true
	return true
}

func (w *worker) dropConn() {
	if w.conn != nil {
		w.link.drop(w.conn)
		w.conn = nil
	}
}

func (w *worker) finish() {
	w.rec.flush(w.batch, &w.delta)
	w.batch = w.batch[:0]
}

// micros converts d to whole microseconds.
func micros(d time.Duration) int64 { return int64(d / time.Microsecond) }
