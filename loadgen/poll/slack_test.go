//go:build linux

package poll

import (
	"testing"
	"time"
)

// TestSlack: with a timer due every 10 µs, a loop that wakes only for its
// timers wakes once per TimerSlack and fires all that came due; a timer
// due when a socket woke the loop fires then.
func TestSlack(t *testing.T) {
	var s Slack
	const step = 10 * time.Microsecond
	if w := s.Wait(0, 3*step); w != 3*step {
		t.Fatalf("first wait %s, want %s (nothing fired yet)", w, 3*step)
	}
	now, wakes := 3*step, 0
	for now < 100*TimerSlack {
		next := now - now%step // the earliest timer not yet fired is due
		if !s.Fire(now, next) {
			t.Fatalf("at %s: a due timer did not fire", now)
		}
		wakes++
		now += s.Wait(now, now+step)
	}
	if wakes != 100 {
		t.Errorf("%d timer wakes in %s, want one per %s (100)", wakes, 100*TimerSlack, TimerSlack)
	}
	// A socket's wake 10 µs after a firing: the due timer fires with it.
	if !s.Fire(now+step, now) {
		t.Error("a due timer did not fire at a socket's wake")
	}
	if s.Fire(now+2*step, now+3*step) {
		t.Error("fired a timer not yet due")
	}
	if w := s.Wait(now+2*step, now+time.Hour); w != time.Hour-2*step {
		t.Errorf("a timer an hour away: wait %s", w)
	}
}
