//go:build !race

package loadgen

import (
	"context"
	"runtime"
	"testing"
)

// TestWorkerLoopAllocs: the worker loop (scheduling, timing, recording,
// flushing) allocates nothing per request. Two runs that differ only in
// their request count must allocate the same, up to a small constant.
func TestWorkerLoopAllocs(t *testing.T) {
	mallocs := func(n uint64, rate float64) uint64 {
		cfg := fakeConfig()
		cfg.Duration, cfg.Requests, cfg.Rate = 0, n, rate
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		if _, err := Run(context.Background(), cfg, instantEngine{}); err != nil {
			t.Fatal(err)
		}
		runtime.ReadMemStats(&after)
		return after.Mallocs - before.Mallocs
	}
	for _, tc := range []struct {
		name string
		rate float64
		n    uint64
	}{{"closed-loop", 0, 200_000}, {"rate", 200_000, 100_000}} {
		small, large := mallocs(1000, tc.rate), mallocs(tc.n, tc.rate)
		// Allow 1 allocation per 1000 requests for the runtime's own
		// bookkeeping (timers, goroutine stacks growing once).
		if large > small+tc.n/1000 {
			t.Errorf("%s: %d requests allocate %d times, 1000 requests %d: the loop allocates per request",
				tc.name, tc.n, large, small)
		}
	}
}
