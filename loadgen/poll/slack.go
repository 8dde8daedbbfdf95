//go:build linux

package poll

import "time"

// Slack paces an event loop's timers (due sends, redials): they fire at
// most once per TimerSlack, whether the wake was the timer's own or a
// socket's. At 50,000 requests/s one firing then sends the few requests
// that came due together, their answers come back together, and one wake
// reads them all, where firing at every wake sent a request a wake and
// woke again for each answer. It adds at most TimerSlack to a request's
// send lag. A Slack belongs to one loop and is not safe for concurrent use.
type Slack struct {
	last  time.Duration // when the timers last fired (offset from the run's start)
	Fired Fired
}

// Fired is what a Slack let through: how many times timers fired and the
// shortest time between two firings (0: fewer than two). Loops sum theirs
// with Add when they end, for tests and profiles.
type Fired struct {
	N      int
	MinGap time.Duration
}

// Wait is how long a loop may wait at now when its earliest timer is at
// next: until next, and no sooner than TimerSlack after the last firing.
func (s *Slack) Wait(now, next time.Duration) time.Duration {
	if s.Fired.N > 0 {
		next = max(next, s.last+TimerSlack)
	}
	return max(next-now, 0)
}

// Fire reports whether the timers due by now (next: the earliest) fire at
// now, and if so notes the firing.
func (s *Slack) Fire(now, next time.Duration) bool {
	if next > now || (s.Fired.N > 0 && now < s.last+TimerSlack) {
		return false
	}
	if s.Fired.N > 0 && (s.Fired.MinGap == 0 || now-s.last < s.Fired.MinGap) {
		s.Fired.MinGap = now - s.last
	}
	s.last = now
	s.Fired.N++
	return true
}

// Add sums o into f.
func (f *Fired) Add(o Fired) {
	if o.N > 1 && (f.MinGap == 0 || o.MinGap < f.MinGap) {
		f.MinGap = o.MinGap
	}
	f.N += o.N
}
