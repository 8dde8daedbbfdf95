package loadgen

import (
	"fmt"
	"sort"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// newFigures is a Result holding no figures yet, with gowrk's histograms.
func newFigures() *Result {
	return &Result{
		Latency: NewHistogram(), Censored: NewHistogram(), Service: NewHistogram(), SendLag: NewHistogram(), TimerLag: NewHistogram(),
		ReqRate: hdrhistogram.New(1, 1<<40, HistSigFigs), StatusCodes: map[int]uint64{},
	}
}

// Add adds o's figures to r: the histograms bucket by bucket, the counters,
// status codes and error messages summed, and the CPU time. It is the one
// merge of figures: a run's threads are merged with it at the end, and
// Merge merges whole results (gowrk merge) with it.
func (r *Result) Add(o *Result) {
	r.Latency.Merge(o.Latency)
	if o.Censored != nil {
		r.Censored.Merge(o.Censored)
	}
	r.Service.Merge(o.Service)
	r.SendLag.Merge(o.SendLag)
	r.TimerLag.Merge(o.TimerLag)
	r.ReqRate.Merge(o.ReqRate)
	r.Phases.Add(&o.Phases)
	r.Counts.add(&o.Counts)
	for code, n := range o.StatusCodes {
		if n > 0 {
			r.StatusCodes[code] += n
		}
	}
	for _, m := range o.ErrorMessages {
		r.ErrorMessages = addMessage(r.ErrorMessages, m)
	}
	r.Targets = mergeTargets(r.Targets, o.Targets)
	r.CPU += o.CPU
	r.MachineBusy = max(r.MachineBusy, o.MachineBusy) // the busiest machine
}

// MergeOptions says what Merge may combine.
type MergeOptions struct {
	// AllowMixed merges results of different URLs or methods.
	AllowMixed bool
	// Names name the parts in errors (their files); "part N" without.
	Names []string
}

func (o *MergeOptions) name(i int) string {
	if i < len(o.Names) {
		return o.Names[i]
	}
	return fmt.Sprintf("part %d", i+1)
}

// Merge combines results of runs made at the same time (shards of one run,
// or runs on many machines) into one, exactly: figures as Add merges them,
// the time window the union of the parts' (rates are over it), threads,
// connections, -n and -R summed, intervals and rate steps merged by index.
// It refuses what it cannot merge exactly: different URLs or methods
// (unless AllowMixed), a shard given twice, or shards of different counts.
// Missing shards are not an error: the result says which (Merged).
func Merge(parts []*Result, o MergeOptions) (*Result, error) {
	if len(parts) == 0 {
		return nil, fmt.Errorf("nothing to merge")
	}
	first := parts[0]
	res := newFigures()
	res.Config = first.Config
	res.Conn, res.BodyBytes = first.Conn, first.BodyBytes
	res.Conn.QUIC = nil // merged from every part below
	res.Config.Threads, res.Config.Connections, res.Config.Requests, res.Config.Rate = 0, 0, 0, 0
	res.Start, res.End = first.Start, first.End
	m := &MergeInfo{Parts: len(parts)}
	seen := map[int]int{} // shard index -> part
	for i, p := range parts {
		if !o.AllowMixed {
			if p.Config.Target.URL.String() != first.Config.Target.URL.String() || p.Config.Target.Method != first.Config.Target.Method {
				return nil, ConfigErrorf("%s is %s %s, %s %s %s: different targets ({AllowMixed} merges them)",
					o.name(i), p.Config.Target.Method, p.Config.Target.URL, o.name(0), first.Config.Target.Method, first.Config.Target.URL)
			}
		}
		if s := p.Shard; s != nil {
			if j, dup := seen[s.Index]; dup {
				return nil, fmt.Errorf("shard %d/%d is given twice (%s and %s): it would be counted twice", s.Index, s.Count, o.name(j), o.name(i))
			}
			seen[s.Index] = i
		}
		res.Add(p)
		if p.Sampled() && (!res.Sampled() || p.Sample < res.Sample) {
			res.Sample = p.Sample // a part's sample makes the whole one, at most its share
		}
		res.Config.Threads += p.Config.Threads
		res.Config.Connections += p.Config.Connections
		res.Config.Requests += p.Config.Requests
		res.Config.Rate += p.Config.Rate
		if p.Start.Before(res.Start) {
			res.Start = p.Start
		}
		if p.End.After(res.End) {
			res.End = p.End
		}
		res.Interrupted = res.Interrupted || p.Interrupted
		if p.Aborted != "" && res.Aborted == "" {
			res.Aborted = fmt.Sprintf("%s: %s", o.name(i), p.Aborted)
		}
		res.Conn.QUIC = mergeQUIC(res.Conn.QUIC, p.Conn.QUIC)
		if p.Conn.MaxStreams > 0 && (res.Conn.MaxStreams == 0 || p.Conn.MaxStreams < res.Conn.MaxStreams) {
			res.Conn.MaxStreams = p.Conn.MaxStreams
		}
		res.Intervals = mergeIntervals(res.Intervals, p.Intervals)
		res.Steps = mergeStepFigures(res.Steps, p.Steps)
		if p.Shard != nil {
			m.Shards = append(m.Shards, *p.Shard)
			if p.Aborted != "" || p.Counts.Completed == 0 {
				m.Failed = append(m.Failed, p.Shard.Index)
			}
		}
	}
	res.Duration = res.End.Sub(res.Start)
	if first.Warmup != nil {
		var warm []*Result
		for _, p := range parts {
			if p.Warmup != nil {
				warm = append(warm, p.Warmup)
			}
		}
		w, err := Merge(warm, MergeOptions{AllowMixed: true})
		if err != nil {
			return nil, err
		}
		w.Merged, w.Duration, w.RunID = nil, first.Warmup.Duration, ""
		res.Warmup = w
	}
	if err := m.checkShards(); err != nil {
		return nil, err
	}
	res.Merged = m
	res.RunID = newRunID()
	return res, nil
}

// checkShards checks that the shards are 0..N-1 at most once each, notes
// the missing ones and the spread of their starts.
func (m *MergeInfo) checkShards() error {
	if len(m.Shards) == 0 {
		return nil
	}
	sort.Slice(m.Shards, func(i, j int) bool { return m.Shards[i].Index < m.Shards[j].Index })
	m.Count = m.Shards[0].Count
	seen := make([]bool, m.Count)
	var lo, hi time.Duration
	for i, s := range m.Shards {
		if s.Count != m.Count {
			return fmt.Errorf("shard %d/%d beside shard %d/%d: the shards of one run share N", s.Index, s.Count, m.Shards[0].Index, m.Count)
		}
		if s.Index < 0 || s.Index >= m.Count {
			return fmt.Errorf("shard %d/%d: the index must be below N", s.Index, s.Count)
		}
		if seen[s.Index] {
			return fmt.Errorf("shard %d/%d is given twice: it would be counted twice", s.Index, s.Count)
		}
		seen[s.Index] = true
		if i == 0 || s.Late < lo {
			lo = s.Late
		}
		if i == 0 || s.Late > hi {
			hi = s.Late
		}
	}
	if len(m.Shards) != m.Parts {
		return fmt.Errorf("%d of the %d parts are shards: merge the shards of one run, or runs that are not sharded", len(m.Shards), m.Parts)
	}
	for i, ok := range seen {
		if !ok {
			m.Missing = append(m.Missing, i)
		}
	}
	sort.Ints(m.Failed)
	m.Incomplete = len(m.Missing) > 0 || len(m.Failed) > 0
	m.StartSpread = hi - lo
	return nil
}

// mergeIntervals adds the intervals of b to a, by index: parts that share
// a start barrier have the same interval boundaries.
func mergeIntervals(a, b []Interval) []Interval {
	for i := range b {
		iv := &b[i]
		if i >= len(a) {
			a = append(a, Interval{Start: iv.Start, Duration: iv.Duration, Time: iv.Time, StatusCodes: map[int]uint64{},
				Latency: NewHistogram(), Service: NewHistogram(), SendLag: NewHistogram(), Censored: NewHistogram()})
		}
		o := &a[i]
		if iv.Time.Before(o.Time) {
			o.Time = iv.Time
		}
		o.Duration = max(o.Duration, iv.Duration)
		o.AddFigures(iv)
		o.InFlight += iv.InFlight
	}
	return a
}

// AddFigures adds the counters, status codes and histograms of b to iv;
// the times and InFlight (a level, not a count) are the caller's. iv's
// histograms must be its own.
func (iv *Interval) AddFigures(b *Interval) {
	iv.Counts.add(&b.Counts)
	for k := range iv.StatusClasses {
		iv.StatusClasses[k] += b.StatusClasses[k]
	}
	for code, n := range b.StatusCodes {
		if iv.StatusCodes == nil {
			iv.StatusCodes = map[int]uint64{}
		}
		iv.StatusCodes[code] += n
	}
	iv.Latency.Merge(b.Latency)
	iv.Service.Merge(b.Service)
	iv.SendLag.Merge(b.SendLag)
	for i, t := range b.Targets { // (by number: the parts' targets are one file's)
		if i >= len(iv.Targets) {
			iv.Targets = append(iv.Targets, TargetCounts{})
		}
		iv.Targets[i].Completed += t.Completed
		iv.Targets[i].Failed += t.Failed
	}
	if b.Censored != nil {
		if iv.Censored == nil {
			iv.Censored = NewHistogram()
		}
		iv.Censored.Merge(b.Censored)
	}
}

// mergeStepFigures adds the rate steps of b to a, by index.
func mergeStepFigures(a, b []StepFigures) []StepFigures {
	for i := range b {
		st := &b[i]
		if i >= len(a) {
			a = append(a, *newStepFigures(i, st.Duration))
			a[i].Start = st.Start
		}
		o := &a[i]
		o.Completed += st.Completed
		o.Failed += st.Failed
		o.InFlight += st.InFlight
		o.Unsent += st.Unsent
		o.Latency.Merge(st.Latency)
		if st.Censored != nil {
			o.Censored.Merge(st.Censored)
		}
	}
	return a
}
