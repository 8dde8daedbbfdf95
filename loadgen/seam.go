package loadgen

import (
	"context"
	"errors"
	"time"
)

// The seam's rules: what every engine decides the same way, written once.
// An engine reads this file to learn what it must call and when; it writes
// only protocol code. Times are offsets from Thread.Start.
//
// The life of a request, for every engine:
//
//  1. Next says whether the slot's next request goes now (NextGo), waits
//     (NextLater: its due time under -R, or its script's delay), or never
//     goes (NextDone: -n spent, the run over; NextStop: the script stopped
//     its thread or failed).
//  2. Send marks it sent and says when it was due and how late its timer was.
//  3. Its outcome: Slot.Completed, Slot.Failed, Slot.Stale (the connection
//     had been closed while idle), Slot.Untake (it never reached the
//     server), or Slot.InFlight at the stop.
//  4. A connection that opens is Slot.Opened (once per connection, on
//     its first slot); one that fails to open is Slot.DialFailed, then waits
//     Backoff (NextBackoff) before the next dial, capped at the run's end;
//     one still opening at the stop is Slot.ConnectPending.
//  5. At the stop, every slot is Finish'ed at Thread.StopAt.

// NextKind is what Slot.Next decided.
type NextKind uint8

const (
	// NextGo: the request goes now.
	NextGo NextKind = iota
	// NextLater: the request waits until Step.At.
	NextLater
	// NextDone: the slot has no request left.
	NextDone
	// NextStop: the script stopped its thread or failed (the run aborts).
	NextStop
)

// Step is the outcome of the pre-send step for a slot's next request.
type Step struct {
	Kind NextKind
	// At is when a NextLater request may go.
	At time.Duration
	// Due is when a NextGo request was due (its script's delay included);
	// in closed loop the caller's now.
	Due time.Duration
	// Scheduled says the slot is on a schedule (-R).
	Scheduled bool
	// Target is a NextGo request's target (Targets) + 1; 0 without.
	Target uint16
}

// Next is the pre-send step, the one rule of every engine for a slot's
// next request at now: done when -n is spent or the run is over; under a
// schedule, later until it is due; with a script (feed not nil), its
// request() is made ready and it waits out its delay(). Next takes
// nothing: Send does, once the engine can write the request. It may be
// called again with a later now (Ready does not ask the script twice).
func (s *Slot) Next(now time.Duration, feed *ScriptFeed) Step {
	due, scheduled, more := s.Due()
	if !more || (s.th.end >= 0 && now >= s.th.end) {
		return Step{Kind: NextDone, Scheduled: scheduled}
	}
	if scheduled && due > now {
		return Step{Kind: NextLater, At: due, Scheduled: true}
	}
	if !scheduled {
		due = now
	}
	if feed != nil {
		at, ok := feed.Ready(s, now, due, scheduled)
		if !ok {
			return Step{Kind: NextStop, Scheduled: scheduled}
		}
		if at > now {
			return Step{Kind: NextLater, At: at, Scheduled: scheduled}
		}
		if scheduled {
			due = at
		}
		return Step{Kind: NextGo, Due: due, Scheduled: scheduled, Target: feed.cur}
	}
	return Step{Kind: NextGo, Due: due, Scheduled: scheduled}
}

// Send takes the request that Next said goes now and returns when it was
// due (closed loop: now, its send time) and its timer lateness in
// microseconds, or -1. Timer lateness is measured for one request per
// wake: the first one sent on a connection with nothing in flight when
// the engine woke because of the connection's timer (idleWake); it is how
// late the engine's clock fired, which is gowrk's own share of send lag.
func (s *Slot) Send(now time.Duration, st Step, idleWake bool) (due time.Duration, timer int64) {
	due, timer = st.Due, -1
	s.cur = st.Target
	if !st.Scheduled {
		due = now
	} else if idleWake {
		timer = micros(now - due)
	}
	s.Take(now)
	return due, timer
}

// Stale accounts for a request sent on a keep-alive connection that the
// server closed before any of its response came (idle, or going down): an
// idempotent request is sent again on a new connection and counts as a
// reconnect; any other (POST, PATCH) is not sent again silently and
// counts as idle_closed. The first write stays sent, counted as Resent:
// the client cannot tell whether the server parsed it before it closed
// (a restarting server has), so sent counts every write the server may
// have parsed, and the resend is sent again with the same due time.
func (s *Slot) Stale(due, send, now time.Duration) {
	if s.th.Idempotent {
		s.back()
		_, d, _ := s.target(s.dueOf(s.next, now))
		d.Resent++
		d.Reconnects++
		return
	}
	s.Failed(ClassIdleClosed, ErrStale, due, send, now)
}

// Unanswered accounts for a request whose connection the server ended (a
// reset, a close) before any byte of its response came, whichever phase
// the end landed in, the engine's write or its read: a reset's timing
// decides which, not the server. On a connection that had carried a
// response (used), the server closed it idle or going down: Stale. On a
// new one, the server refuses new connections: RefusedFresh, a connect
// error, as when the same reset lands in the dial. written says the
// request had been written whole.
func (s *Slot) Unanswered(used, written bool, due, send, now time.Duration, err error) {
	if used {
		s.Stale(due, send, now)
		return
	}
	s.RefusedFresh(err, written)
}

// RefusedFresh records the request last taken on a brand-new connection
// that the server refused before answering: a connect error standing for
// the request, as when the same refusal comes during the dial or the
// handshake. Without written the server cannot have read it (a TLS alert
// refusing the client's certificate, which under TLS 1.3 comes on the
// first read; a write that failed): it was not sent. With written it may
// have (a server that resets after reading the request) or not (one that
// resets on accept), and the client cannot tell: the write stays in sent,
// counted in Resent, so that sent covers every write the server may have
// parsed and due counts the request once. A *FatalError stops the run.
func (s *Slot) RefusedFresh(err error, written bool) {
	_, d, _ := s.target(s.dueOf(s.prev(), s.since()))
	if written {
		d.Resent++
	} else {
		d.Sent--
	}
	d.Connect++
	s.th.rec.noteError(ClassConnect, err)
	var fatal *FatalError
	if errors.As(err, &fatal) {
		s.th.run.abortFatal(fatal)
	}
}

// Opened counts a connection opened (dialled, its handshakes done) on
// the slot, once per connection whatever its streams: Counts.Opened, so
// that a run says how many connections it used (one per request under
// Target.NoKeepAlive; more than -c when the server closes them). ph is
// how long its phases took (NoPhases: not measured), recorded in the
// same figures (the warm-up's, or the run's).
func (s *Slot) Opened(ph ConnPhases) {
	_, d, warm := s.target(s.since())
	d.Opened++
	if warm {
		s.th.warmRec.opened(ph)
	} else {
		s.th.rec.opened(ph)
	}
}

// ConnectPending records a connection still being opened when the run
// stopped: no request went on it; it is counted so that a full listen
// backlog does not leave the run with nothing to show.
func (s *Slot) ConnectPending() {
	_, d, _ := s.target(s.dueOf(s.next, s.th.StopAt()))
	d.ConnectPending++
}

// EndOffset is the run's end as an offset from its start; -1 without one
// (-n alone).
func (t *Thread) EndOffset() time.Duration { return t.end }

// Over reports whether the run is over at now: stopped, or past its end.
// A dial that fails when the run is over is the end, not a fault.
func (t *Thread) Over(ctx context.Context, now time.Duration) bool {
	return ctx.Err() != nil || t.Aborted() || (t.end >= 0 && now >= t.end)
}

// StopAt is the offset at which requests in flight are counted at the
// stop: now, but no later than the run's end.
func (t *Thread) StopAt() time.Duration {
	now := time.Since(t.Start)
	if t.end >= 0 {
		now = min(now, t.end)
	}
	return now
}

// RequestLimit is how long a sent request may wait for its response
// before it is abandoned as a timeout: --timeout under TimeoutAbort; under
// TimeoutWait none (-1) when the run has an end (it waits for the end, so
// that --timeout never changes the load the server sees), and
// WaitLimitFactor x --timeout without one.
func (t *Thread) RequestLimit() time.Duration {
	if t.TimeoutAction == TimeoutAbort {
		return t.Timeout
	}
	if t.end >= 0 {
		return -1
	}
	return t.Timeout * WaitLimitFactor
}

// Redial backoff after a failed dial, or a connection that ended before it
// carried a request (a GOAWAY on every new HTTP/2 connection): a server
// that is down must not turn gowrk into a SYN flood. It starts at
// MinBackoff, doubles per failure up to MaxBackoff, and resets when a
// connection carries a request. Every engine uses it.
const (
	MinBackoff = 10 * time.Millisecond
	MaxBackoff = time.Second
)

// NextBackoff is the wait before the next dial after one more failure.
func NextBackoff(cur time.Duration) time.Duration {
	return min(max(2*cur, MinBackoff), MaxBackoff)
}

// A Sleeper waits on one reusable timer, for the engines whose connection
// goroutine blocks. It is used by one goroutine.
type Sleeper struct{ t *time.Timer }

// Sleep waits for d or until ctx is done; false means ctx is done.
func (s *Sleeper) Sleep(ctx context.Context, d time.Duration) bool {
	if s.t == nil {
		s.t = time.NewTimer(d)
	} else {
		s.t.Reset(d)
	}
	select {
	case <-s.t.C:
		return true
	case <-ctx.Done():
		s.t.Stop()
		return false
	}
}

// Backoff waits out backoff before a redial, no later than the run's end.
// It returns false when the run is over (ended, or ctx done), so that no
// dial starts after the end.
func (t *Thread) Backoff(ctx context.Context, sl *Sleeper, backoff time.Duration) bool {
	if backoff <= 0 {
		return !t.Over(ctx, time.Since(t.Start))
	}
	d := backoff
	if t.end >= 0 {
		d = min(d, t.end-time.Since(t.Start))
	}
	if d > 0 && !sl.Sleep(ctx, d) {
		return false
	}
	return !t.Over(ctx, time.Since(t.Start))
}
