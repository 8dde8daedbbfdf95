//go:build linux

package poll

import (
	"math/rand/v2"
	"testing"
	"time"
)

type item struct {
	timer Timer
	at    time.Duration // the reference: when it is due; -1: none
	n     int
}

// TestTimers: random sets, moves and clears over 64 items, checked after
// each step against a plain list: the items popped at a time are exactly
// those due by then, earliest first, and every Timer knows whether it is
// set.
func TestTimers(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	items := make([]item, 64)
	for i := range items {
		items[i] = item{at: -1, n: i}
	}
	var q Timers[item]
	now := time.Duration(1000) // no timer before 0: -1 is the reference's none
	for step := range 20000 {
		it := &items[rng.IntN(len(items))]
		switch rng.IntN(4) {
		case 0, 1: // set or move, sometimes to a time already due
			it.at = now + time.Duration(rng.IntN(1000)-100)
			q.Set(&it.timer, it, it.at)
		case 2:
			it.at = -1
			q.Clear(&it.timer)
		case 3: // time passes: pop what is due
			now += time.Duration(rng.IntN(200))
			last := time.Duration(-1 << 62)
			for {
				v, ok := q.Pop(now)
				if !ok {
					break
				}
				if v.at < 0 || v.at > now || v.at < last || v.timer.Armed() {
					t.Fatalf("step %d: popped item %d due at %s (now %s, the one before at %s, still set %v)", step, v.n, v.at, now, last, v.timer.Armed())
				}
				last, v.at = v.at, -1
			}
		}
		set := 0
		for i := range items {
			if items[i].at >= 0 {
				set++
			}
			if items[i].timer.Armed() != (items[i].at >= 0) {
				t.Fatalf("step %d: item %d set %v, want %v", step, i, items[i].timer.Armed(), items[i].at >= 0)
			}
		}
		if q.Len() != set {
			t.Fatalf("step %d: %d timers, want %d", step, q.Len(), set)
		}
		// Nothing due stays behind a Pop that finds none.
		if _, ok := q.Pop(now); !ok {
			for i := range items {
				if a := items[i].at; a >= 0 && a <= now {
					t.Fatalf("step %d: item %d due at %s <= %s was not popped", step, i, a, now)
				}
			}
		} else {
			// Pop took one: put it back where it was, and the reference is unchanged.
			for i := range items {
				if a := items[i].at; a >= 0 && !items[i].timer.Armed() {
					q.Set(&items[i].timer, &items[i], a)
				}
			}
		}
	}
}

// TestTimersSlack: the timers pace their wakes as Slack does: with one due
// every 10 µs, a loop that wakes only for them fires once per TimerSlack
// and takes all that came due.
func TestTimersSlack(t *testing.T) {
	var q Timers[item]
	if _, ok := q.Wait(0); ok || q.Fire(0) {
		t.Fatal("no timer set, yet a wait or a firing")
	}
	const step = 10 * time.Microsecond
	items := make([]item, 1000)
	for i := range items {
		q.Set(&items[i].timer, &items[i], time.Duration(i+1)*step)
	}
	now, wakes, popped := time.Duration(0), 0, 0
	for q.Len() > 0 {
		w, ok := q.Wait(now)
		if !ok {
			t.Fatal("timers set, no wait")
		}
		now += w
		if !q.Fire(now) {
			t.Fatalf("at %s: woke for a timer that did not fire", now)
		}
		wakes++
		for _, ok := q.Pop(now); ok; _, ok = q.Pop(now) {
			popped++
		}
	}
	if want := int(time.Duration(len(items)) * step / TimerSlack); popped != len(items) || wakes < want || wakes > want+1 {
		t.Errorf("%d fired in %d wakes, want %d in %d (one per %s)", popped, wakes, len(items), want, TimerSlack)
	}
}

// TestTimersAllocs: once grown, setting, moving and popping allocate
// nothing (the loops' per-request path under -R).
func TestTimersAllocs(t *testing.T) {
	var q Timers[item]
	items := make([]item, 100)
	for i := range items {
		q.Set(&items[i].timer, &items[i], time.Duration(i))
	}
	now := time.Duration(0)
	allocs := testing.AllocsPerRun(100, func() {
		for i := range items {
			q.Set(&items[i].timer, &items[i], now+time.Duration(100-i))
		}
		now += 200
		for _, ok := q.Pop(now); ok; _, ok = q.Pop(now) {
		}
		for i := range items {
			q.Set(&items[i].timer, &items[i], now+time.Duration(i))
		}
	})
	if allocs != 0 {
		t.Errorf("%v allocations per round, want 0", allocs)
	}
}
