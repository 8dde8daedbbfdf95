package report

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/gowrk/gowrk/loadgen"
)

// A capacity search's steps as each report writes them: the percentiles
// over every request due in the step (the censored, never completed, at
// their lower bound stop - due, by loadgen.DuePercentile's rule) beside
// the same percentiles of the completed requests alone.

// stepPercentiles are the percentiles of the step table: p50, p99 and
// every percentile an SLO names, ascending.
func (s *Search) stepPercentiles() []float64 {
	ps := []float64{50, 99}
	for _, th := range s.SLOs {
		if q := th.Quantile(); q > 0 && q < 1 && !slices.Contains(ps, 100*q) {
			ps = append(ps, 100*q)
		}
	}
	slices.Sort(ps)
	return ps
}

// stepRows writes the step table: for each step its target and achieved
// rates, its requests due and those never completed, the percentiles over
// every due request (">= " marks a lower bound), the same percentiles of
// completed requests, errors and the verdict.
func stepRows(w io.Writer, s *Search) {
	ps := s.stepPercentiles()
	lead := fmt.Sprintf("  %10s %10s %8s %10s ", "", "", "", "")
	fmt.Fprintf(w, "%s %-*s  %s\n", lead, 12*len(ps), "every due request (>= a lower bound)", "completed requests only")
	head := fmt.Sprintf("  %10s %10s %8s %10s ", "target/s", "achieved/s", "due", "unfinished")
	for range 2 {
		for _, p := range ps {
			head += fmt.Sprintf(" %11s", "p"+percentileKey(p))
		}
		head += " "
	}
	fmt.Fprintf(w, "%s%8s  %s\n", head, "errors", "result")
	for i := range s.Result.Steps {
		p := &s.Result.Steps[i]
		r := p.Result
		res := "held"
		if !p.Held() {
			res = "failed: " + failReason(p)
		}
		if f, ok := r.RateFinding(); ok && p.GeneratorLimited {
			res = "measured gowrk, not the server (" + f.Kind.String() + ")"
		}
		row := fmt.Sprintf("  %10s %10.1f %8d %10d ", RateText(p.Rate), p.Achieved, r.DueCount(), censoredCount(r))
		for _, dp := range r.DuePercentiles(ps...) {
			row += fmt.Sprintf(" %11s", dueText(dp.Value, dp.LowerBound))
		}
		row += " "
		for _, q := range ps {
			row += fmt.Sprintf(" %11s", completedText(r, q))
		}
		fmt.Fprintf(w, "%s %8d  %s\n", row, r.Counts.Errors(), res)
	}
}

// completedText is percentile q of r's completed requests, or "-" when
// none completed (an empty histogram measures nothing, not 0).
func completedText(r *loadgen.Result, q float64) string {
	if r.Latency.TotalCount() == 0 {
		return "-"
	}
	return formatTimeUs(float64(r.Latency.ValueAtQuantile(q)))
}

// jsonStep is one step of a capacity search: latency_all_due is over
// every request due in the step, latency of the completed alone.
type jsonStep struct {
	Target           float64    `json:"target"`
	Achieved         float64    `json:"achieved"`
	Answered         float64    `json:"answered"`
	Latency          jsonIvDist `json:"latency"`
	LatencyAllDue    jsonDue    `json:"latency_all_due"`
	Errors           jsonErrors `json:"errors"`
	Completed        uint64     `json:"completed"`
	Needed           uint64     `json:"completions_needed"`
	QueueGrew        bool       `json:"queue_grew"`
	Held             bool       `json:"held"`
	Failed           []string   `json:"failed"`
	GeneratorLimited bool       `json:"generator_limited"`
}

// jsonPercentiles are the percentiles of a step's JSON (and a
// confirmation's): p50, p90, p99, p99.9 and every one an SLO names.
func (s *Search) jsonPercentiles() []float64 {
	ps := []float64{50, 90, 99, 99.9}
	for _, p := range s.stepPercentiles() {
		if !slices.Contains(ps, p) {
			ps = append(ps, p)
		}
	}
	slices.Sort(ps)
	return ps
}

// stepJSON is step p as JSON.
func (s *Search) stepJSON(p *loadgen.Probe) (jsonStep, error) {
	ps := s.jsonPercentiles()
	due, err := dueOf(p.Result, ps)
	if err != nil {
		return jsonStep{}, err
	}
	due.CensoredHistogram = "" // a step is a summary; the run's reports are lossless
	failed := p.Failed
	if failed == nil {
		failed = []string{}
	}
	return jsonStep{Target: p.Rate, Achieved: p.Achieved, Answered: p.Result.RequestsPerSec(),
		Latency: ivDist(p.Result.Latency, ps), LatencyAllDue: due, Errors: errorsOf(&p.Result.Counts),
		Completed: p.Completed, Needed: p.Needed, QueueGrew: p.QueueGrew, Held: p.Held(), Failed: failed, GeneratorLimited: p.GeneratorLimited}, nil
}

// searchCSVPercentiles are the percentiles of the search's CSV rows (fixed:
// rows appended to a file keep its header).
var searchCSVPercentiles = []float64{50, 99, 99.9}

// searchColumns are the columns of --find-max-rate's CSV report: the
// completed requests' percentiles, then the requests due, those never
// completed and each percentile over every due request with its
// lower-bound flag.
var searchColumns = append([]string{"target", "achieved", "answered", "latency_p50_us", "latency_p99_us", "latency_p99.9_us", "errors",
	"held", "failed", "generator_limited", "due", "censored"}, dueColumns(searchCSVPercentiles)...)

// stepCSV is step p's CSV row.
func stepCSV(p *loadgen.Probe) []string {
	r := p.Result
	f := func(v float64) string { return strconv.FormatFloat(v, 'f', 2, 64) }
	row := []string{f(p.Rate), f(p.Achieved), f(r.RequestsPerSec())}
	for _, q := range searchCSVPercentiles {
		row = append(row, strconv.FormatInt(r.Latency.ValueAtQuantile(q), 10))
	}
	row = append(row, strconv.FormatUint(r.Counts.Errors(), 10), strconv.FormatBool(p.Held()), strings.Join(p.Failed, ";"),
		strconv.FormatBool(p.GeneratorLimited), strconv.FormatInt(r.DueCount(), 10), strconv.FormatInt(censoredCount(r), 10))
	vals, lower := map[string]int64{}, map[string]bool{}
	duePercentilesInto(vals, lower, nil, r.DuePercentiles(searchCSVPercentiles...))
	return append(row, dueCells(vals, lower, searchCSVPercentiles)...)
}

// ProbeFigures are a step's figures for its progress line: the achieved
// rate, completions, requests never completed and the p99 over every due
// request (">= " on a lower bound) beside the completed requests'.
func ProbeFigures(p *loadgen.Probe) string {
	r := p.Result
	dp := r.DuePercentiles(99)[0]
	return fmt.Sprintf("achieved %.1f/s, %d completed, %d never completed, p99 %s over every due request, %s of completed",
		p.Achieved, p.Completed, censoredCount(r), dueText(dp.Value, dp.LowerBound), completedText(r, 99))
}
