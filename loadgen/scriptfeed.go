package loadgen

import "time"

// ScriptFeed hands out a script's requests (Hooks) one at a time, for the
// engines that send one request per connection turn or per HTTP/2 stream:
// it asks request() for a batch when the last one is spent (and delay()
// for the batch's wait) and splits it into requests. Used by one goroutine,
// the one that owns the Hooks.
type ScriptFeed struct {
	Hooks Hooks
	pend  []byte
	lens  []int
	next  int // the batch's next request
	off   int // its offset in pend
	delay time.Duration
	from  time.Duration // when the batch was asked for
	cur   uint16        // under Targets: the target of the batch, + 1
}

// Ready makes sure a request is ready and returns when it may go out: due
// plus the batch's delay under a schedule (delay() adds to the due time, as
// in wrk2), the batch's time plus the delay in closed loop. It returns
// false when the script stopped its thread, or failed: the run is then
// aborted with the script's error (th.Abort).
func (f *ScriptFeed) Ready(s *Slot, now, due time.Duration, scheduled bool) (time.Duration, bool) {
	if t, ok := f.Hooks.(*Targets); ok {
		if f.next >= len(f.lens) {
			f.pick(t, s.seq())
		}
		if scheduled {
			return due, true
		}
		return now, true
	}
	th := s.th
	if f.next >= len(f.lens) {
		if f.Hooks.Stopped() {
			return 0, false
		}
		b, lens, err := f.Hooks.Request(f.pend[:0], f.lens[:0])
		if err == nil {
			f.pend, f.lens = b, lens
		}
		var d time.Duration
		if err == nil {
			d, err = f.Hooks.Delay()
		}
		if err != nil {
			f.lens, f.next = f.lens[:0], 0
			th.Abort(err)
			return 0, false
		}
		f.next, f.off, f.delay, f.from = 0, 0, d, now
	}
	if scheduled {
		return due + f.delay, true
	}
	return f.from + f.delay, true
}

// pick readies target i's request as a batch of one, for the request
// numbered seq: its bytes are the Targets', shared and never written.
func (f *ScriptFeed) pick(t *Targets, seq uint64) {
	i := t.Pick(seq)
	f.pend, f.lens = t.Wire(i), append(f.lens[:0], len(t.Wire(i)))
	f.next, f.off, f.delay, f.cur = 0, 0, 0, uint16(i+1)
}

// Target is the number of the target (Targets) whose request the batch
// is; -1 under a script.
func (f *ScriptFeed) Target() int { return int(f.cur) - 1 }

// Len is the number of requests in the current batch.
func (f *ScriptFeed) Len() int { return len(f.lens) }

// Fresh says no request of the current batch has been taken yet.
func (f *ScriptFeed) Fresh() bool { return f.next == 0 }

// Take returns the next request's bytes, valid until the next Ready.
func (f *ScriptFeed) Take() []byte {
	n := f.lens[f.next]
	req := f.pend[f.off : f.off+n]
	f.next++
	f.off += n
	return req
}
