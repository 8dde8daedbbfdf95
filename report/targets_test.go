package report

import (
	"bytes"
	"strings"
	"testing"

	"github.com/gowrk/gowrk/loadgen"
)

// targetsResult is fixedResult broken down over three targets: the
// fixed latencies split between two of them, the third with only
// failures (no histogram).
func targetsResult() *loadgen.Result {
	r := fixedResult(0)
	a := loadgen.TargetFigures{Name: "GET /index.html", Completed: 750, Failed: 7, InFlight: 2, StatusCodes: map[int]uint64{200: 750}, Latency: loadgen.NewTargetHistogram()}
	b := loadgen.TargetFigures{Name: "post-order", Completed: 250, Status: 10, StatusCodes: map[int]uint64{200: 240, 503: 10}, Latency: loadgen.NewTargetHistogram()}
	for i := int64(1); i <= 1000; i++ {
		if i%4 == 0 {
			b.Latency.RecordValue(i * 1000)
		} else {
			a.Latency.RecordValue(i * 1000)
		}
	}
	c := loadgen.TargetFigures{Name: "DELETE /a/very/long/path/that/is/cut/short/in/the/text/table?id=1", Failed: 3, StatusCodes: map[int]uint64{}}
	r.Targets = []loadgen.TargetFigures{a, b, c}
	return r
}

// TestGoldenTargets: the per-target table of the text report and the
// "targets" of the JSON report.
func TestGoldenTargets(t *testing.T) {
	for _, tc := range []struct{ name, format string }{{"text_targets", "text"}, {"json_targets", "json"}} {
		f, _ := Lookup(tc.format)
		var b bytes.Buffer
		if err := f(&b, targetsResult(), Options{Version: "v0.0.0-test"}); err != nil {
			t.Fatal(err)
		}
		checkGolden(t, tc.name, b.Bytes())
	}
}

// TestTargetsRoundTrip: the JSON report's targets decode to the figures
// they were made from (lossless, so gowrk merge adds them exactly).
func TestTargetsRoundTrip(t *testing.T) {
	r := targetsResult()
	var b bytes.Buffer
	if err := JSON(&b, r, Options{}); err != nil {
		t.Fatal(err)
	}
	got, err := Decode(&b)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Targets) != len(r.Targets) {
		t.Fatalf("%d targets decoded, want %d", len(got.Targets), len(r.Targets))
	}
	for i, want := range r.Targets {
		g := got.Targets[i]
		if g.Name != want.Name || g.Completed != want.Completed || g.Failed != want.Failed || g.InFlight != want.InFlight || g.Status != want.Status || len(g.StatusCodes) != len(want.StatusCodes) {
			t.Errorf("target %d decoded as %+v, want %+v", i, g, want)
		}
		for code, n := range want.StatusCodes {
			if g.StatusCodes[code] != n {
				t.Errorf("target %d: status %d: %d, want %d", i, code, g.StatusCodes[code], n)
			}
		}
		if (g.Latency == nil) != (want.Latency == nil) || (want.Latency != nil && !g.Latency.Equals(want.Latency)) {
			t.Errorf("target %d: latency histogram differs", i)
		}
	}
}

// TestTargetThresholds: --fail-on names a target, whose figures it
// measures; a target the run has not is unmeasured (a failure).
func TestTargetThresholds(t *testing.T) {
	r := targetsResult()
	for _, tc := range []struct {
		expr     string
		pass     bool
		measured string
	}{
		{"p99{target=post-order}<1s", true, "target post-order: p99_completed 995.33ms"},
		{"p99{target=post-order}<900ms", false, "995.33ms"},
		{"max{target=post-order}<=1.01s", true, "max of completed 1.00s"},
		{"non2xx{target=post-order}=10", true, "non2xx 10"},
		{`errors{target="GET /index.html"}<1%`, true, "errors 0.925% (7 of 757)"},
		{"errors{target=GET /index.html}=0", false, "errors 7"},
		{"rps{target=post-order}>=20", true, "rps 24.95"},
		{"p50{target=nope}<1s", false, "p50 unmeasured (no target of that name"},
		{"p50{target=DELETE /a/very/long/path/that/is/cut/short/in/the/text/table?id=1}<1s", false, "unmeasured (no request completed)"},
	} {
		th, err := ParseThreshold(tc.expr)
		if err != nil {
			t.Fatalf("%s: %v", tc.expr, err)
		}
		got := th.Check(r)
		if got.Pass != tc.pass || !strings.Contains(got.Measured, tc.measured) {
			t.Errorf("%s: pass %v, measured %q; want pass %v, measured with %q", tc.expr, got.Pass, got.Measured, tc.pass, tc.measured)
		}
	}
	for _, expr := range []string{"timeouts{target=a}=0", "p99{targ=a}<1s", "p99{target=a<1s", "p99{target=}<1s"} {
		if _, err := ParseThreshold(expr); err == nil {
			t.Errorf("%s: parsed, want an error", expr)
		}
	}
}
