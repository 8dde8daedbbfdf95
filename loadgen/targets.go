package loadgen

import (
	"fmt"
	"strings"
	"time"
)

// TargetOrder is how a run with many targets picks the target of each
// request.
type TargetOrder uint8

const (
	// OrderRoundRobin takes the targets in turn, each once per cycle
	// (weights are ignored).
	OrderRoundRobin TargetOrder = iota
	// OrderWeighted takes them in a fixed, smooth interleaving in which
	// each appears Weight times per cycle of the weights' sum.
	OrderWeighted
	// OrderRandom draws each request's target at random, with probability
	// Weight over the weights' sum, from a pure function of the seed and
	// the request's number: the same seed gives the same sequence.
	OrderRandom
)

// MaxTargets bounds the targets of a run, and MaxWeightSum the sum of
// their weights (the length of one weighted cycle).
const (
	MaxTargets   = 10_000
	MaxWeightSum = 1_000_000
)

// Targets are the requests of a run with many targets (--targets): each
// one's HTTP/1.1 bytes built once, and the rule that picks a request's
// target from its number in the run's plan. It is read-only once built,
// so every engine goroutine shares one. It is a Hooks so that every
// engine sends its requests through the seam a script's take (ScriptFeed),
// with no script behind it: ScriptFeed asks Pick, never Request.
type Targets struct {
	// Names name the targets in the figures (Result.Targets), in order.
	Names []string
	wire  [][]byte // each target's request, as sent under HTTP/1.1
	table []uint16 // one cycle of target numbers
	order TargetOrder
	seed  uint64
	// idempotent: every target's method is (a stale request is resent).
	idempotent bool
	// origin is each target's origin, when they are on more than one
	// (SetOrigins); origins is how many.
	origin  []uint16
	origins int
}

// NewTargets builds the Targets of names, their requests' wire bytes
// (HTTP/1.1, as h1.BuildRequest makes them) and weights (each >= 1),
// picked in order; seed drives OrderRandom.
func NewTargets(names []string, wire [][]byte, weights []uint32, order TargetOrder, seed uint64) (*Targets, error) {
	n := len(wire)
	if n == 0 || n > MaxTargets || len(names) != n || len(weights) != n {
		return nil, fmt.Errorf("targets: %d targets, %d names, %d weights; want 1 to %d of each", n, len(names), len(weights), MaxTargets)
	}
	t := &Targets{Names: names, wire: wire, order: order, seed: seed, idempotent: true}
	for _, w := range wire {
		method, _, _ := strings.Cut(string(w), " ")
		t.idempotent = t.idempotent && isIdempotent(method)
	}
	if order == OrderRoundRobin {
		for i := range n {
			t.table = append(t.table, uint16(i))
		}
		return t, nil
	}
	var sum uint64
	for _, w := range weights {
		if w == 0 {
			return nil, fmt.Errorf("targets: a weight of 0")
		}
		sum += uint64(w)
	}
	if sum > MaxWeightSum {
		return nil, fmt.Errorf("targets: weights sum to %d; at most %d", sum, MaxWeightSum)
	}
	t.table = smoothCycle(weights, int(sum))
	return t, nil
}

// smoothCycle is nginx's smooth weighted round-robin over one cycle of
// sum picks: target i appears weights[i] times, spread evenly.
func smoothCycle(weights []uint32, sum int) []uint16 {
	cur := make([]int64, len(weights))
	out := make([]uint16, 0, sum)
	for range sum {
		best := 0
		for i, w := range weights {
			cur[i] += int64(w)
			if cur[i] > cur[best] {
				best = i
			}
		}
		cur[best] -= int64(sum)
		out = append(out, uint16(best))
	}
	return out
}

// Len is the number of targets.
func (t *Targets) Len() int { return len(t.wire) }

// Pick is the target of the request numbered seq in the run's plan (its
// number over every connection and shard, Slot.seq): a pure function of
// seq, so that a shard sends exactly its share of each target.
func (t *Targets) Pick(seq uint64) int {
	if t.order == OrderRandom {
		seq = splitmix64(seq + t.seed*0x9e3779b97f4a7c15)
	}
	return int(t.table[seq%uint64(len(t.table))])
}

// Wire is target i's request bytes; the caller must not change them.
func (t *Targets) Wire(i int) []byte { return t.wire[i] }

// splitmix64 is a 64-bit mixing function (Steele et al., SplitMix64's
// finaliser): equal inputs give equal outputs, near inputs far ones.
func splitmix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// The Hooks of Targets: no script runs. Request is never called (the
// feed picks by number); it serves the next target in turn should a
// caller outside the seam ask.

// Request implements Hooks: target 0's request.
func (t *Targets) Request(buf []byte, lens []int) ([]byte, []int, error) {
	buf = append(buf, t.wire[0]...)
	return buf, append(lens, len(t.wire[0])), nil
}

// Delay implements Hooks: none.
func (t *Targets) Delay() (time.Duration, error) { return 0, nil }

// WantsResponse implements Hooks: responses are counted, not kept.
func (t *Targets) WantsResponse() bool { return false }

// Response implements Hooks; never called (WantsResponse is false).
func (t *Targets) Response(int, []byte, []byte) error { return nil }

// Stopped implements Hooks: never.
func (t *Targets) Stopped() bool { return false }

// Addr implements Hooks: the run's own address.
func (t *Targets) Addr() string { return "" }

// targetHooks gives every thread, connection or stream slot (as the
// engine takes Hooks) the run's Targets, which are read-only.
func targetHooks(cfg *Config, eng Engine) error {
	if cfg.Targets == nil {
		return nil
	}
	hr, ok := eng.(HookRunner)
	if !ok || cfg.Hooks != nil {
		return ConfigErrorf("{Targets}: this engine cannot send many targets, or a script sends the requests")
	}
	cfg.Hooks = make([]Hooks, hookCount(cfg, hr))
	for i := range cfg.Hooks {
		cfg.Hooks[i] = cfg.Targets
	}
	return nil
}

// seqOf numbers slot i of n's requests in the run's plan: request k is
// base + k*stride, the slots of every shard interleaved as schedulerFor
// interleaves their due times.
func seqOf(cfg *Config, i, n int) (stride, base uint64) {
	count, index := 1, 0
	if sh := cfg.Shard; sh.Count > 1 {
		count, index = sh.Count, sh.Index
	}
	return uint64(n * count), uint64(i*count + index)
}
