//go:build linux

package poll

import (
	"testing"
	"time"
)

// TestSlack: timers due at every 10 µs, and wakes every 10 µs (a socket's
// or the timer's own), fire once per TimerSlack; the wait never ends
// before the next firing may come, nor after a due timer.
func TestSlack(t *testing.T) {
	var s Slack
	const step = 10 * time.Microsecond
	for now := time.Duration(0); now < 100*TimerSlack; now += step {
		next := now - step/2 // a timer came due since the last wake
		if w := s.Wait(now, next); s.Fire(now, next) != (w == 0) {
			t.Fatalf("at %s: wait %s, but fire %v", now, w, !(w == 0))
		}
	}
	if s.Fired.N != 100 || s.Fired.MinGap != TimerSlack {
		t.Errorf("fired %+v, want 100 firings at least %s apart", s.Fired, TimerSlack)
	}
	if w := s.Wait(s.last, s.last+time.Hour); w != time.Hour {
		t.Errorf("a timer an hour away: wait %s", w)
	}
	if s.Fire(s.last+2*TimerSlack, s.last+3*TimerSlack) {
		t.Error("fired a timer not yet due")
	}
	var sum Fired
	sum.Add(Fired{N: 1})
	sum.Add(s.Fired)
	sum.Add(Fired{N: 3, MinGap: 2 * TimerSlack})
	if sum != (Fired{N: 104, MinGap: TimerSlack}) {
		t.Errorf("sum %+v", sum)
	}
}
