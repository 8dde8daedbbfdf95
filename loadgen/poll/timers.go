//go:build linux

package poll

import "time"

// Timer is an item's place among a loop's Timers: a field of each item (a
// connection), which has at most one timer. The zero value is none set.
type Timer struct {
	idx int // place in the heap + 1; 0: not in it
}

// Armed reports whether the timer is set.
func (t *Timer) Armed() bool { return t.idx > 0 }

// Timers are an event loop's timers (due sends, redials, timeouts), each
// at an offset from the start of the run, in a heap ordered by when they
// are due, and the pacing of the loop's wakes for them (Slack): the one
// timer rule of the HTTP/1.1 and HTTP/2 loops. The loop owns them: they are
// not safe for concurrent use. Setting, clearing and popping allocate
// nothing once the heap has grown to the items it holds.
type Timers[T any] struct {
	h     []timed[T]
	slack Slack
}

// timed is one timer in the heap: when it is due, its Timer and its item.
type timed[T any] struct {
	at time.Duration
	t  *Timer
	v  *T
}

// Len is how many timers are set.
func (q *Timers[T]) Len() int { return len(q.h) }

// Set sets the item v's timer t (a field of v) to at, or moves it there.
func (q *Timers[T]) Set(t *Timer, v *T, at time.Duration) {
	if i := t.idx - 1; i >= 0 {
		if q.h[i].at == at {
			return
		}
		q.h[i].at = at
		if !q.up(i) {
			q.down(i)
		}
		return
	}
	q.h = append(q.h, timed[T]{at: at, t: t, v: v})
	t.idx = len(q.h)
	q.up(len(q.h) - 1)
}

// Clear clears the timer t, set or not.
func (q *Timers[T]) Clear(t *Timer) {
	i := t.idx - 1
	if i < 0 {
		return
	}
	last := len(q.h) - 1
	if i != last {
		q.swap(i, last)
	}
	q.h[last] = timed[T]{}
	q.h = q.h[:last]
	t.idx = 0
	if i != last && !q.up(i) {
		q.down(i)
	}
}

// Wait is how long the loop may wait at now for its timers: until the
// earliest, and no sooner than the slack allows; false: none is set.
func (q *Timers[T]) Wait(now time.Duration) (time.Duration, bool) {
	if len(q.h) == 0 {
		return 0, false
	}
	return q.slack.Wait(now, q.h[0].at), true
}

// Fire reports whether timers are due at now and, if so, notes the firing
// in the slack: the loop then takes them with Pop.
func (q *Timers[T]) Fire(now time.Duration) bool {
	return len(q.h) > 0 && q.slack.Fire(now, q.h[0].at)
}

// Pop clears and returns the item whose timer is earliest, if it is due
// at now.
func (q *Timers[T]) Pop(now time.Duration) (*T, bool) {
	if len(q.h) == 0 || q.h[0].at > now {
		return nil, false
	}
	v := q.h[0].v
	q.Clear(q.h[0].t)
	return v, true
}

func (q *Timers[T]) swap(i, j int) {
	q.h[i], q.h[j] = q.h[j], q.h[i]
	q.h[i].t.idx, q.h[j].t.idx = i+1, j+1
}

// up moves the timer at i towards the top while it is due before its
// parent; it reports whether it moved.
func (q *Timers[T]) up(i int) bool {
	moved := false
	for i > 0 {
		p := (i - 1) / 2
		if q.h[p].at <= q.h[i].at {
			break
		}
		q.swap(i, p)
		i, moved = p, true
	}
	return moved
}

// down moves the timer at i towards the bottom while a child is due
// before it.
func (q *Timers[T]) down(i int) {
	n := len(q.h)
	for {
		c := 2*i + 1
		if c >= n {
			return
		}
		if r := c + 1; r < n && q.h[r].at < q.h[c].at {
			c = r
		}
		if q.h[i].at <= q.h[c].at {
			return
		}
		q.swap(i, c)
		i = c
	}
}
