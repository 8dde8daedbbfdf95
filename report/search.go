package report

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/gowrk/gowrk/loadgen"
)

// Search describes a capacity search for its reports.
type Search struct {
	Config       loadgen.Config // the steps' common configuration
	SLOs         []Threshold
	Precision    float64
	StepDuration time.Duration
	Settle       time.Duration
	Result       loadgen.SearchResult
}

// Answer is the search's conclusion in one sentence.
func (s *Search) Answer() string {
	r := &s.Result
	slos := sloList(s.SLOs)
	var why string
	if fail := s.step(r.FirstFail); fail != nil {
		why = "; at " + rateText(fail.Rate) + "/s " + failReason(fail)
	}
	switch {
	case r.LowerBound:
		last := r.Steps[len(r.Steps)-1]
		return fmt.Sprintf("sustains at least %s requests/s with %s; at %s/s gowrk itself was the bottleneck (its own timer or CPU), so this is a lower bound: run gowrk with more -t, on more cores or more machines", rateText(r.Max), slos, rateText(last.Rate))
	case r.Max == 0:
		return fmt.Sprintf("no rate held %s, down to %s requests/s%s", slos, rateText(r.Steps[len(r.Steps)-1].Rate), why)
	}
	return fmt.Sprintf("sustains %s requests/s with %s%s", rateText(r.Max), slos, why)
}

func (s *Search) step(rate float64) *loadgen.Probe {
	for i := range s.Result.Steps {
		if s.Result.Steps[i].Rate == rate && rate > 0 {
			return &s.Result.Steps[i]
		}
	}
	return nil
}

func sloList(ts []Threshold) string {
	var parts []string
	for _, t := range ts {
		parts = append(parts, t.Expr)
	}
	return strings.Join(parts, " and ")
}

// failReason says why a step did not hold.
func failReason(p *loadgen.Probe) string {
	var parts []string
	parts = append(parts, p.Failed...)
	if p.Achieved < loadgen.AchievedShare*p.Rate {
		parts = append(parts, fmt.Sprintf("only %.1f/s achieved", p.Achieved))
	}
	if len(parts) == 0 {
		return "held"
	}
	return strings.Join(parts, ", ")
}

func rateText(r float64) string { return strconv.FormatFloat(r, 'g', 6, 64) }

// SearchText writes the search as a table of its steps and the answer.
func SearchText(w io.Writer, s *Search) error {
	cfg := &s.Config
	fmt.Fprintf(w, "Capacity search @ %s\n  %d threads and %d connections, steps of %s after %s settling, precision %.3g%%\n  SLOs: %s\n",
		RedactURL(cfg.Target.URL), cfg.Threads, cfg.Connections, formatRunFor(s.StepDuration), formatRunFor(s.Settle), 100*s.Precision, sloList(s.SLOs))
	fmt.Fprintf(w, "  %10s %10s %10s %10s %10s %8s  %s\n", "target/s", "achieved/s", "p50", "p99", "p99.9", "errors", "result")
	for i := range s.Result.Steps {
		p := &s.Result.Steps[i]
		r := p.Result
		res := "held"
		if !p.Held() {
			res = "failed: " + failReason(p)
		}
		if p.GeneratorLimited {
			res = "gowrk was the bottleneck"
		}
		fmt.Fprintf(w, "  %10s %10.1f %10s %10s %10s %8d  %s\n", rateText(p.Rate), p.Achieved,
			formatTimeUs(float64(r.Latency.ValueAtQuantile(50))), formatTimeUs(float64(r.Latency.ValueAtQuantile(99))),
			formatTimeUs(float64(r.Latency.ValueAtQuantile(99.9))), r.Counts.Errors(), res)
	}
	_, err := fmt.Fprintf(w, "Answer: %s\n", s.Answer())
	return err
}

type jsonStep struct {
	Target           float64    `json:"target"`
	Achieved         float64    `json:"achieved"`
	Answered         float64    `json:"answered"`
	Latency          jsonIvDist `json:"latency"`
	Errors           jsonErrors `json:"errors"`
	Held             bool       `json:"held"`
	Failed           []string   `json:"failed"`
	GeneratorLimited bool       `json:"generator_limited"`
}

type jsonSearch struct {
	SchemaVersion int        `json:"schema_version"`
	Tool          string     `json:"tool"`
	Version       string     `json:"version"`
	URL           string     `json:"url"`
	Threads       int        `json:"threads"`
	Connections   int        `json:"connections"`
	StepUs        int64      `json:"step_duration_us"`
	SettleUs      int64      `json:"settle_us"`
	Precision     float64    `json:"precision"`
	SLOs          []string   `json:"slos"`
	Steps         []jsonStep `json:"steps"`
	MaxRate       float64    `json:"max_rate"`
	FirstFail     float64    `json:"first_fail_rate"`
	LowerBound    bool       `json:"lower_bound"`
	Answer        string     `json:"answer"`
}

// SearchJSON writes the search as one JSON object: its steps and answer.
func SearchJSON(w io.Writer, s *Search, version string) error {
	cfg := &s.Config
	j := jsonSearch{SchemaVersion: SchemaVersion, Tool: "gowrk", Version: version, URL: RedactURL(cfg.Target.URL),
		Threads: cfg.Threads, Connections: cfg.Connections, StepUs: s.StepDuration.Microseconds(), SettleUs: s.Settle.Microseconds(),
		Precision: s.Precision, SLOs: []string{}, Steps: []jsonStep{}, MaxRate: s.Result.Max, FirstFail: s.Result.FirstFail,
		LowerBound: s.Result.LowerBound, Answer: s.Answer()}
	for _, t := range s.SLOs {
		j.SLOs = append(j.SLOs, t.Expr)
	}
	for i := range s.Result.Steps {
		p := &s.Result.Steps[i]
		failed := p.Failed
		if failed == nil {
			failed = []string{}
		}
		j.Steps = append(j.Steps, jsonStep{Target: p.Rate, Achieved: p.Achieved, Answered: p.Result.RequestsPerSec(),
			Latency: ivDist(p.Result.Latency, []float64{50, 90, 99, 99.9}), Errors: errorsOf(&p.Result.Counts),
			Held: p.Held(), Failed: failed, GeneratorLimited: p.GeneratorLimited})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(j)
}

// SearchCSV writes one row per step.
func SearchCSV(w io.Writer, s *Search, noHeader bool) error {
	cw := csv.NewWriter(w)
	if !noHeader {
		cw.Write(searchColumns)
	}
	for i := range s.Result.Steps {
		p := &s.Result.Steps[i]
		r := p.Result
		f := func(v float64) string { return strconv.FormatFloat(v, 'f', 2, 64) }
		cw.Write([]string{f(p.Rate), f(p.Achieved), f(r.RequestsPerSec()), strconv.FormatInt(r.Latency.ValueAtQuantile(50), 10),
			strconv.FormatInt(r.Latency.ValueAtQuantile(99), 10), strconv.FormatInt(r.Latency.ValueAtQuantile(99.9), 10),
			strconv.FormatUint(r.Counts.Errors(), 10), strconv.FormatBool(p.Held()), strings.Join(p.Failed, ";"), strconv.FormatBool(p.GeneratorLimited)})
	}
	cw.Flush()
	return cw.Error()
}
