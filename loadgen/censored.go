package loadgen

import (
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// CensoredTailQuantile is the percentile (in percent) whose tail the
// CensoredTail finding guards: when more than 100 - CensoredTailQuantile
// percent of the requests due never completed, that percentile over every
// due request is only a lower bound, and the one of completed requests
// leaves out the slowest of them.
const CensoredTailQuantile = 99

// BoundSlack is how far above a percentile's lower bound its upper bound
// may be for the percentile to count as known (not only a lower bound):
// 1%, ten times the histograms' resolution.
const BoundSlack = 0.01

// DuePercentile is one percentile over every request due in the measured
// window: the completed ones at their latency, the censored ones (never
// completed) at their lower bound, stop - due. Values are microseconds.
//
// The rule: sort every due request by its value (a censored one at its
// bound; its true latency is at or above it). The percentile p has rank
// k = max(1, min(N, floor(p/100 x N + 0.5))) of the N due, HdrHistogram's
// rank, and Value is the value at rank k. The true percentile is never
// below Value. It is exactly Value (to the histogram's resolution) when at
// least k completed requests are at or below Value: then the censored
// ones, wherever their true latencies lie, cannot move rank k. Otherwise
// rank k may belong to a request still waiting. Then, when at least k
// requests completed, the true percentile is at most the k-th smallest
// completed latency, Upper (UpperKnown); with fewer than k completed
// nothing bounds it from above. LowerBound is set unless Upper is within
// BoundSlack of Value.
type DuePercentile struct {
	Percentile float64
	Value      int64
	LowerBound bool
	Upper      int64
	UpperKnown bool
}

// DuePercentiles are the percentiles ps (in percent) of r over every due
// request (Result.Latency and Result.Censored), by the rule of DuePercentile.
func (r *Result) DuePercentiles(ps ...float64) []DuePercentile {
	return DuePercentilesOf(r.Latency, r.Censored, ps...)
}

// DueCount is how many requests due in the measured window are in the
// figures over every due request: the completed and the censored.
func (r *Result) DueCount() int64 { return r.Latency.TotalCount() + countOf(r.Censored) }

// DueMax is the largest value over every due request and whether it is
// only a lower bound (some request never completed).
func (r *Result) DueMax() (int64, bool) {
	return max(r.Latency.Max(), maxOf(r.Censored)), countOf(r.Censored) > 0
}

// DueMean is the mean over every due request, censored ones at their bound,
// and whether it is only a lower bound.
func (r *Result) DueMean() (float64, bool) {
	nc, nz := float64(r.Latency.TotalCount()), float64(countOf(r.Censored))
	if nc+nz == 0 {
		return 0, false
	}
	sum := r.Latency.Mean() * nc
	if nz > 0 {
		sum += r.Censored.Mean() * nz
	}
	return sum / (nc + nz), nz > 0
}

// DuePercentilesOf applies DuePercentile's rule to completed latencies and
// censored lower bounds (nil: none) of the same geometry.
func DuePercentilesOf(completed, censored *hdrhistogram.Histogram, ps ...float64) []DuePercentile {
	out := make([]DuePercentile, len(ps))
	if countOf(censored) == 0 {
		for i, p := range ps {
			v := completed.ValueAtQuantile(p)
			out[i] = DuePercentile{Percentile: p, Value: v, Upper: v, UpperKnown: completed.TotalCount() > 0}
		}
		return out
	}
	all := completed.Clone()
	all.Merge(censored)
	n := all.TotalCount()
	bars := completed.Distribution() // ascending buckets, of the same geometry
	for i, p := range ps {
		k := percentileRank(p, n)
		v := all.ValueAtQuantile(p)
		d := DuePercentile{Percentile: p, Value: v}
		var atOrBelow int64 // completed at or below v
		for _, b := range bars {
			if b.To > v {
				break
			}
			atOrBelow += b.Count
		}
		d.LowerBound = atOrBelow < k
		d.Upper, d.UpperKnown = v, true
		if d.LowerBound {
			d.Upper, d.UpperKnown = kthSmallest(bars, k)
			// Bounded on both sides to within BoundSlack: as exact as a
			// percentile of completed requests (a closed loop's last
			// request per connection, waiting a few ms at the stop, moves
			// no percentile that matters).
			if d.UpperKnown && float64(d.Upper) <= float64(v)*(1+BoundSlack)+1 {
				d.LowerBound = false
			}
		}
		out[i] = d
	}
	return out
}

// kthSmallest is the highest equivalent value of the bucket holding the
// k-th smallest value of bars, and whether there are k values.
func kthSmallest(bars []hdrhistogram.Bar, k int64) (int64, bool) {
	var cum int64
	for _, b := range bars {
		if cum += b.Count; cum >= k {
			return b.To, true
		}
	}
	return 0, false
}

// percentileRank is HdrHistogram's rank of percentile p among n values:
// round(p/100 x n), at least 1 and at most n.
func percentileRank(p float64, n int64) int64 {
	rank := min(p, 100)/100*float64(n) + 0.5
	if !(rank >= 1) {
		return 1
	}
	if rank >= float64(n) {
		return n
	}
	return int64(rank)
}

func countOf(h *hdrhistogram.Histogram) int64 {
	if h == nil {
		return 0
	}
	return h.TotalCount()
}

func maxOf(h *hdrhistogram.Histogram) int64 {
	if countOf(h) == 0 {
		return 0
	}
	return h.Max()
}

// censoredFinding: in closed loop, more requests were still waiting at
// the stop than the tail CensoredTailQuantile describes.
func (r *Result) censoredFinding() (Finding, bool) {
	if r.Config.Rate > 0 || r.Config.Shape != nil {
		return Finding{}, false // the rate verdict speaks for a schedule
	}
	if c := &r.Counts; c.Completed+c.Failed() == 0 && c.LateInFlight > 0 {
		return Finding{}, false // NoResponse says it
	}
	z := uint64(countOf(r.Censored))
	of := uint64(r.DueCount())
	if z == 0 || float64(z) <= (1-CensoredTailQuantile/100.0)*float64(of) {
		return Finding{}, false
	}
	return Finding{Kind: CensoredTail, Count: z, Of: of, LateInFlight: r.Counts.LateInFlight}, true
}

// censorUnsent records the lower bounds (stop - due) of slot s's requests
// n in [from, to) of its plan that it keeps (a twin's are its origin's
// only: origins.go), due before stop and never sent, in the run's figures
// and (under a shape) their rate step's, and logs them: O(1) each, no
// allocation, under one lock. It returns how many it recorded.
func (r *Recorder) censorUnsent(s *Slot, from, to uint64, stop time.Duration) (count uint64) {
	if from >= to {
		return 0
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	at := micros(stop)
	for n := from; n < to; n++ {
		if !s.mine(n) {
			continue
		}
		count++
		due, _ := s.plan.Due(n)
		d := micros(due)
		step := s.stepOf(due)
		r.censorOne(d, at, step)
		if r.log != nil {
			r.logUnsent(s, n, d, at, step)
		}
	}
	return count
}

// censorOne records one request due at due (µs) and never sent before the
// stop at (µs), in rate step step (<0: none): the one rule for the due
// and unsent, a run's and a log replay's.
func (r *Recorder) censorOne(due, at int64, step int32) {
	v := at - due
	r.record(r.censored, v)
	if r.iv != nil {
		recordClipped(r.iv.censored, v)
	}
	if step >= 0 && r.stepLen > 0 {
		f := r.step(step)
		f.Unsent++
		recordClipped(f.Censored, v)
	}
}
