package live

import (
	"time"

	"github.com/gowrk/gowrk/loadgen"
)

// FineInterval is the interval gowrk samples at so that the HTML report
// has at least minPoints points, when the user gave no --interval and
// coarse (the interval the other reports use) would give fewer over a run
// of length run: coarse/k for the smallest whole k that does, so that k
// fine intervals make exactly one coarse one. It is 0 (sample at coarse)
// when coarse already gives enough, or when the run's length is unknown
// (-n alone: its intervals could not be bounded).
func FineInterval(coarse, run time.Duration) (fine time.Duration, k int) {
	if coarse <= 0 || run <= 0 || run/coarse >= minPoints {
		return 0, 1
	}
	k = int((minPoints*coarse + run - 1) / run)      // ceil(minPoints*coarse/run)
	for k > 1 && coarse/time.Duration(k) < minFine { // --interval's floor
		k--
	}
	if k <= 1 {
		return 0, 1
	}
	return coarse / time.Duration(k), k
}

const (
	// minPoints is how many points the HTML report's time charts get at
	// least, when the run's length is known.
	minPoints = 60
	// minFine is the shortest interval sampled (--interval's floor).
	minFine = 10 * time.Millisecond
)

// Regroup sums fine intervals into coarse ones, k fine to one coarse, by
// the tick each fine interval ended on (so that a tick the sampler missed
// shifts nothing). A coarse interval's InFlight is that of its last fine
// one (a level at its end). It is used by one goroutine at a time.
type Regroup struct {
	fine time.Duration
	k    int64
	cur  *loadgen.Interval
	tick int64 // the coarse index of cur
	out  func(loadgen.Interval)
}

// NewRegroup sends each coarse interval of k fine ones to out.
func NewRegroup(fine time.Duration, k int, out func(loadgen.Interval)) *Regroup {
	return &Regroup{fine: fine, k: int64(k), out: out}
}

// Add takes the next fine interval.
func (g *Regroup) Add(iv loadgen.Interval) {
	end := iv.Start + iv.Duration
	ticks := int64((end + g.fine/2) / g.fine) // the tick it ended on (1 = the first)
	idx := max(ticks-1, 0) / g.k
	if g.cur != nil && idx != g.tick {
		g.Flush()
	}
	if g.cur == nil {
		g.cur = &loadgen.Interval{Start: iv.Start, Time: iv.Time,
			Latency: loadgen.NewHistogram(), Service: loadgen.NewHistogram(), SendLag: loadgen.NewHistogram()}
		g.tick = idx
	}
	g.cur.AddFigures(&iv)
	g.cur.Duration = end - g.cur.Start
	g.cur.InFlight = iv.InFlight
}

// Flush sends the coarse interval being summed, if any (the last, partial
// one at the end of a run).
func (g *Regroup) Flush() {
	if g.cur != nil {
		g.out(*g.cur)
		g.cur = nil
	}
}

// RegroupAll sums a run's fine intervals into coarse ones.
func RegroupAll(fine []loadgen.Interval, every time.Duration, k int) []loadgen.Interval {
	var out []loadgen.Interval
	g := NewRegroup(every, k, func(iv loadgen.Interval) { out = append(out, iv) })
	for _, iv := range fine {
		g.Add(iv)
	}
	g.Flush()
	return out
}
