package loadgen

import (
	"context"
	"testing"
	"testing/synctest"
	"time"
)

// noStep puts no request in a rate step (no shape).
func noStep(time.Duration) int32 { return -1 }

// TestStepsCensored: under a rate shape each step's figures hold every
// request due in it (the schedule's target x length, exactly): completed,
// failed, in flight or never sent at the stop, the last two censored at
// their lower bound. Against 4 workers x 50 ms (80/s), 40/s then 80/s
// then 120/s over 2 s each: the first steps complete everything; the
// last completes about 80/s x 2 s of its 240 and its p99 over every due
// request is a lower bound, never above the truth (request n of it,
// due at n/120 s into it and answered about n/80 s + 50 ms in, waits
// n/240 s + 50 ms: its p99 is about 1.04 s).
func TestStepsCensored(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sh, err := ParseShape("40:120:40@2s")
		if err != nil {
			t.Fatal(err)
		}
		cfg := fakeConfig()
		cfg.Rate, cfg.Shape, cfg.Connections, cfg.Duration, cfg.Timeout = 0, sh, 20, 6*time.Second, time.Minute
		res, err := Run(context.Background(), cfg, newPool(4, 50*time.Millisecond))
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Steps) != 3 {
			t.Fatalf("%d steps", len(res.Steps))
		}
		var unsent, censored uint64
		for i, st := range res.Steps {
			due := uint64(40 * (i + 1) * 2)
			got := st.Completed + st.Failed + st.InFlight + st.Unsent
			c := uint64(st.Censored.TotalCount())
			unsent, censored = unsent+st.Unsent, censored+c
			p99 := st.DuePercentiles(99)[0]
			t.Logf("step %d: %d completed, %d in flight, %d unsent; p99 over every due %v us (lower bound %v), of completed %v us",
				i, st.Completed, st.InFlight, st.Unsent, p99.Value, p99.LowerBound, st.Latency.ValueAtQuantile(99))
			if got != due || c != st.InFlight+st.Unsent {
				t.Errorf("step %d: %d requests (want the %d due), %d censored of %d in flight + %d unsent", i, got, due, c, st.InFlight, st.Unsent)
			}
			last := i == len(res.Steps)-1
			if last != p99.LowerBound || (last && (st.Unsent == 0 || c < 60 || p99.Value > 1_100_000)) {
				t.Errorf("step %d: p99 %+v, %d censored", i, p99, c)
			}
		}
		if unsent != res.Counts.Unsent || censored != uint64(res.Censored.TotalCount()) {
			t.Errorf("steps: %d unsent, %d censored; the run: %d, %d", unsent, censored, res.Counts.Unsent, res.Censored.TotalCount())
		}
	})
}
