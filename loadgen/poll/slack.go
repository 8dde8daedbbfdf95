//go:build linux

package poll

import "time"

// Slack paces an event loop's timers (due sends, redials): a wake for the
// timers alone comes at most once per TimerSlack, so that at 50,000
// requests/s one such wake sends the few requests that came due together.
// A timer due at a wake for a socket fires at that wake: pacing every
// firing as well added 46 µs to the median send lag at -R 50k and saved no
// CPU (docs/speed.md). A Slack belongs to one loop and is not safe for
// concurrent use.
type Slack struct {
	// earliest is the soonest the timers may wake the loop again:
	// TimerSlack after they last fired (an offset from the run's start).
	earliest time.Duration
}

// Wait is how long a loop may wait at now when its earliest timer is at
// next: until next, and no sooner than TimerSlack after the last firing.
func (s *Slack) Wait(now, next time.Duration) time.Duration {
	return max(max(next, s.earliest)-now, 0)
}

// Fire reports whether timers are due at now (next: the earliest) and, if
// so, notes that they fire now.
func (s *Slack) Fire(now, next time.Duration) bool {
	if next > now {
		return false
	}
	s.earliest = now + TimerSlack
	return true
}
