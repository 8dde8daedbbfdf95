package loadgen

import (
	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// TargetFigures are one target's figures in a run with many targets
// (Config.Targets): its requests by outcome, its status codes and its
// latency. Connections are shared by the targets, so connect errors and
// bytes are the run's only; so are scheduled requests never sent.
type TargetFigures struct {
	// Name is the target's name (its own, or method and URL); figures
	// merge by it.
	Name string
	// Completed, Failed and InFlight count the target's requests by
	// outcome (answered whatever the status; sent and failed; waiting at
	// the stop); Status the answers with status >= 400.
	Completed, Failed, InFlight, Status uint64
	// StatusCodes counts its answers by code (0: a code above 999).
	StatusCodes map[int]uint64
	// Latency holds its completed requests' latency as the run's Latency
	// does, at 2 significant digits (a target is a breakdown; the run's
	// own histogram is exact to 3); nil until one completes.
	Latency *hdrhistogram.Histogram
}

// NewTargetHistogram is an empty per-target latency histogram.
func NewTargetHistogram() *hdrhistogram.Histogram {
	return hdrhistogram.New(HistLowest, HistHighest, 2)
}

// Ended is the number of the target's requests with an outcome.
func (f *TargetFigures) Ended() uint64 { return f.Completed + f.Failed + f.InFlight }

// newTargetFigures is a Recorder's empty figures for targets names.
func newTargetFigures(names []string) []TargetFigures {
	fs := make([]TargetFigures, len(names))
	for i, n := range names {
		fs[i] = TargetFigures{Name: n, StatusCodes: map[int]uint64{}}
	}
	return fs
}

// addTargets records a batch into its targets (the Recorder's lock held).
func (r *Recorder) addTargets(batch []sample) {
	for i := range batch {
		s := &batch[i]
		if s.target == 0 || int(s.target) > len(r.targets) {
			continue
		}
		f := &r.targets[s.target-1]
		switch s.kind {
		case kindCompleted:
			f.Completed++
			if s.status >= 400 {
				f.Status++
			}
			st := int(s.status)
			if st >= maxStatus {
				st = 0
			}
			f.StatusCodes[st]++
			if s.latency >= 0 {
				if f.Latency == nil {
					f.Latency = NewTargetHistogram()
				}
				recordClipped(f.Latency, s.latency)
			}
		case kindFailed:
			f.Failed++
		case kindInFlight:
			f.InFlight++
		}
	}
}

// mergeTargets adds src's targets into dst, by name, exactly: a target in
// src that dst lacks is appended (copied: dst never shares src's
// histograms or maps).
func mergeTargets(dst, src []TargetFigures) []TargetFigures {
	at := make(map[string]int, len(dst))
	for j := range dst {
		at[dst[j].Name] = j
	}
	for i := range src {
		s := &src[i]
		j, ok := at[s.Name]
		if !ok {
			j = len(dst)
			at[s.Name] = j
			dst = append(dst, TargetFigures{Name: s.Name, StatusCodes: map[int]uint64{}})
		}
		d := &dst[j]
		d.Completed += s.Completed
		d.Failed += s.Failed
		d.InFlight += s.InFlight
		d.Status += s.Status
		for code, n := range s.StatusCodes {
			if n > 0 {
				d.StatusCodes[code] += n
			}
		}
		if s.Latency != nil {
			if d.Latency == nil {
				d.Latency = NewTargetHistogram()
			}
			d.Latency.Merge(s.Latency)
		}
	}
	return dst
}

// targetDeltas adds to iv each target's requests since base (the counts
// at the last snapshot) and returns the counts now, the next base.
func targetDeltas(iv *Interval, figs []TargetFigures, base []TargetCounts) []TargetCounts {
	if figs == nil {
		return nil
	}
	if base == nil {
		base = make([]TargetCounts, len(figs))
	}
	if iv.Targets == nil {
		iv.Targets = make([]TargetCounts, len(figs))
	}
	for i := range figs {
		iv.Targets[i].Completed += figs[i].Completed - base[i].Completed
		iv.Targets[i].Failed += figs[i].Failed - base[i].Failed
		base[i] = TargetCounts{Completed: figs[i].Completed, Failed: figs[i].Failed}
	}
	return base
}
