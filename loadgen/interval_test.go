package loadgen

import (
	"context"
	"testing"
	"testing/synctest"
	"time"
)

// TestIntervalsAddUp: per-interval figures add up exactly to the run's
// totals (counts and histogram counts), each interval of a 1000/s run
// holds about 1000 requests, and the observer sees them as they end.
func TestIntervalsAddUp(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfg := fakeConfig()
		cfg.Rate, cfg.Duration, cfg.Interval = 1000, 4*time.Second, time.Second
		var seen []time.Duration
		cfg.Observe = func(iv Interval) { seen = append(seen, time.Duration(iv.Counts.Completed)) }
		res, err := Run(context.Background(), cfg, &fakeEngine{service: 5 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		var sum Counts
		var lat, svc, lag, classes uint64
		for i, iv := range res.Intervals {
			sum.add(&iv.Counts)
			lat += uint64(iv.Latency.TotalCount())
			svc += uint64(iv.Service.TotalCount())
			lag += uint64(iv.SendLag.TotalCount())
			classes += iv.StatusClasses[2]
			if i < 4 && (iv.Counts.Completed < 970 || iv.Counts.Completed > 1030) { // batches flush every 20 ms: 20 requests may land next door
				t.Errorf("interval %d: %d completed, want about 1000", i, iv.Counts.Completed)
			}
		}
		if sum != res.Counts {
			t.Errorf("intervals sum to %+v, totals %+v", sum, res.Counts)
		}
		if lat != uint64(res.Latency.TotalCount()) || svc != uint64(res.Service.TotalCount()) || lag != uint64(res.SendLag.TotalCount()) || classes != res.StatusCodes[200] {
			t.Errorf("histogram counts: intervals %d/%d/%d/%d, totals %d/%d/%d/%d", lat, svc, lag, classes,
				res.Latency.TotalCount(), res.Service.TotalCount(), res.SendLag.TotalCount(), res.StatusCodes[200])
		}
		if len(seen) != len(res.Intervals) || len(seen) < 4 {
			t.Errorf("observer saw %d intervals, the result has %d", len(seen), len(res.Intervals))
		}
	})
}
