package loadgen

import "math"

// Probe is one step of a capacity search: a constant-rate run at Rate and
// what it showed.
type Probe struct {
	// Rate is the target, Achieved what was sent on schedule and did not
	// fail (Result.AchievedRate), in requests per second.
	Rate, Achieved float64
	// Failed lists the SLOs that did not hold ("" entries are not kept).
	Failed []string
	// GeneratorLimited says gowrk itself could not keep the schedule (its
	// timer fell behind, or its CPU was saturated while short of target).
	GeneratorLimited bool
	// Stop ends the search at once, without counting this probe (the run
	// was interrupted).
	Stop bool
	// Result is the step's whole result, for the report; the search does
	// not read it.
	Result *Result
}

// Held reports whether the probe held: every SLO held and the achieved rate
// was at least AchievedShare of the target.
func (p *Probe) Held() bool { return len(p.Failed) == 0 && p.Achieved >= AchievedShare*p.Rate }

// AchievedShare is the share of the target a step must achieve to hold.
const AchievedShare = 0.99

// SearchResult is a capacity search's answer.
type SearchResult struct {
	// Steps are the probes in the order they ran.
	Steps []Probe
	// Max is the highest rate that held (0: none did); FirstFail the lowest
	// that did not, if one ran (0: none).
	Max, FirstFail float64
	// LowerBound says the search stopped because gowrk itself was the
	// bottleneck: the service may take more than Max.
	LowerBound bool
}

// SearchMaxRate finds the highest constant rate at which run's probes hold:
// an exponential probe up from start (doubling) until a probe fails, then a
// bisection between the last rate that held and the first that failed,
// until they are within precision (a share: 0.05) of each other, or
// maxSteps probes have run. A first probe that fails halves the rate until
// one holds. A probe that is generator-limited stops the search: Max is
// then a lower bound. run is the only side effect; the search is a pure
// function of what it returns.
func SearchMaxRate(run func(rate float64) Probe, start, precision float64, maxSteps int) SearchResult {
	var res SearchResult
	lo, hi := 0.0, math.Inf(1)
	rate := start
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
