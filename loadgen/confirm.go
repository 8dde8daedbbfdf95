package loadgen

// ConfirmSteps is a confirmation's default length, in steps: a
// confirmation of a search with 10 s steps lasts 30 s.
const ConfirmSteps = 3

// Confirmation is what ConfirmMax found when it checked a search's answer.
type Confirmation struct {
	// Runs are the confirmation runs in order: one at the search's
	// answer and, when that one did not hold, one at StepDown of it.
	Runs []Probe
	// Searched is the highest rate that held a step (the search's Max
	// before confirmation).
	Searched float64
	// Held says the answer (SearchResult.Max) held its confirmation;
	// Stopped that a confirmation run was interrupted.
	Held, Stopped bool
}

// ConfirmHeld reports whether a confirmation run held: as a step holds
// (Probe.Held), and measuring the server, not gowrk.
func ConfirmHeld(p *Probe) bool { return p.Held() && !p.GeneratorLimited }

// StepDown is the rate one precision (a share: 0.05) below rate, to three
// significant digits, and always below rate.
func StepDown(rate, precision float64) float64 {
	lower := roundRate(rate * (1 - precision))
	if lower >= rate {
		lower = rate * (1 - precision)
	}
	return lower
}

// ConfirmMax checks r's answer with confirm, one run at a rate (the
// caller makes it a full-length run, longer than a step: a rate slightly
// above capacity can hold a short step while its queue grows). The rule:
// one run at r.Max; if it holds, Max stands. If not, that rate fails
// (FirstFail) and one more run goes at StepDown(r.Max, precision); if it
// holds, it is the answer, else no rate is confirmed (Max 0). The search
// never steps down twice: a second failure says the steps were too short
// to find the capacity, and a longer --step-duration, not more guessing,
// is what finds it. A run that was interrupted (Probe.Stop) ends the
// confirmation (Stopped): Max stays as it was, unconfirmed, if no run
// had failed, else it is 0. No answer (Max 0) runs no confirmation.
func ConfirmMax(confirm func(rate float64) Probe, r SearchResult, precision float64) SearchResult {
	if r.Max <= 0 {
		return r
	}
	c := &Confirmation{Searched: r.Max}
	r.Confirm = c
	for rate := r.Max; ; rate = StepDown(r.Max, precision) {
		p := confirm(rate)
		if p.Stop {
			c.Stopped = true
			if len(c.Runs) > 0 {
				r.Max = 0 // the answer failed; the lower rate is unconfirmed
			}
			return r
		}
		p.Rate = rate
		c.Runs = append(c.Runs, p)
		if ConfirmHeld(&p) {
			r.Max, c.Held = rate, true
			return r
		}
		if r.FirstFail == 0 || rate < r.FirstFail {
			r.FirstFail = rate
		}
		if len(c.Runs) == 2 {
			r.Max = 0
			return r
		}
	}
}
