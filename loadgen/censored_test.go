package loadgen

import (
	"context"
	"sort"
	"testing"
	"testing/synctest"
	"time"
)

// dueTruth is the analytic outcome of every request due in a run: the
// latencies of those completed by the stop and the lower bounds (stop -
// due) of the rest.
type dueTruth struct {
	completed, censored []time.Duration
	inFlight, unsent    uint64
}

// fifoConnTruth derives, for one connection of a constant-rate schedule
// (request n due at t0 + n x period) against a server that answers each
// request in svc and never queues it (at least as many workers as
// connections), every due request's outcome at stop: request n goes out
// at max(its due time, the previous answer), its answer comes svc later.
func (tr *dueTruth) fifoConnTruth(t0, period, svc, stop time.Duration) {
	free := time.Duration(0)
	for n := 0; ; n++ {
		due := t0 + time.Duration(n)*period
		if due >= stop {
			return
		}
		send := max(due, free)
		switch done := send + svc; {
		case send >= stop:
			tr.unsent++
			tr.censored = append(tr.censored, stop-due)
		case done > stop:
			tr.inFlight++
			tr.censored = append(tr.censored, stop-due)
			free = done
		default:
			tr.completed = append(tr.completed, done-due)
			free = done
		}
	}
}

// percentile is the truth's percentile p over every due request, censored
// ones at their bound, and whether it is only a lower bound: sorted, rank
// k = round(p/100 x N) (at least 1), lower when fewer than k completed
// requests are at or below the value.
func (tr *dueTruth) percentile(p float64) (time.Duration, bool) {
	all := append(append([]time.Duration{}, tr.completed...), tr.censored...)
	sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
	k := max(1, min(len(all), int(p/100*float64(len(all))+0.5)))
	v := all[k-1]
	below := 0
	for _, c := range tr.completed {
		if c <= v {
			below++
		}
	}
	return v, below < k
}

// TestCensoredLatencyFIFOWorkers runs a constant rate against 4 FIFO
// workers of 50 ms (80/s), one connection per worker so that no request
// queues in the pool, on synctest's exact clock: below capacity every
// request takes 50 ms; above it each connection falls behind its schedule
// by 25 ms a request, and half the requests due are never sent. The
// percentiles over every due request must match the truth derived request
// by request (never-sent ones at stop - due), with the same lower-bound
// flags; the completed requests' own figures stay beside them.
func TestCensoredLatencyFIFOWorkers(t *testing.T) {
	const (
		workers = 4
		svc     = 50 * time.Millisecond
		d       = 4010 * time.Millisecond // no answer lands exactly on the stop
	)
	for _, tc := range []struct {
		name       string
		rate       float64
		wantUnsent bool
	}{
		{"below capacity", 40, false},
		{"above capacity", 160, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				cfg := fakeConfig()
				cfg.Rate, cfg.Connections, cfg.Duration, cfg.Timeout = tc.rate, workers, d, 10*time.Second
				res, err := Run(context.Background(), cfg, newPool(workers, svc))
				if err != nil {
					t.Fatal(err)
				}
				var tr dueTruth
				perConn := tc.rate / workers
				for i := range workers {
					t0 := dueAt(float64(i) / workers / perConn)
					tr.fifoConnTruth(t0, dueAt(1/perConn), svc, d)
				}
				c := &res.Counts
				if c.Completed != uint64(len(tr.completed)) || c.InFlight != tr.inFlight || c.Unsent != tr.unsent {
					t.Fatalf("completed %d, in flight %d, unsent %d; the truth: %d, %d, %d",
						c.Completed, c.InFlight, c.Unsent, len(tr.completed), tr.inFlight, tr.unsent)
				}
				if (tr.unsent > 0) != tc.wantUnsent {
					t.Fatalf("the truth has %d unsent: the case is not what it says", tr.unsent)
				}
				if got := res.Censored.TotalCount(); got != int64(len(tr.censored)) {
					t.Fatalf("censored %d, want %d (in flight + unsent)", got, len(tr.censored))
				}
				// Tolerance: HdrHistogram's 3 significant digits (0.1%)
				// and the microsecond a recorded value is truncated to.
				for _, dp := range res.DuePercentiles(50, 75, 90, 99, 99.9, 100) {
					want, lower := tr.percentile(dp.Percentile)
					got := time.Duration(dp.Value) * time.Microsecond
					if absDiff(got, want) > want/1000+time.Microsecond || dp.LowerBound != lower {
						t.Errorf("p%v over every due request = %s (lower bound %v), want %s (lower bound %v)",
							dp.Percentile, got, dp.LowerBound, want, lower)
					}
				}
				// The completed requests' own p99 leaves the censored out.
				sort.Slice(tr.completed, func(i, j int) bool { return tr.completed[i] < tr.completed[j] })
				want := tr.completed[int(0.99*float64(len(tr.completed))+0.5)-1]
				if got := time.Duration(res.Latency.ValueAtQuantile(99)) * time.Microsecond; absDiff(got, want) > want/1000+time.Microsecond {
					t.Errorf("p99 of completed requests = %s, want %s", got, want)
				}
			})
		})
	}
}

// closedLoopTruth derives a closed loop of conns connections against
// workers FIFO workers of svc each, all starting at 0: each connection
// sends at once when its answer comes; a request booked at send takes the
// first worker free. Requests are booked in the order they are sent.
func closedLoopTruth(conns, workers int, svc, stop time.Duration) dueTruth {
	var tr dueTruth
	next := make([]time.Duration, conns) // each connection's next send; -1: done
	free := make([]time.Duration, workers)
	for {
		c := -1
		for i, t := range next {
			if t >= 0 && (c < 0 || t < next[c]) {
				c = i
			}
		}
		if c < 0 || next[c] >= stop {
			return tr
		}
		w := 0
		for i := range free {
			if free[i] < free[w] {
				w = i
			}
		}
		send := next[c]
		done := max(send, free[w]) + svc
		free[w] = done
		if done > stop {
			tr.inFlight++
			tr.censored = append(tr.censored, stop-send)
			next[c] = -1
			continue
		}
		tr.completed = append(tr.completed, done-send)
		next[c] = done
	}
}

// TestCensoredClosedLoop: 20 connections in closed loop against 4 FIFO
// workers of 50 ms: every request waits its turn (250 ms once the queue
// is full), and the 20 waiting at the stop are 5.9% of the requests, more
// than the 1% a p99 describes. The figures over every due request match
// the truth, p99 among them only a lower bound, and the run gets the
// CensoredTail finding.
func TestCensoredClosedLoop(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const (
			conns, workers = 20, 4
			svc            = 50 * time.Millisecond
			d              = 4025 * time.Millisecond // no answer lands exactly on the stop
		)
		cfg := fakeConfig()
		cfg.Connections, cfg.Duration, cfg.Timeout = conns, d, 10*time.Second
		res, err := Run(context.Background(), cfg, newPool(workers, svc))
		if err != nil {
			t.Fatal(err)
		}
		tr := closedLoopTruth(conns, workers, svc, d)
		if c := &res.Counts; c.Completed != uint64(len(tr.completed)) || c.InFlight != tr.inFlight || res.Censored.TotalCount() != int64(tr.inFlight) {
			t.Fatalf("completed %d, in flight %d, censored %d; the truth: %d, %d", c.Completed, c.InFlight, res.Censored.TotalCount(), len(tr.completed), tr.inFlight)
		}
		sawLower := false
		for _, dp := range res.DuePercentiles(50, 90, 99, 99.9) {
			want, lower := tr.percentile(dp.Percentile)
			got := time.Duration(dp.Value) * time.Microsecond
			if absDiff(got, want) > want/1000+time.Microsecond || dp.LowerBound != lower {
				t.Errorf("p%v over every due request = %s (lower bound %v), want %s (lower bound %v)", dp.Percentile, got, dp.LowerBound, want, lower)
			}
			sawLower = sawLower || lower
		}
		if !sawLower {
			t.Fatal("the truth has no lower bound: the case does not test one")
		}
		var found *Finding
		for _, f := range res.Findings() {
			if f.Kind == CensoredTail {
				found = &f
			}
		}
		if found == nil || found.Count != tr.inFlight || found.Of != uint64(len(tr.completed))+tr.inFlight {
			t.Fatalf("findings %+v, want CensoredTail of %d in %d", res.Findings(), tr.inFlight, len(tr.completed)+int(tr.inFlight))
		}
	})
}

// TestCensorUnsentAllocs: recording the never-sent requests' bounds at
// the stop allocates nothing, however many there are, with a request log
// or without.
func TestCensorUnsentAllocs(t *testing.T) {
	for _, logged := range []bool{false, true} {
		rec := newRecorder(time.Now())
		var plan Scheduler = ConstantRate{PerConn: 1e6} // a Slot holds its plan as a Scheduler
		s := &Slot{th: &Thread{rec: rec}, plan: plan}
		var w countingLog
		if logged {
			rec.log, rec.logKeep = &w, keepBelow(1)
		}
		if n := testing.AllocsPerRun(5, func() { rec.censorUnsent(s, 0, 100000, 200*time.Millisecond) }); n != 0 {
			t.Fatalf("logged %v: %.0f allocations", logged, n)
		}
		if got := rec.censored.TotalCount(); got != 6*100000 {
			t.Fatalf("censored %d, want %d", got, 6*100000)
		}
		if logged && w.n != 6*100000 {
			t.Fatalf("logged %d records, want %d", w.n, 6*100000)
		}
	}
}

// TestCensoredWorkedExample runs docs/censored-latency.md's worked
// example: one connection at 40/s against 50 ms answers for 990 ms.
func TestCensoredWorkedExample(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfg := fakeConfig()
		cfg.Threads, cfg.Connections, cfg.Rate, cfg.Duration, cfg.Timeout = 1, 1, 40, 990*time.Millisecond, 10*time.Second
		res, err := Run(context.Background(), cfg, newPool(1, 50*time.Millisecond))
		if err != nil {
			t.Fatal(err)
		}
		if c := &res.Counts; c.Completed != 19 || c.InFlight != 1 || c.Unsent != 20 {
			t.Fatalf("completed %d, in flight %d, unsent %d; the example has 19, 1, 20", c.Completed, c.InFlight, c.Unsent)
		}
		ms := func(us int64) int64 { return (us + 500) / 1000 }
		if p50, p90 := ms(res.Latency.ValueAtQuantile(50)), ms(res.Latency.ValueAtQuantile(90)); p50 != 275 || p90 != 450 {
			t.Errorf("completed p50 %d ms, p90 %d ms; the example says 275, 450", p50, p90)
		}
		for i, want := range []int64{265, 465, 515} {
			dp := res.DuePercentiles(50, 90, 99)[i]
			if ms(dp.Value) != want || !dp.LowerBound || dp.UpperKnown {
				t.Errorf("p%v over every due request %+v; the example says >= %d ms, unbounded", dp.Percentile, dp, want)
			}
		}
	})
}
