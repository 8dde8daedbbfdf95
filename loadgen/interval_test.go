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
		var codes uint64
		for _, iv := range res.Intervals {
			codes += iv.StatusCodes[200]
		}
		if codes != res.StatusCodes[200] {
			t.Errorf("status 200: intervals %d, totals %d", codes, res.StatusCodes[200])
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

// TestWarmup: requests due during the warm-up are counted apart, exactly:
// at 1000/s, a 1 s warm-up and a 2 s run hold 1000 and 2000 requests, the
// main figures (counts, histograms, duration, intervals) only the latter.
func TestWarmup(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfg := fakeConfig()
		cfg.Rate, cfg.Warmup, cfg.Duration, cfg.Interval = 1000, time.Second, 2*time.Second, time.Second
		eng := &fakeEngine{service: 5 * time.Millisecond}
		res, err := Run(context.Background(), cfg, eng)
		if err != nil {
			t.Fatal(err)
		}
		w := res.Warmup
		if w == nil || w.Counts.Sent+w.Counts.Unsent != 1000 || w.Counts.Completed+w.Counts.InFlight != w.Counts.Sent {
			t.Fatalf("warm-up %+v", w)
		}
		c := res.Counts
		if c.Sent+c.Unsent != 2000 || c.Completed+c.InFlight != c.Sent || uint64(res.Latency.TotalCount()) != c.Completed {
			t.Errorf("main %+v, latency count %d", c, res.Latency.TotalCount())
		}
		if got := eng.requests.Load(); got != int64(c.Sent+w.Counts.Sent) {
			t.Errorf("server saw %d, warm-up %d + main %d", got, w.Counts.Sent, c.Sent)
		}
		if res.Duration != 2*time.Second || w.Duration != time.Second {
			t.Errorf("durations %s and %s", res.Duration, w.Duration)
		}
		var sum Counts
		for _, iv := range res.Intervals {
			sum.add(&iv.Counts)
		}
		if sum != c {
			t.Errorf("intervals %+v, main %+v", sum, c)
		}
	})
}
