//go:build !race

package loadgen

import (
	"context"
	"runtime"
	"testing"
	"time"
)

// TestWorkerLoopAllocs: the worker loop (scheduling, timing, recording,
// flushing) allocates nothing per request. Two runs that differ only in
// their request count must allocate the same, up to a small constant.
func TestWorkerLoopAllocs(t *testing.T) {
	checkRunAllocs(t, instantEngine{}, nil)
}

// TestTargetsAllocs: with --targets on, picking each request's target and
// counting its figures allocates nothing per request either.
func TestTargetsAllocs(t *testing.T) {
	checkRunAllocs(t, instantTargetEngine{}, func(cfg *Config) { cfg.Targets = testTargets(t, OrderRandom, 7, 3, 1, 2) })
}

// TestOriginsAllocs: with targets on two origins, each twin skipping the
// other origin's requests allocates nothing per request.
func TestOriginsAllocs(t *testing.T) {
	eng, err := NewOrigins([]Engine{instantTargetEngine{}, instantTargetEngine{}})
	if err != nil {
		t.Fatal(err)
	}
	checkRunAllocs(t, eng, func(cfg *Config) {
		cfg.Targets = testTargets(t, OrderWeighted, 0, 3, 1, 2)
		if err := cfg.Targets.SetOrigins([]int{0, 1, 0}); err != nil {
			t.Fatal(err)
		}
	})
}

// TestLogAllocs: with a request log on, the worker loop still allocates
// nothing per request.
func TestLogAllocs(t *testing.T) {
	checkRunAllocs(t, instantEngine{}, func(cfg *Config) { cfg.Log = &countingLogs{} })
}

// checkRunAllocs runs eng in closed loop and under -R, 1000 requests and
// many, set up by setup (nil: none), and fails when the many allocate
// more than the few by more than the runs' time explains.
func checkRunAllocs(t *testing.T, eng Engine, setup func(*Config)) {
	mallocs := func(n uint64, rate float64) uint64 {
		cfg := fakeConfig()
		cfg.Duration, cfg.Requests, cfg.Rate = 0, n, rate
		if setup != nil {
			setup(&cfg)
		}
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		if _, err := Run(context.Background(), cfg, eng); err != nil {
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
		// Allow 1 allocation per 100 requests for what grows with the
		// run's time rather than its requests: the runtime's sudogs when a
		// parked worker's cache runs dry, timers, the per-second samplers.
		// CI on a loaded 2-core machine saw 115 of them in 0.5 s at -R;
		// one allocation per request would show as tc.n.
		if large > small+tc.n/100 {
			t.Errorf("%s: %d requests allocate %d times, 1000 requests %d: the loop allocates per request",
				tc.name, tc.n, large, small)
		}
	}
}

// instantTargetEngine is instantEngine that takes Targets' requests.
type instantTargetEngine struct{ instantEngine }

func (instantTargetEngine) HooksPerConn() bool { return true }
func (instantTargetEngine) Dial(context.Context) (Conn, error) {
	return instantTargetConn{}, nil
}

type instantTargetConn struct{ instantConn }

func (instantTargetConn) DoScript(_ []byte, _ bool, _ time.Time, res *Response) error {
	res.Status, res.BytesIn, res.BytesOut = 200, 10, 10
	return nil
}
func (instantTargetConn) Kept() (header, body []byte) { return nil, nil }
