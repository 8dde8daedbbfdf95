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
// "small" result has 50 waiting for 1 ms instead, so that its p90 (rank
// 945 of 1050) is a lower bound, 895 ms, bounded above by the 945th
// answer, 945 ms (more than loadgen.BoundSlack above it).
func TestThresholdCensored(t *testing.T) {
	small := fixedResult(0)
	small.Censored = loadgen.NewHistogram()
	for range 50 {
		small.Censored.RecordValue(1000)
	}
	for _, tc := range []struct {
		r        *loadgen.Result
		expr     string
		pass     bool
		measured string
	}{
		{fixedResult(0), "p99<995ms", true, "p99 992.25ms"},                                                    // exact: both waiting sort above rank 992
		{fixedResult(0), "p99.9<2s", false, "not proven; p99.9_completed judges the completed requests alone"}, // >= 1.5s, nothing bounds it above
		{fixedResult(0), "p99.9<1s", false, "p99.9 >= 1.50s"},                                                  // the lower bound already fails
		{fixedResult(0), "p99.9>1s", true, "p99.9 >= 1.50s"},                                                   // the lower bound passes a >
		{fixedResult(0), "p99.9_completed<1s", true, "p99.9_completed 999"},                                    // the completed alone
		{fixedResult(0), "max<3s", true, "max of completed 1.00s"},                                             // mean and max: of completed requests
		{fixedResult(0), "mean<1s", true, "mean of completed "},
		{fixedResult(0), "p99.9=1.5s", false, ""},
		{small, "p90<946ms", true, "at most 945"},
		{small, "p90<940ms", false, "not proven"},
		{small, "p90<894ms", false, "p90 >= 895"},
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
// (every one a lower bound, unbounded above), the small result's p90
// with its upper bound, and a bound within loadgen.BoundSlack (known).
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
	small.Censored.RecordValues(1000, 50)
	dp := small.DuePercentiles(90)[0]
	if !dp.LowerBound || !dp.UpperKnown || dp.Value/1000 != 895 || dp.Upper/1000 != 945 {
		t.Errorf("small: %+v, want >= 895 ms, at most 945 ms", dp)
	}
	// 5 waiting for 1 ms: p99 is at least 990 ms and at most 995 ms,
	// within 1%: known, as a closed loop's last requests leave it.
	tight := fixedResult(0)
	tight.Censored = loadgen.NewHistogram()
	tight.Censored.RecordValues(1000, 5)
	if dp := tight.DuePercentiles(99)[0]; dp.LowerBound || dp.Upper/1000 != 995 {
		t.Errorf("tight: %+v, want known (990 to 995 ms)", dp)
	}
}
