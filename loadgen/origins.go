package loadgen

import (
	"context"
	"errors"
	"sync"
)

// Targets on many origins (scheme, host, port): each origin has its own
// connections, -c of them, and its own engine (built for that origin's
// URL, TLS name and route). Connection i of every origin is a twin of the
// one plan slot i: it walks the slot's requests in the plan's order and
// sends those whose target is on its origin, skipping the others (its
// twins send them). Which target a due request carries, and when it is
// due, stay the plan's: a shard, -n and -R mean what they mean with one
// origin, and each origin's requests are exactly its targets' share.
// One origin is a run like any other: no twins, no skipping.

// SetOrigins numbers each target's origin (of[i] for target i, from 0,
// every number from 0 to the largest used). One origin: nothing changes.
func (t *Targets) SetOrigins(of []int) error {
	if len(of) != len(t.wire) {
		return ConfigErrorf("{Targets}: %d origins for %d targets", len(of), len(t.wire))
	}
	n := 0
	for _, o := range of {
		if o < 0 || o > n || o >= MaxTargets {
			return ConfigErrorf("{Targets}: origins are numbered from 0 in order of first use")
		}
		n = max(n, o+1)
	}
	t.origins, t.origin = n, nil
	if n > 1 {
		t.origin = make([]uint16, len(of))
		for i, o := range of {
			t.origin[i] = uint16(o)
		}
	}
	return nil
}

// Origins is the number of origins the targets are on: 1 or more.
func (t *Targets) Origins() int { return max(t.origins, 1) }

// originOf is the origin of the request numbered seq in the run's plan.
func (t *Targets) originOf(seq uint64) uint16 {
	if t.origin == nil {
		return 0
	}
	return t.origin[t.Pick(seq)]
}

// mine says whether the slot's request n (in its own numbering) is its
// origin's to send.
func (s *Slot) mine(n uint64) bool {
	return s.origin == 0 || s.targets.originOf(s.seqBase+n*s.seqStride)+1 == s.origin
}

// skipOthers moves the slot's next request past those of other origins,
// within its quota. It is bounded by one cycle of the targets' order
// (round-robin, weighted); under random, by the draw.
func (s *Slot) skipOthers() {
	for (s.quota == 0 || s.next < s.quota) && !s.mine(s.next) {
		s.next++
	}
}

// anyMine says whether the slot has any request of its origin's: within
// its -n share, and within one period of the order's cycle (a slot whose
// stride is a multiple of the cycle carries one target, always). A twin
// with none opens no connection. Under random, any slot may draw any
// target.
func (s *Slot) anyMine() bool {
	t := s.targets
	if t.order == OrderRandom && s.quota == 0 {
		return true
	}
	limit := uint64(len(t.table))
	if s.quota > 0 && (t.order == OrderRandom || s.quota < limit) {
		limit = s.quota
	}
	for n := range limit {
		if s.mine(n) {
			return true
		}
	}
	return false
}

// back moves the slot's next request back to its previous own one (the
// one last taken), past any other origin's skipped since.
func (s *Slot) back() { s.next = s.prev() }

// prev is the number of the slot's own request before next.
func (s *Slot) prev() uint64 {
	if s.next == 0 {
		return 0 // (nothing taken yet)
	}
	n := s.next - 1
	for n > 0 && !s.mine(n) {
		n--
	}
	return n
}

// MostConnections is the most connections the run holds open at once:
// Connections, to each origin of its targets (a twin with no request of
// its origin's opens none, so a run may hold fewer).
func (c *Config) MostConnections() int {
	return c.Connections * max(c.Origins, 1)
}

// Origins is the ThreadEngine of a run whose targets are on many origins:
// one engine per origin (Engines[o] for origin o, each built for that
// origin's Target), each running its twins of every thread's slots.
type Origins struct {
	Engines []Engine
	tes     []ThreadEngine
}

var _ FirstDialer = (*Origins)(nil)

// NewOrigins makes one ThreadEngine of engs, one per origin, in the
// origins' order (Targets.SetOrigins).
func NewOrigins(engs []Engine) (*Origins, error) {
	o := &Origins{Engines: engs}
	for _, e := range engs {
		te, ok := e.(ThreadEngine)
		if !ok {
			ce, ok := e.(ConnEngine)
			if !ok {
				return nil, ConfigErrorf("{Engine}: %T is neither a ConnEngine nor a ThreadEngine", e)
			}
			te = &connThreads{eng: ce}
		}
		if _, ok := e.(HookRunner); !ok {
			return nil, ConfigErrorf("{Targets}: this engine cannot send many targets")
		}
		o.tes = append(o.tes, te)
	}
	return o, nil
}

// Info implements Engine: the first origin's engine's.
func (o *Origins) Info() ConnInfo { return o.tes[0].Info() }

// HooksPerConn implements HookRunner: the Targets are shared by every
// engine (read-only), handed to each as it takes them (RunThread).
func (o *Origins) HooksPerConn() bool { return false }

// DialFirst implements FirstDialer: each origin's first connection, for
// the engines that dial one before the load. A *FatalError ends the run;
// another failure leaves that origin's engine to dial (and count) its own.
func (o *Origins) DialFirst(ctx context.Context) (any, error) {
	firsts := make([]any, len(o.tes))
	for i, te := range o.tes {
		if fd, ok := te.(FirstDialer); ok {
			c, err := fd.DialFirst(ctx)
			var fatal *FatalError
			if errors.As(err, &fatal) {
				return nil, err
			}
			firsts[i] = c
		}
	}
	return firsts, nil
}

// RunThread implements ThreadEngine: th's slots are the origins' twins,
// origin by origin (buildThreads); each origin's engine runs a thread of
// its own twins, on the same figures, and RunThread waits for them all.
func (o *Origins) RunThread(ctx context.Context, th *Thread) {
	per := len(th.Slots) / len(o.tes)
	firsts, _ := th.First.([]any)
	var wg sync.WaitGroup
	for i, te := range o.tes {
		sub := *th
		sub.Slots = th.Slots[i*per : (i+1)*per]
		sub.First = nil
		if firsts != nil {
			sub.First = firsts[i]
		}
		sub.ConnHooks = make([]Hooks, per)
		for k := range sub.ConnHooks {
			sub.ConnHooks[k] = sub.Hooks
		}
		wg.Add(1)
		go func() { defer wg.Done(); te.RunThread(ctx, &sub) }()
	}
	wg.Wait()
}
