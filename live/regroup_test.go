package live

import (
	"testing"
	"time"

	"github.com/gowrk/gowrk/loadgen"
)

// TestFineInterval: the page gets at least 60 points whenever the run's
// length is known, k fine intervals make exactly one coarse one, and
// nothing changes where coarse already gives 60 or the length is unknown.
func TestFineInterval(t *testing.T) {
	for _, tc := range []struct {
		coarse, run time.Duration
		fine        time.Duration
		k           int
	}{
		{time.Second, 3 * time.Second, 50 * time.Millisecond, 20},
		{time.Second, time.Second, time.Second / 60, 60},
		{time.Second, 30 * time.Second, 500 * time.Millisecond, 2},
		{time.Second, 59 * time.Second, 500 * time.Millisecond, 2},
		{time.Second, 60 * time.Second, 0, 1},
		{time.Second, 0, 0, 1}, // -n alone
		{10 * time.Second, 100 * time.Second, 10 * time.Second / 6, 6},
		{20 * time.Millisecond, 500 * time.Millisecond, 10 * time.Millisecond, 2}, // the 10ms floor
	} {
		fine, k := FineInterval(tc.coarse, tc.run)
		if fine != tc.fine || k != tc.k {
			t.Errorf("FineInterval(%s, %s) = %s, %d; want %s, %d", tc.coarse, tc.run, fine, k, tc.fine, tc.k)
		}
		if k > 1 && fine > minFine && tc.run/fine < minPoints { // (at the floor, what it can)
			t.Errorf("FineInterval(%s, %s): %d points", tc.coarse, tc.run, tc.run/fine)
		}
	}
}

// TestRegroup: 50 ms intervals summed 20 to a second, with a tick the
// sampler missed (one interval of 100 ms) and the stop's partial one: the
// coarse intervals add up exactly to the fine ones, on the second's
// boundaries, each with the in-flight level of its last fine interval.
func TestRegroup(t *testing.T) {
	fine := 50 * time.Millisecond
	var ivs []loadgen.Interval
	var at time.Duration
	for i := 0; at < 2300*time.Millisecond; i++ {
		d := fine
		if i == 7 {
			d = 2 * fine // a missed tick
		}
		if at+d > 2300*time.Millisecond {
			d = 2300*time.Millisecond - at
		}
		iv := loadgen.Interval{Start: at, Duration: d, Counts: loadgen.Counts{Completed: uint64(i + 1)}, InFlight: uint64(i),
			StatusCodes: map[int]uint64{200: uint64(i + 1)}, Latency: loadgen.NewHistogram(), Service: loadgen.NewHistogram(), SendLag: loadgen.NewHistogram()}
		iv.Latency.RecordValue(int64(1000 + i))
		ivs = append(ivs, iv)
		at += d
	}
	got := RegroupAll(ivs, fine, 20)
	want := []struct {
		start, dur time.Duration
		completed  uint64
	}{{0, time.Second, 0}, {time.Second, time.Second, 0}, {2 * time.Second, 300 * time.Millisecond, 0}}
	for _, iv := range ivs {
		want[min(int((iv.Start+iv.Duration-1)/time.Second), 2)].completed += iv.Counts.Completed
	}
	if len(got) != len(want) {
		t.Fatalf("%d coarse intervals, want %d", len(got), len(want))
	}
	var total uint64
	for i, w := range want {
		g := &got[i]
		if g.Start != w.start || g.Duration != w.dur || g.Counts.Completed != w.completed || g.StatusCodes[200] != w.completed {
			t.Errorf("interval %d: %s+%s, %d completed, %d 200s; want %s+%s, %d", i, g.Start, g.Duration, g.Counts.Completed, g.StatusCodes[200], w.start, w.dur, w.completed)
		}
		total += uint64(g.Latency.TotalCount())
	}
	if total != uint64(len(ivs)) || got[2].InFlight != ivs[len(ivs)-1].InFlight {
		t.Errorf("latency counts %d of %d; last in flight %d, want %d", total, len(ivs), got[2].InFlight, ivs[len(ivs)-1].InFlight)
	}
}
