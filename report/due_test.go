package report

import (
	"strings"
	"testing"

	"github.com/gowrk/gowrk/loadgen"
)

// TestThresholdCensored: latency thresholds over every due request judge
// a lower bound by the rule of Threshold.Check; the _completed ones, mean
// and max judge the completed requests alone. fixedResult has 1000 answers of
// 1..1000 ms and 2 requests waiting at the stop for 1.5 s and 2.5 s; the
// "small" result has 5 waiting for 1 ms instead, so that its p99 (rank
// 995 of 1005) is a lower bound, 990 ms, bounded above by the 995th
// answer, 995 ms.
func TestThresholdCensored(t *testing.T) {
	small := fixedResult(0)
	small.Censored = loadgen.NewHistogram()
	for range 5 {
		small.Censored.RecordValue(1000)
	}
	for _, tc := range []struct {
		r        *loadgen.Result
		expr     string
		pass     bool
		measured string
	}{
		{fixedResult(0), "p99<995ms", true, "p99 992.25ms"},                 // exact: both waiting sort above rank 992
		{fixedResult(0), "p99.9<2s", false, "not proven"},                   // >= 1.5s, nothing bounds it above
		{fixedResult(0), "p99.9<1s", false, "p99.9 >= 1.50s"},               // the lower bound already fails
		{fixedResult(0), "p99.9>1s", true, "p99.9 >= 1.50s"},                // the lower bound passes a >
		{fixedResult(0), "p99.9_completed<1s", true, "p99.9_completed 999"}, // the completed alone
		{fixedResult(0), "max<3s", true, "max of completed 1.00s"},          // mean and max: of completed requests
		{fixedResult(0), "mean<1s", true, "mean of completed "},
		{fixedResult(0), "p99.9=1.5s", false, ""},
		{small, "p99<996ms", true, "at most 995"},
		{small, "p99<993ms", false, "not proven"},
		{small, "p99<989ms", false, "p99 >= 990"},
	} {
		th, err := ParseThreshold(tc.expr)
		if err != nil {
			t.Fatal(err)
		}
		v := th.Check(tc.r)
		if v.Pass != tc.pass || !strings.Contains(v.Measured, tc.measured) {
			t.Errorf("%s: %+v, want pass %v and %q", tc.expr, v, tc.pass, tc.measured)
		}
	}
	if _, err := ParseThreshold("errors_completed<1%"); err == nil {
		t.Error("errors_completed accepted")
	}
}

// TestDuePercentileRule checks the rule's edges on hand-made figures: no
// censored request (every percentile exact), only censored requests
// (every one a lower bound, unbounded above), and the small result's p99
// with its upper bound.
func TestDuePercentileRule(t *testing.T) {
	none := fixedResult(0)
	none.Censored = nil
	for _, dp := range none.DuePercentiles(50, 99, 100) {
		if dp.LowerBound || dp.Value != none.Latency.ValueAtQuantile(dp.Percentile) {
			t.Errorf("no censored: %+v", dp)
		}
	}
	only := &loadgen.Result{Latency: loadgen.NewHistogram(), Censored: loadgen.NewHistogram()}
	only.Censored.RecordValue(4100000)
	if dp := only.DuePercentiles(50)[0]; !dp.LowerBound || dp.UpperKnown || dueText(dp.Value, dp.LowerBound) != ">= 4.10s" {
		t.Errorf("only censored: %+v", dp)
	}
	small := fixedResult(0)
	small.Censored = loadgen.NewHistogram()
	small.Censored.RecordValues(1000, 5)
	dp := small.DuePercentiles(99)[0]
	if !dp.LowerBound || !dp.UpperKnown || dp.Value/1000 != 990 || dp.Upper/1000 != 995 {
		t.Errorf("small: %+v, want >= 990 ms, at most 995 ms", dp)
	}
}
