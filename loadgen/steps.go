package loadgen

import (
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// maxSteps bounds the steps reported for a rate shape; later requests
// count in the last.
const maxSteps = 1000

// StepFigures are one step of a rate shape: the requests that were due in
// it (not those that ended in it), so a step's figures are exact whatever
// the latency.
type StepFigures struct {
	// Index is the step's number from 0; Start its offset from the start
	// of the measured run, Duration its length.
	Index           int
	Start, Duration time.Duration
	// Completed, Failed and InFlight count the step's requests by outcome;
	// Unsent those due in it and never sent by the stop.
	Completed, Failed, InFlight, Unsent uint64
	// Latency holds the completed ones (2 significant digits: a step is a
	// summary, the run's own histograms are exact to 3), Censored the
	// lower bounds (stop - due) of those that never completed (in flight
	// or unsent at the stop), of the same geometry.
	Latency, Censored *hdrhistogram.Histogram
}

func newStepFigures(i int, l time.Duration) *StepFigures {
	return &StepFigures{Index: i, Start: time.Duration(i) * l, Duration: l,
		Latency: hdrhistogram.New(HistLowest, HistHighest, 2), Censored: hdrhistogram.New(HistLowest, HistHighest, 2)}
}

// DuePercentiles are the percentiles ps (in percent) over every request
// due in the step, the censored at their lower bound, by the rule of
// DuePercentile.
func (f *StepFigures) DuePercentiles(ps ...float64) []DuePercentile {
	return DuePercentilesOf(f.Latency, f.Censored, ps...)
}

// step is the figures of step i, grown as needed (the Recorder's lock is
// held).
func (r *Recorder) step(i int32) *StepFigures {
	for int(i) >= len(r.steps) {
		r.steps = append(r.steps, newStepFigures(len(r.steps), r.stepLen))
	}
	return r.steps[i]
}

// addSteps records a batch into its steps (the Recorder's lock is held).
func (r *Recorder) addSteps(batch []sample) {
	for i := range batch {
		s := &batch[i]
		if s.step < 0 {
			continue
		}
		f := r.step(s.step)
		switch s.kind {
		case kindCompleted:
			f.Completed++
			if s.latency >= 0 {
				recordClipped(f.Latency, s.latency)
			}
		case kindFailed:
			f.Failed++
		case kindInFlight:
			f.InFlight++
			if s.latency >= 0 {
				recordClipped(f.Censored, s.latency)
			}
		}
	}
}

// mergeSteps adds every recorder's steps together.
func mergeSteps(recs []*Recorder) []StepFigures {
	var out []StepFigures
	for _, r := range recs {
		steps := make([]StepFigures, len(r.steps))
		for i, f := range r.steps {
			steps[i] = *f
		}
		out = mergeStepFigures(out, steps)
	}
	return out
}

// AchievedPerSec is the step's requests answered per second.
func (f *StepFigures) AchievedPerSec() float64 { return perSec(f.Completed, f.Duration) }
