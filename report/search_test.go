package report

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gowrk/gowrk/loadgen"
)

// TestThresholdEmptyHistogram: a latency threshold over no completed
// request fails, whichever way it points; a count threshold still measures.
func TestThresholdEmptyHistogram(t *testing.T) {
	r := &loadgen.Result{Latency: loadgen.NewHistogram(), Duration: time.Second}
	for _, expr := range []string{"p99<500ms", "p99>0ms", "mean<1s", "max<=1h"} {
		th, err := ParseThreshold(expr)
		if err != nil {
			t.Fatal(err)
		}
		if v := th.Check(r); v.Pass || !strings.Contains(v.Measured, "no request completed") {
			t.Errorf("%s over nothing: %+v", expr, v)
		}
	}
	if th, _ := ParseThreshold("errors=0"); !th.Check(r).Pass {
		t.Error("errors=0 over an idle run fails")
	}
	for expr, q := range map[string]float64{"p99<1s": 0.99, "p90<1s": 0.9, "max<1s": 1, "mean<1s": 0, "errors<1%": 0} {
		if th, _ := ParseThreshold(expr); th.Quantile() != q {
			t.Errorf("%s: quantile %v, want %v", expr, th.Quantile(), q)
		}
	}
}

// TestSearchAnswer: the answer names a too-short step length with what to
// raise it to, and a step that measured gowrk with the evidence.
func TestSearchAnswer(t *testing.T) {
	u, _ := url.Parse("http://127.0.0.1:8000/sync_1")
	slo, _ := ParseThreshold("p99<500ms")
	step := func(rate, answered float64, completed uint64, mod func(*loadgen.Result)) loadgen.Probe {
		r := &loadgen.Result{Config: loadgen.Config{Rate: rate, Threads: 2, Connections: 200, Target: loadgen.Target{URL: u}}, Duration: 5 * time.Second,
			Latency: loadgen.NewHistogram(), Service: loadgen.NewHistogram(), SendLag: loadgen.NewHistogram(), TimerLag: loadgen.NewHistogram()}
		if mod != nil {
			mod(r)
		}
		return loadgen.Probe{Rate: rate, Achieved: answered, Answered: answered, Completed: completed, Needed: 10000, Result: r}
	}
	s := &Search{Config: loadgen.Config{Target: loadgen.Target{URL: u}}, SLOs: []Threshold{slo}, StepDuration: 5 * time.Second, Quantile: 0.99, Needed: 10000,
		Result: loadgen.SearchResult{Steps: []loadgen.Probe{step(2500, 40, 160, nil)}, FirstFail: 2500, Floor: 2500, TooShort: true}}
	want := "steps of 5s are too short: below 2500/s a step holds fewer than the 10000 completions that judging p99 needs; the server answered at most 40.0/s: raise --step-duration to at least 5m13s"
	if a := s.Answer(); !strings.Contains(a, want) || !strings.Contains(a, "completed only 160 of the 10000 needed") {
		t.Errorf("answer %q, want %q", a, want)
	}
	busy := step(800, 800, 20000, func(r *loadgen.Result) {
		r.Counts = loadgen.Counts{Sent: 4000, Completed: 4000}
		r.Service.RecordValue(100)
		r.TimerLag.RecordValue(50_000)
		r.MachineBusy = 0.98
	})
	busy.GeneratorLimited = true
	s.Result = loadgen.SearchResult{Steps: []loadgen.Probe{step(400, 400, 20000, nil), busy}, Max: 400, LowerBound: true}
	if a := s.Answer(); !strings.Contains(a, "sustains at least 400 requests/s with p99<500ms (a lower bound); at 800/s the step measured gowrk, not the server: the machine was busy") {
		t.Errorf("answer %q", a)
	}
}

// TestRateText: rates print as given to six significant digits, without
// float noise or an exponent, in every sentence that names one.
func TestRateText(t *testing.T) {
	for _, tc := range []struct {
		in   float64
		want string
	}{
		{0.001, "0.001"}, {0.0015, "0.0015"}, {82.10000000000001, "82.1"}, {0.1 + 0.2, "0.3"}, {100, "100"},
		{1234.5678, "1234.57"}, {62.5, "62.5"}, {1e6, "1000000"}, {1234567.8, "1234570"}, {2.5e7, "25000000"},
	} {
		if got := RateText(tc.in); got != tc.want {
			t.Errorf("RateText(%v) = %q, want %q", tc.in, got, tc.want)
		}
	}
	for rate, want := range map[float64]string{0.0015: "Rate: target 0.0015/s,", 1234.5678: "Rate: target 1234.57/s,", 82.10000000000001: "Rate: target 82.1/s,"} {
		var b strings.Builder
		if err := Text(&b, fixedResult(rate), Options{}); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(b.String(), want) {
			t.Errorf("-R %v: the report lacks %q:\n%s", rate, want, b.String())
		}
	}
}
