package loadgen

import (
	"math"
	"time"
)

// Probe is one step of a capacity search: a constant-rate run at Rate and
// what it showed.
type Probe struct {
	// Rate is the target, Achieved what was sent on schedule and did not
	// fail (Result.AchievedRate), Answered what completed, in requests
	// per second.
	Rate, Achieved, Answered float64
	// Completed is the step's completed requests, Needed how many it
	// needs to judge its SLOs (CompletionsToJudge).
	Completed, Needed uint64
	// QueueGrew says the server answered clearly fewer than were sent
	// (QueueShortfall): its queue grew over the step.
	QueueGrew bool
	// Failed lists the SLOs that did not hold ("" entries are not kept).
	Failed []string
	// GeneratorLimited says the step measured gowrk, not the server: its
	// rate verdict is gowrk's CPU, its timer or its busy machine
	// (Result.GeneratorLimited).
	GeneratorLimited bool
	// Stop ends the search at once, without counting this probe (the run
	// was interrupted).
	Stop bool
	// Result is the step's whole result, for the report; the search does
	// not read it.
	Result *Result
}

// JudgeStep is the probe of a step at rate that ran r: its figures, the
// SLOs that failed (failed, as the caller words them) and whether gowrk
// or the server set its pace. needed is CompletionsToJudge of the SLOs.
func JudgeStep(rate float64, r *Result, needed uint64, failed []string) Probe {
	return Probe{Rate: rate, Achieved: r.AchievedRate(), Answered: r.RequestsPerSec(), Completed: r.Counts.Completed,
		Needed: needed, QueueGrew: r.queueGrew(r.serviceMean()), Failed: failed, GeneratorLimited: r.GeneratorLimited(), Result: r}
}

// Held reports whether the probe held: every SLO held, at least Needed
// requests completed (a step that completed too few cannot show that its
// SLOs hold), the achieved rate was at least AchievedShare of the target
// and the server's queue did not grow.
func (p *Probe) Held() bool {
	return len(p.Failed) == 0 && p.Completed >= p.Needed && p.Achieved >= AchievedShare*p.Rate && !p.QueueGrew
}

// AchievedShare is the share of the target a step must achieve to hold.
const AchievedShare = 0.99

// MinCompletions is the fewest completions any step is judged on.
const MinCompletions = 100

// CompletionsToJudge is how many completed requests a step needs before
// an SLO on quantile q (0.99 for p99) can be judged: MinCompletions, and
// MinCompletions/(1-q), so that MinCompletions of them lie above the
// quantile (10,000 for p99, 1,000 for p90). q of 0 (a mean, a count, a
// share) or 1 (the max) needs MinCompletions.
func CompletionsToJudge(q float64) uint64 {
	if q <= 0 || q >= 1 {
		return MinCompletions
	}
	return max(MinCompletions, uint64(math.Ceil(MinCompletions/(1-q)-1e-6)))
}

// StepMargin is how many more requests than it needs a step is given,
// for those still in flight at its end.
const StepMargin = 1.25

// JudgeableRate is the lowest rate whose steps of length step hold enough
// requests to judge an SLO that needs needed completions, with StepMargin.
func JudgeableRate(needed uint64, step time.Duration) float64 {
	if step <= 0 {
		return 0
	}
	return StepMargin * float64(needed) / step.Seconds()
}

// serviceMean is the mean service time.
func (r *Result) serviceMean() time.Duration {
	return time.Duration(r.Service.Mean()) * time.Microsecond
}

// SearchResult is a capacity search's answer.
type SearchResult struct {
	// Steps are the probes in the order they ran.
	Steps []Probe
	// Max is the highest rate that held (0: none did); FirstFail the lowest
	// that did not, if one ran (0: none).
	Max, FirstFail float64
	// LowerBound says the search stopped because a step measured gowrk
	// (or its machine), not the server: the service may take more than Max.
	LowerBound bool
	// Floor is the lowest rate whose steps can be judged (below it a step
	// holds fewer requests than its SLOs need); TooShort says the search
	// stopped there, with no rate held: longer steps are needed.
	Floor    float64
	TooShort bool
	// Confirm is the confirmation of Max (ConfirmMax); nil when none ran.
	// With it, Max is the confirmed rate (0: none was).
	Confirm *Confirmation
}

// SearchMaxRate finds the highest constant rate at which run's probes hold:
// an exponential probe up from start (doubling) until a probe fails, then a
// bisection between the last rate that held and the first that failed,
// until they are within precision (a share: 0.05) of each other, or
// maxSteps probes have run. A first probe that fails halves the rate until
// one holds, but never below floor, the lowest rate whose steps hold
// enough requests to be judged (a start below it starts at it): halving
// past it could only fail again, so the search stops there (TooShort). A
// probe that is generator-limited stops the search: Max is then a lower
// bound. run is the only side effect; the search is a pure function of
// what it returns.
func SearchMaxRate(run func(rate float64) Probe, start, floor, precision float64, maxSteps int) SearchResult {
	res := SearchResult{Floor: floor}
	lo, hi := 0.0, math.Inf(1)
	rate := max(start, ceilRate(floor))
	probe := func(r float64) (held, stop bool) {
		p := run(r)
		if p.Stop {
			return false, true
		}
		p.Rate = r
		res.Steps = append(res.Steps, p)
		if p.GeneratorLimited {
			res.LowerBound = true
			return false, true
		}
		return p.Held(), false
	}
	for len(res.Steps) < maxSteps {
		held, stop := probe(rate)
		if stop {
			break
		}
		if held {
			lo = rate
		} else {
			hi = rate
		}
		switch {
		case math.IsInf(hi, 1):
			rate *= 2 // still probing up
		case lo == 0:
			rate /= 2 // the first probes failed: look below
			if rate < floor {
				res.TooShort = true
				return res.finish(lo, hi)
			}
			if rate < start/1024 {
				return res.finish(lo, hi)
			}
		case hi-lo <= precision*lo:
			return res.finish(lo, hi)
		default:
			rate = roundRate((lo + hi) / 2)
			if rate <= lo || rate >= hi {
				return res.finish(lo, hi)
			}
		}
	}
	return res.finish(lo, hi)
}

func (r SearchResult) finish(lo, hi float64) SearchResult {
	r.Max = lo
	if !math.IsInf(hi, 1) {
		r.FirstFail = hi
	}
	return r
}

// roundRate keeps three significant digits: a search reports 437/s, not
// 437.109375/s.
func roundRate(r float64) float64 {
	if r <= 0 {
		return r
	}
	mag := math.Pow(10, math.Floor(math.Log10(r))-2)
	return math.Round(r/mag) * mag
}

// ceilRate is r rounded up to three significant digits.
func ceilRate(r float64) float64 {
	if r <= 0 {
		return r
	}
	mag := math.Pow(10, math.Floor(math.Log10(r))-2)
	return math.Ceil(r/mag-1e-9) * mag
}
