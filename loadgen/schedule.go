package loadgen

import (
	"math"
	"time"
)

// A Scheduler says when request n (counting from 0) of one connection is due,
// as an offset from the start of the run. It is a pure function.
type Scheduler interface {
	// Due returns the offset at which request n should be sent, and false
	// for a closed loop, where a request is due as soon as the connection is
	// free.
	Due(n uint64) (offset time.Duration, scheduled bool)
}

// ClosedLoop sends each request as soon as the previous one has completed (wrk).
type ClosedLoop struct{}

// Due implements Scheduler.
func (ClosedLoop) Due(uint64) (time.Duration, bool) { return 0, false }

// ConstantRate sends requests at a fixed rate per connection (wrk2): request n
// is due at (n + Phase) / PerConn seconds after the start. Phase in [0, 1)
// staggers the connections so that together they send evenly spaced requests
// instead of bursts of one request per connection.
type ConstantRate struct {
	// PerConn is this connection's share of the rate, in requests per second.
	PerConn float64
	// Phase is this connection's offset, in units of its own interval.
	Phase float64
}

// Due implements Scheduler.
func (s ConstantRate) Due(n uint64) (time.Duration, bool) {
	return dueAt((float64(n) + s.Phase) / s.PerConn), true
}

// dueAt converts a due time in seconds to an offset, rounded to the
// nanosecond, not truncated: (0.6/0.2) s is 2.9999999999999996 s in
// floating point, and truncation would put a request due at the end of a
// 3 s run 1 ns before it (due, and never sent). Past the largest offset
// (or +Inf) it is math.MaxInt64: never.
func dueAt(sec float64) time.Duration {
	if sec >= math.MaxInt64/float64(time.Second) {
		return math.MaxInt64
	}
	return time.Duration(math.Round(sec * float64(time.Second)))
}

// DueBefore returns how many requests of s are due before offset t: the
// number of n with Due(n) < t. s must be non-decreasing in n; a closed loop
// has none due.
func DueBefore(s Scheduler, t time.Duration) uint64 {
	d, scheduled := s.Due(0)
	if !scheduled || d >= t {
		return 0
	}
	hi := uint64(1) // grow hi until Due(hi) >= t; Due(lo) < t throughout
	for {
		if d, _ := s.Due(hi); d >= t {
			break
		}
		if hi >= 1<<62 {
			return hi
		}
		hi *= 2
	}
	lo := hi / 2
	for lo+1 < hi {
		mid := lo + (hi-lo)/2
		if d, _ := s.Due(mid); d < t {
			lo = mid
		} else {
			hi = mid
		}
	}
	return hi
}

// schedulerFor returns the scheduler of connection i of n under cfg.
func schedulerFor(cfg *Config, i, n int) Scheduler {
	if cfg.Shape != nil {
		return ShapeRate{Shape: cfg.Shape, N: n, I: i}
	}
	if cfg.Rate <= 0 {
		return ClosedLoop{}
	}
	if sh := cfg.Shard; sh.Count > 1 {
		// Slot i of this shard is slot i*Count+Index of the single-host
		// run's n*Count: the shards' slots interleave into its schedule.
		return ConstantRate{PerConn: cfg.Rate / float64(n), Phase: float64(i*sh.Count+sh.Index) / float64(n*sh.Count)}
	}
	return ConstantRate{PerConn: cfg.Rate / float64(n), Phase: float64(i) / float64(n)}
}

var (
	_ Scheduler = ClosedLoop{}
	_ Scheduler = ConstantRate{}
)
