package loadgen

import (
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// Interval is what a run did in one interval (Config.Interval): counters
// as deltas, latency figures of the requests that ended in it. Taken from
// each thread's Recorder between batches, under the Recorder's own lock,
// so no engine is stopped or slowed. The intervals of a run add up exactly
// to its totals: every batch lands in exactly one interval.
type Interval struct {
	// Start is the interval's start, as an offset from the run's start;
	// Duration its length (the last one may be shorter); Time its start on
	// the wall clock.
	Start, Duration time.Duration
	Time            time.Time
	// Counts are the interval's counters. Counts.InFlight is non-zero only
	// in the last interval (requests in flight at the stop).
	Counts Counts
	// InFlight is how many requests were in flight at the interval's end.
	InFlight uint64
	// StatusClasses counts responses by class: [1] 1xx ... [5] 5xx, [0]
	// other; StatusCodes by code (0: a code above 999).
	StatusClasses [6]uint64
	StatusCodes   map[int]uint64
	// Latency, Service and SendLag hold the interval's requests (the same
	// geometry as the run's histograms). Censored holds the lower bounds
	// (stop - due) of the requests due that never completed: non-empty
	// only in the last interval, as Counts.InFlight and Counts.Unsent.
	Latency, Service, SendLag, Censored *hdrhistogram.Histogram
	// Targets are the interval's requests by target (Config.Targets), by
	// the target's number; nil without targets.
	Targets []TargetCounts
}

// TargetCounts are one target's requests in an interval, by outcome.
type TargetCounts struct {
	Completed, Failed uint64
}

// RequestsPerSec is the interval's completed responses per second.
func (iv *Interval) RequestsPerSec() float64 { return perSec(iv.Counts.Completed, iv.Duration) }

// Sliver reports whether iv is the stop's sliver of an interval: shorter
// than a tenth of the run's interval (every). Its counts belong to the
// run's totals, but its few milliseconds give no rate (a closed-loop run
// completes none in it), so a chart or a gauge leaves it out.
func (iv *Interval) Sliver(every time.Duration) bool { return iv.Duration < every/10 }

// intervalFigures is a Recorder's figures since its last snapshot.
type intervalFigures struct {
	latency, service, lag, censored *hdrhistogram.Histogram
	classes                         [6]uint64
	base                            Counts // the Recorder's counts at the last snapshot
	codes                           [maxStatus]uint64
	targets                         []TargetCounts // the Recorder's per-target counts at the last snapshot
}

func newIntervalFigures() *intervalFigures {
	return &intervalFigures{latency: NewHistogram(), service: NewHistogram(), lag: NewHistogram(), censored: NewHistogram()}
}

func (f *intervalFigures) add(batch []sample) {
	for i := range batch {
		s := &batch[i]
		if s.latency >= 0 {
			if s.kind == kindInFlight {
				recordClipped(f.censored, s.latency)
			} else {
				recordClipped(f.latency, s.latency)
			}
		}
		if s.service >= 0 {
			recordClipped(f.service, s.service)
		}
		if s.lag >= 0 {
			recordClipped(f.lag, s.lag)
		}
		if s.status > 0 {
			c := int(s.status) / 100
			if c > 5 {
				c = 0
			}
			f.classes[c]++
		}
	}
}

// recordClipped records v in h, clipped to the histogram's range (the
// clipping is counted once, in the run's totals).
func recordClipped(h *hdrhistogram.Histogram, v int64) {
	_ = h.RecordValue(min(max(v, 0), HistHighest))
}

// snapshotInto adds the Recorder's figures since its last snapshot to iv
// and starts a new interval.
func (r *Recorder) snapshotInto(iv *Interval) {
	r.mu.Lock()
	defer r.mu.Unlock()
	f := r.iv
	iv.Latency.Merge(f.latency)
	iv.Service.Merge(f.service)
	iv.SendLag.Merge(f.lag)
	iv.Censored.Merge(f.censored)
	f.latency.Reset()
	f.service.Reset()
	f.lag.Reset()
	f.censored.Reset()
	for i, n := range f.classes {
		iv.StatusClasses[i] += n
	}
	f.classes = [6]uint64{}
	for code, n := range r.status {
		if d := n - f.codes[code]; d > 0 {
			if iv.StatusCodes == nil {
				iv.StatusCodes = map[int]uint64{}
			}
			iv.StatusCodes[code] += d
		}
	}
	f.codes = r.status
	f.targets = targetDeltas(iv, r.targets, f.targets)
	delta := r.counts
	delta.sub(&f.base)
	iv.Counts.add(&delta)
	f.base = r.counts
	iv.InFlight += r.counts.Sent - r.counts.Resent - r.counts.Completed - r.counts.Failed() - r.counts.InFlight
}

// snapshot takes one interval from every recorder.
func snapshot(recs []*Recorder, runStart time.Time, start, end time.Duration) Interval {
	iv := Interval{Start: start, Duration: end - start, Time: runStart.Add(start), Latency: NewHistogram(), Service: NewHistogram(), SendLag: NewHistogram(), Censored: NewHistogram()}
	for _, r := range recs {
		r.snapshotInto(&iv)
	}
	return iv
}

// sampleIntervals takes an interval every every until stop is called; each
// goes to observe (when not nil) and into the returned list, which stop
// completes with the last (partial) interval once every slot has finished.
func sampleIntervals(recs []*Recorder, start time.Time, every time.Duration, observe func(Interval)) (stop func() []Interval) {
	for _, r := range recs {
		r.mu.Lock()
		r.iv = newIntervalFigures()
		r.mu.Unlock()
	}
	var list []Interval
	quit := make(chan struct{})
	finished := make(chan struct{})
	last := time.Duration(0)
	take := func(now time.Duration) {
		iv := snapshot(recs, start, last, now)
		last = now
		if observe != nil {
			observe(iv)
		}
		list = append(list, iv)
	}
	go func() {
		defer close(finished)
		if wait := time.Until(start); wait > 0 { // the warm-up is not measured
			select {
			case <-time.After(wait):
			case <-quit:
				return
			}
		}
		tick := time.NewTicker(every)
		defer tick.Stop()
		for {
			select {
			case <-tick.C:
				take(time.Since(start))
			case <-quit:
				return
			}
		}
	}()
	return func() []Interval {
		close(quit)
		<-finished
		take(max(time.Since(start), last))
		return list
	}
}
