package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/gowrk/gowrk/loadgen"
)

// confirmText says how the confirmation (loadgen.ConfirmMax) went, after
// the search's answer of a rate: "" when none ran.
func (s *Search) confirmText() string {
	c := s.Result.Confirm
	if c == nil {
		return ""
	}
	var parts []string
	for i := range c.Runs {
		p := &c.Runs[i]
		if loadgen.ConfirmHeld(p) {
			parts = append(parts, fmt.Sprintf("confirmed by a %s run at %s/s (%s)", formatRunFor(s.ConfirmDuration), RateText(p.Rate), s.confirmFigures(p)))
			continue
		}
		what := "the search's answer"
		if i > 0 {
			what = "one precision lower"
		}
		parts = append(parts, fmt.Sprintf("%s/s (%s) failed its %s confirmation: %s", RateText(p.Rate), what, formatRunFor(s.ConfirmDuration), confirmReason(p)))
	}
	if c.Stopped {
		parts = append(parts, "the confirmation was interrupted: not confirmed")
	}
	return strings.Join(parts, "; ")
}

// confirmReason says why a confirmation run did not hold.
func confirmReason(p *loadgen.Probe) string {
	if p.GeneratorLimited {
		return "it measured gowrk, not the server: " + RateVerdict(p.Result)
	}
	return failReason(p)
}

// confirmFigures are a confirmation run's figures: the achieved rate and
// each SLO as measured (a percentile over every due request).
func (s *Search) confirmFigures(p *loadgen.Probe) string {
	r := p.Result
	parts := []string{fmt.Sprintf("achieved %.1f/s, %d due, %d never completed", p.Achieved, r.DueCount(), censoredCount(r))}
	for _, th := range s.SLOs {
		parts = append(parts, th.Check(r).Measured)
	}
	return strings.Join(parts, ", ")
}

// confirmLines writes the confirmation runs under the step table.
func confirmLines(w io.Writer, s *Search) {
	c := s.Result.Confirm
	if c == nil || len(c.Runs) == 0 {
		return
	}
	fmt.Fprintf(w, "  confirmation: one run of %s after %s settling (percentiles over every due request)\n", formatRunFor(s.ConfirmDuration), formatRunFor(s.Settle))
	for i := range c.Runs {
		p := &c.Runs[i]
		res := "held"
		if !loadgen.ConfirmHeld(p) {
			res = "failed: " + confirmReason(p)
		}
		fmt.Fprintf(w, "  %10s  %s; %s\n", RateText(p.Rate)+"/s", s.confirmFigures(p), res)
	}
}

// jsonConfirm is one confirmation run.
type jsonConfirm struct {
	Target           float64           `json:"target"`
	Achieved         float64           `json:"achieved"`
	Answered         float64           `json:"answered"`
	Completed        uint64            `json:"completed"`
	LatencyAllDue    jsonDue           `json:"latency_all_due"`
	SLOs             []ThresholdResult `json:"slos"`
	Held             bool              `json:"held"`
	Failed           []string          `json:"failed"`
	GeneratorLimited bool              `json:"generator_limited"`
}

// confirmJSON is the confirmation runs as JSON (an empty list when none ran).
func confirmJSON(s *Search) ([]jsonConfirm, error) {
	out := []jsonConfirm{}
	c := s.Result.Confirm
	if c == nil {
		return out, nil
	}
	ps := s.jsonPercentiles()
	for i := range c.Runs {
		p := &c.Runs[i]
		due, err := dueOf(p.Result, ps)
		if err != nil {
			return nil, err
		}
		j := jsonConfirm{Target: p.Rate, Achieved: p.Achieved, Answered: p.Answered, Completed: p.Completed, LatencyAllDue: due,
			SLOs: []ThresholdResult{}, Held: loadgen.ConfirmHeld(p), Failed: p.Failed, GeneratorLimited: p.GeneratorLimited}
		if j.Failed == nil {
			j.Failed = []string{}
		}
		for _, th := range s.SLOs {
			j.SLOs = append(j.SLOs, th.Check(p.Result))
		}
		out = append(out, j)
	}
	return out, nil
}
