package report

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math"
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
	// ConfirmDuration is the length of the run that confirms the answer
	// (Result.Confirm).
	ConfirmDuration time.Duration
	// Quantile is the highest quantile the SLOs judge (0.99 for p99; 0
	// for none), Needed the completions a step needs to judge it
	// (loadgen.CompletionsToJudge).
	Quantile float64
	Needed   uint64
	Result   loadgen.SearchResult
}

// Answer is the search's conclusion in one sentence.
func (s *Search) Answer() string {
	r := &s.Result
	slos := sloList(s.SLOs)
	var why string
	if fail := s.step(r.FirstFail); fail != nil && !fail.Held() {
		why = "; at " + RateText(fail.Rate) + "/s " + failReason(fail)
	}
	confirm := s.confirmText()
	if confirm != "" {
		confirm = "; " + confirm
	}
	switch {
	case r.Confirm != nil && r.Max == 0:
		return fmt.Sprintf("no rate confirmed with %s%s; steps of %s held rates that a %s run does not: raise --step-duration",
			slos, confirm, formatRunFor(s.StepDuration), formatRunFor(s.ConfirmDuration))
	case r.LowerBound:
		last := &r.Steps[len(r.Steps)-1]
		measured := fmt.Sprintf("at %s/s the step measured gowrk, not the server: %s", RateText(last.Rate), RateVerdict(last.Result))
		if r.Max == 0 {
			return "no answer: " + measured
		}
		return fmt.Sprintf("sustains at least %s requests/s with %s (a lower bound); %s%s", RateText(r.Max), slos, measured, confirm)
	case r.TooShort:
		return fmt.Sprintf("no rate held %s down to %s requests/s%s; %s", slos, RateText(r.Steps[len(r.Steps)-1].Rate), why, s.tooShort())
	case r.Max == 0:
		return fmt.Sprintf("no rate held %s, down to %s requests/s%s", slos, RateText(r.Steps[len(r.Steps)-1].Rate), why)
	}
	return fmt.Sprintf("sustains %s requests/s with %s%s%s", RateText(r.Max), slos, why, confirm)
}

// tooShort says what to raise when the steps are too short to judge the
// SLOs at the rates the server can carry.
func (s *Search) tooShort() string {
	best := 0.0
	for i := range s.Result.Steps {
		best = max(best, s.Result.Steps[i].Answered)
	}
	judged := "its SLOs"
	if s.Quantile > 0 && s.Quantile < 1 {
		judged = fmt.Sprintf("p%s", strconv.FormatFloat(100*s.Quantile, 'f', -1, 64))
	}
	what := fmt.Sprintf("steps of %s are too short: below %s/s a step holds fewer than the %d completions that judging %s needs",
		formatRunFor(s.StepDuration), RateText(s.Result.Floor), s.Needed, judged)
	if best <= 0 {
		return what + ", and no step completed a request: check the target"
	}
	need := time.Duration(math.Ceil(loadgen.StepMargin*float64(s.Needed)/best)) * time.Second
	return fmt.Sprintf("%s; the server answered at most %.1f/s: raise --step-duration to at least %s, or judge a lower percentile", what, best, durText(need))
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
	if p.Completed < p.Needed {
		parts = append(parts, fmt.Sprintf("completed only %d of the %d needed to judge it", p.Completed, p.Needed))
	}
	if p.Achieved < loadgen.AchievedShare*p.Rate {
		parts = append(parts, fmt.Sprintf("the server took only %.1f/s", p.Achieved))
	}
	if p.QueueGrew {
		parts = append(parts, fmt.Sprintf("the server's queue grew (it answered %.1f/s)", p.Answered))
	}
	if len(parts) == 0 {
		return "held"
	}
	return strings.Join(parts, ", ")
}

// RateText is a rate in requests per second for people: six significant
// digits, without float noise (82.1, not 82.10000000000001) or an exponent
// (1000000, not 1e+06). Rates are at least 0.001/s (the CLI's smallest).
func RateText(r float64) string {
	six, _ := strconv.ParseFloat(strconv.FormatFloat(r, 'g', 6, 64), 64)
	return strconv.FormatFloat(six, 'f', -1, 64)
}

// SearchText writes the search as a table of its steps and the answer.
func SearchText(w io.Writer, s *Search) error {
	cfg := &s.Config
	fmt.Fprintf(w, "Capacity search @ %s\n  %d threads and %d connections, steps of %s after %s settling, precision %.3g%%\n  SLOs: %s\n",
		RedactURL(cfg.Target.URL), cfg.Threads, cfg.Connections, formatRunFor(s.StepDuration), formatRunFor(s.Settle), 100*s.Precision, sloList(s.SLOs))
	fmt.Fprintf(w, "  a step holds when it completes at least %d requests, achieves 99%% of its target and its SLOs hold\n", s.Needed)
	stepRows(w, s)
	confirmLines(w, s)
	_, err := fmt.Fprintf(w, "Answer: %s\n", s.Answer())
	return err
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
	TooShort      bool       `json:"steps_too_short"`
	FloorRate     float64    `json:"floor_rate"`
	ConfirmUs     int64      `json:"confirm_duration_us"`
	// SearchedMax is the highest rate that held a step, before
	// confirmation; MaxRate is the confirmed answer.
	SearchedMax   float64       `json:"searched_max_rate"`
	Confirmed     bool          `json:"confirmed"`
	Confirmations []jsonConfirm `json:"confirmations"`
	Answer        string        `json:"answer"`
}

// SearchJSON writes the search as one JSON object: its steps and answer.
func SearchJSON(w io.Writer, s *Search, version string) error {
	cfg := &s.Config
	j := jsonSearch{SchemaVersion: SchemaVersion, Tool: "gowrk", Version: version, URL: RedactURL(cfg.Target.URL),
		Threads: cfg.Threads, Connections: cfg.Connections, StepUs: s.StepDuration.Microseconds(), SettleUs: s.Settle.Microseconds(),
		Precision: s.Precision, SLOs: []string{}, Steps: []jsonStep{}, MaxRate: s.Result.Max, FirstFail: s.Result.FirstFail,
		LowerBound: s.Result.LowerBound, TooShort: s.Result.TooShort, FloorRate: s.Result.Floor, ConfirmUs: s.ConfirmDuration.Microseconds(),
		SearchedMax: s.Result.Max, Answer: s.Answer()}
	if c := s.Result.Confirm; c != nil {
		j.SearchedMax, j.Confirmed = c.Searched, c.Held
	}
	var err error
	if j.Confirmations, err = confirmJSON(s); err != nil {
		return err
	}
	for _, t := range s.SLOs {
		j.SLOs = append(j.SLOs, t.Expr)
	}
	for i := range s.Result.Steps {
		st, err := s.stepJSON(&s.Result.Steps[i])
		if err != nil {
			return err
		}
		j.Steps = append(j.Steps, st)
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
		cw.Write(stepCSV(&s.Result.Steps[i]))
	}
	cw.Flush()
	return cw.Error()
}
