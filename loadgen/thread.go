package loadgen

import (
	"context"
	"errors"
	"net"
	"os"
	"syscall"
	"time"
)

// A ThreadEngine runs whole threads: one loop owns every connection of a
// thread (an event loop over the OS poller). Engines that offer one
// blocking connection at a time implement Engine instead, and run on the
// goroutine-per-connection adapter; both drive the same Slots, so the rules
// of what a request means are the same for every engine.
type ThreadEngine interface {
	// RunThread drives th's slots until each is done or ctx is done, then
	// calls Finish on every slot. It must not keep references to th after
	// it returns.
	RunThread(ctx context.Context, th *Thread)
	Engine
}

// Thread is one -t thread of a run: its share of the connections, as
// Slots, and the run's rules. It is handed to one engine goroutine (a
// ThreadEngine's loop) or split over one goroutine per slot (the adapter);
// a Slot is only ever used by one goroutine.
type Thread struct {
	// Index is the thread's number, from 0.
	Index int
	// Slots are this thread's request slots, Streams per connection, in
	// connection order: slot i belongs to connection i / Streams.
	Slots   []*Slot
	Streams int
	// Pipeline is how many requests a connection may have in flight
	// (HTTP/1.1 pipelining); 1 without.
	Pipeline int
	// Start is the start of the run; End its end (zero: none).
	Start, End time.Time
	// Timeout, TimeoutAction and Idempotent are the run's rules for a
	// request that takes long and for a connection closed while idle.
	Timeout       time.Duration
	TimeoutAction TimeoutAction
	Idempotent    bool

	// WarmEnd, when > 0, is the end of the warm-up (an offset from Start):
	// requests due before it are counted apart, in the warm-up's figures.
	WarmEnd time.Duration

	// First is the run's first connection, made by a FirstDialer before
	// the load began, for thread 0's first connection to adopt; nil
	// otherwise.
	First any

	// Hooks are the script's per-request functions for this thread; nil
	// without a script, or with one that only sets the request. ConnHooks,
	// for engines that take them per connection, has one per connection
	// of the thread instead (HooksFor).
	Hooks     Hooks
	ConnHooks []Hooks

	rec     *Recorder
	warmRec *Recorder
	run     *runState
	end     time.Duration // End as an offset from Start; -1: none
}

// Aborted reports whether the run has been stopped early (every first dial
// failed, another protocol answered). Engines ask it before a dial, not per
// request: a cancelled context may take a moment to reach a busy loop.
func (t *Thread) Aborted() bool { return t.run.stopped.Load() }

// Connections is the number of connections of the thread.
func (t *Thread) Connections() int { return len(t.Slots) / t.Streams }

// Slot is the seam between an engine and the run's accounting: one request
// sequence (a connection's, or an HTTP/2 stream slot's) with its schedule,
// its share of -n, and a batch of outcomes flushed into its thread's
// figures every batchSize requests or flushEvery. It is used by one
// goroutine; nothing on its per-request path is shared with another thread.
type Slot struct {
	th    *Thread
	plan  Scheduler
	quota uint64 // requests this slot may end; 0 = no limit
	next  uint64 // requests taken so far (sent, or consumed by a failed dial)
	sched bool   // on a schedule (-R)
	none  bool   // -n left this slot nothing to do
	// cur is the target (Targets) + 1 of the request last taken; 0
	// without targets. A slot has one request in flight at a time.
	cur uint16
	// seqStride and seqBase number the slot's requests in the run's plan:
	// request n is seqBase + n*seqStride over every slot and shard.
	seqStride, seqBase uint64
	// reqBytes: the slot's connection carries one request at a time, so
	// the bytes it read and wrote (in, out) since the slot's last request
	// ended are the next one's, for the request log (Run sets it).
	reqBytes bool
	in, out  int64
	// origin is the origin (Targets) + 1 whose requests alone the slot
	// sends, the others' going on its twins (origins.go); 0: every one.
	origin  uint16
	targets *Targets
	// index is the slot's number in its thread; ended counts the
	// requests it has recorded (a request's number for the log, seq).
	index uint32
	ended uint64

	// dialed: this slot has had a connection at least once.
	dialed    bool
	batch     []sample
	delta     Counts
	lastFlush time.Duration // offset from the start
	// warm holds the requests due during the warm-up (Thread.WarmEnd),
	// kept apart from every main figure; nil without a warm-up.
	warm *warmFigures
}

// warmFigures are a Slot's warm-up outcomes, flushed into the thread's
// warm-up Recorder.
type warmFigures struct {
	batch []sample
	delta Counts
}

func newSlot(th *Thread, plan Scheduler, quota uint64, size int) *Slot {
	_, scheduled := plan.Due(0)
	s := &Slot{th: th, plan: plan, sched: scheduled, quota: quota, batch: make([]sample, 0, size)}
	if th.WarmEnd > 0 {
		s.warm = &warmFigures{batch: make([]sample, 0, size)}
	}
	return s
}

// seq is the number, in the run's plan, of the slot's next request: the
// slots (and shards) interleave as their schedules do (schedulerFor), so
// that under -n N the numbers taken are exactly 0 to N-1.
func (s *Slot) seq() uint64 { return s.seqBase + s.next*s.seqStride }

// target is where the outcome of a request due at due is counted: the
// main figures, or the warm-up's.
func (s *Slot) target(due time.Duration) (*[]sample, *Counts, bool) {
	if s.warm != nil && due < s.th.WarmEnd {
		return &s.warm.batch, &s.warm.delta, true
	}
	return &s.batch, &s.delta, false
}

// dueOf is when request n is due; in closed loop, now.
func (s *Slot) dueOf(n uint64, now time.Duration) time.Duration {
	if !s.sched {
		return now
	}
	d, _ := s.plan.Due(n)
	return d
}

// stepOf is the rate shape's step a request due at due belongs to (counted
// from the end of the warm-up); -1 without a shape, or in the warm-up.
func (s *Slot) stepOf(due time.Duration) int32 {
	l := s.th.rec.stepLen
	if l <= 0 || due < s.th.WarmEnd {
		return -1
	}
	return int32(min((due-s.th.WarmEnd)/l, maxSteps-1))
}

// since is the time since the start, for the rare paths that have none.
func (s *Slot) since() time.Duration { return time.Since(s.th.Start) }

// Due returns when the slot's next request is due, and whether it is on a
// schedule (false: closed loop, due when the connection is free). more is
// false when the slot has no request left: its quota is spent, or the
// request would be due at or after the end of the run.
func (s *Slot) Due() (due time.Duration, scheduled, more bool) {
	if s.origin != 0 {
		s.skipOthers()
	}
	if s.quota > 0 && s.next >= s.quota {
		return 0, false, false
	}
	due, scheduled = s.plan.Due(s.next)
	if scheduled && !s.th.End.IsZero() && s.th.Start.Add(due).Compare(s.th.End) >= 0 {
		return due, scheduled, false
	}
	return due, scheduled, true
}

// Take marks the next request as sent: it goes out now (an offset from
// the start). A batch with nothing else in it, or an old one, is flushed
// so that the thread's figures (and interval snapshots) see the request
// in flight.
func (s *Slot) Take(now time.Duration) {
	if s.warm != nil {
		if _, d, warm := s.target(s.dueOf(s.next, now)); warm {
			s.next++
			d.Sent++
			return
		}
	}
	s.next++
	s.delta.Sent++
	if len(s.batch) == 0 || now-s.lastFlush >= flushEvery {
		s.th.rec.flush(s.batch, &s.delta)
		s.batch = s.batch[:0]
		s.lastFlush = now
	}
}

// Untake undoes Take for n requests that never reached the server (the
// connection could not carry them): they will be sent again, with the same
// due times.
func (s *Slot) Untake(n uint64) {
	now := s.since()
	for range n {
		s.back()
		_, d, _ := s.target(s.dueOf(s.next, now))
		d.Sent--
	}
}

// None reports whether -n left the slot nothing to do: an engine opens no
// connection for it.
func (s *Slot) None() bool { return s.none }

// Scheduled reports whether the slot is on a schedule (-R).
func (s *Slot) Scheduled() bool { return s.sched }

// Bytes adds bytes read and written on the wire at now (during the
// warm-up they are the warm-up's), and to the slot's request's (reqBytes).
func (s *Slot) Bytes(in, out int64, now time.Duration) {
	_, d, _ := s.target(now)
	d.BytesRead += uint64(in)
	d.BytesWritten += uint64(out)
	s.in += in
	s.out += out
}

// Completed records a whole response: due and send are when the request
// was due (closed loop: sent) and sent, first when the first byte of its
// response came (< 0: unknown), done when its response ended; timerLate
// is how late the send timer fired for an idle connection (-1: not
// measured). Times are offsets from the start of the run.
func (s *Slot) Completed(due, send, first, done time.Duration, status int, timerLate int64) {
	b, d, _ := s.target(due)
	sm := sampleOf(kindCompleted, 0, s.sched, micros(due), micros(send), micros(done))
	sm.timer, sm.status, sm.late = timerLate, int32(status), done-send > s.th.Timeout
	if first >= send {
		sm.firstByte = micros(first - send)
	}
	s.add(b, d, sm, due, done)
}

// Failed records a request that was sent and failed with class; an
// abandoned timeout (ClassTimeout) is in the corrected latency under a
// schedule, as it waited. err is kept as a message.
func (s *Slot) Failed(class ErrorClass, err error, due, send, done time.Duration) {
	b, d, _ := s.target(due)
	s.th.rec.noteError(class, err)
	s.add(b, d, sampleOf(kindFailed, class, s.Scheduled(), micros(due), micros(send), micros(done)), due, done)
	var fatal *FatalError
	if errors.As(err, &fatal) {
		s.th.run.abortFatal(fatal) // the server speaks another protocol: no point going on
	}
}

// InFlight records a request still waiting for its response when the run
// stopped (now): neither answered nor failed. Its latency is censored: at
// least the stop minus its due time (closed loop: its send), recorded as
// that lower bound in the figures over every due request.
func (s *Slot) InFlight(due, send, now time.Duration) {
	b, d, _ := s.target(due)
	sm := sampleOf(kindInFlight, 0, s.Scheduled(), micros(due), micros(send), micros(s.stopAt(now)))
	sm.late = now-send > s.th.Timeout
	s.add(b, d, sm, due, now)
}

// stopAt is the stop as the figures use it: now, or the run's end when
// the engine noticed the stop after it.
func (s *Slot) stopAt(now time.Duration) time.Duration {
	if !s.th.End.IsZero() {
		return min(now, s.th.End.Sub(s.th.Start))
	}
	return now
}

// DialFailed records a failed dial. With consume it took the request it
// was for (that request counts as ended, for -n); the first dial of a slot
// consumes nothing. The run stops when every slot's first dial failed and
// none succeeded.
func (s *Slot) DialFailed(err error, consume bool) {
	err = s.countDialError(err)
	if consume {
		s.next++
	}
	if !s.dialed {
		s.dialed = true // its first dial is spent
		s.th.run.firstDialFailed(err)
	}
}

// countDialError counts a failed dial in its class, with one message per
// cause; it returns the error as kept.
func (s *Slot) countDialError(err error) error {
	class := dialClass(err)
	now := s.since()
	_, d, _ := s.target(s.dueOf(s.next, now))
	d.count(class)
	if isTimeout(err) {
		d.ConnectTimeout++
		err = errConnectTimeout // one cause, one message
	}
	s.th.rec.noteError(class, err)
	return err
}

// DialSpent records that the slot's first dial is spent in a failed dial
// counted by another slot of its connection (HTTP/2 streams share one
// dial; DialFailed counts it once): it plays its part in the run's
// fail-fast rule without counting a second connect error.
func (s *Slot) DialSpent(err error) {
	if !s.dialed {
		s.dialed = true
		s.th.run.firstDialFailed(err)
	}
}

// Payload adds HTTP/2 header-block and DATA payload bytes, read and
// written, at now: the split of Bytes that h2load reports (the rest is
// framing and connection frames).
func (s *Slot) Payload(headersIn, dataIn, headersOut, dataOut int64, now time.Duration) {
	_, d, _ := s.target(now)
	d.HeaderBytesRead += uint64(headersIn)
	d.DataBytesRead += uint64(dataIn)
	d.HeaderBytesWritten += uint64(headersOut)
	d.DataBytesWritten += uint64(dataOut)
}

// Reconnected records a keep-alive connection that the server closed while
// it was idle, seen before a request was written on it: a new one is dialled.
func (s *Slot) Reconnected() {
	_, d, _ := s.target(s.since())
	d.Reconnects++
}

// Dialed records a successful dial.
func (s *Slot) Dialed() {
	s.dialed = true
	if !s.th.run.connected.Load() {
		s.th.run.connected.Store(true)
	}
}

// add counts sm (due at due, ended at now) in d and appends it to b,
// with the fields every outcome shares.
func (s *Slot) add(b *[]sample, d *Counts, sm sample, due, now time.Duration) {
	sm.step, sm.target, sm.slot = s.stepOf(due), s.cur, s.index
	if s.reqBytes {
		sm.bytesIn, sm.bytesOut = s.in, s.out
	}
	s.in, s.out = 0, 0
	sm.seq = s.seqBase + s.ended*s.seqStride
	s.ended++
	d.tally(&sm)
	*b = append(*b, sm)
	if b != &s.batch {
		s.flushWarm()
		return
	}
	s.maybeFlush(now)
}

// flushWarm hands the warm-up batch to the thread's warm-up figures when
// it is full.
func (s *Slot) flushWarm() {
	if w := s.warm; w != nil && len(w.batch) == cap(w.batch) {
		s.th.warmRec.flush(w.batch, &w.delta)
		w.batch = w.batch[:0]
	}
}

// maybeFlush hands the batch to the thread's figures when it is full or
// older than flushEvery.
func (s *Slot) maybeFlush(now time.Duration) {
	if len(s.batch) == cap(s.batch) || now-s.lastFlush >= flushEvery {
		s.th.rec.flush(s.batch, &s.delta)
		s.batch = s.batch[:0]
		s.lastFlush = now
	}
}

// Finish ends the slot at the stop (now, an offset from the start): under a
// schedule it counts the requests that were due before the stop but never
// sent, recording each one's lower bound (stop - due) as censored, then
// flushes everything.
func (s *Slot) Finish(now time.Duration) {
	if s.Scheduled() {
		stopAt := s.stopAt(now)
		due := DueBefore(s.plan, stopAt)
		if s.quota > 0 {
			due = min(due, s.quota)
		}
		// Requests go out in order: those numbered below next were sent
		// (or lost to a dial), the first ones due are the warm-up's.
		warmDue := uint64(0)
		if s.warm != nil {
			warmDue = min(due, DueBefore(s.plan, min(s.th.WarmEnd, stopAt)))
			if from := min(s.next, warmDue); warmDue > from {
				s.warm.delta.Unsent += s.th.warmRec.censorUnsent(s, from, warmDue, stopAt)
			}
		}
		if from := max(s.next, warmDue); due > from {
			s.delta.Unsent += s.th.rec.censorUnsent(s, from, due, stopAt)
		}
	}
	s.th.rec.flush(s.batch, &s.delta)
	s.batch = s.batch[:0]
	if w := s.warm; w != nil {
		s.th.warmRec.flush(w.batch, &w.delta)
		w.batch = w.batch[:0]
	}
}

// errConnectTimeout is the one message of a dial that timed out, whichever
// layer noticed (the dialler's timeout, the deadline, the TLS handshake).
var errConnectTimeout = errors.New("connect timeout: the server did not accept the connection in time (listen backlog full?)")

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

// micros converts d to whole microseconds.
func micros(d time.Duration) int64 { return int64(d / time.Microsecond) }
