package report

import (
	"bytes"
	"encoding/csv"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

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

// TestGoldenTargets: the per-target table of the text report, the
// "targets" of the JSON report and the CSV report's rows per target.
func TestGoldenTargets(t *testing.T) {
	for _, tc := range []struct{ name, format string }{{"text_targets", "text"}, {"json_targets", "json"}, {"csv_targets", "csv"}} {
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

// TestCSVTargetsLossless: the CSV report's target rows read back to the
// figures they were made from: counts, status codes and the histogram.
func TestCSVTargetsLossless(t *testing.T) {
	r := targetsResult()
	var b bytes.Buffer
	if err := CSV(&b, r, Options{}); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&b).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2+len(r.Targets) {
		t.Fatalf("%d rows, want the header, the run's and %d targets'", len(rows), len(r.Targets))
	}
	col := map[string]int{}
	for i, c := range rows[0] {
		col[c] = i
	}
	for k, want := range r.Targets {
		row := rows[2+k]
		h, err := decodeHist(row[col["latency_histogram"]], stepGeometry)
		if err != nil {
			t.Fatal(err)
		}
		got := []string{row[col["target"]], row[col["requests"]], row[col["target_errors"]], row[col["in_flight_at_stop"]], row[col["errors_status"]], row[col["status_codes"]]}
		exp := []string{want.Name, strconv.FormatUint(want.Completed, 10), strconv.FormatUint(want.Failed, 10), strconv.FormatUint(want.InFlight, 10), strconv.FormatUint(want.Status, 10), statusCodes(want.StatusCodes)}
		if !slices.Equal(got, exp) || (want.Latency != nil && !h.Equals(want.Latency)) || (want.Latency == nil && h.TotalCount() != 0) {
			t.Errorf("target %d: %q (histogram %d values); want %q", k, got, h.TotalCount(), exp)
		}
	}
}

// TestGoldenStreamTargets: a --stream line of a run with targets carries
// each target's requests in the interval, by name.
func TestGoldenStreamTargets(t *testing.T) {
	targets, err := loadgen.NewTargets([]string{"GET /a", "post-order"}, [][]byte{[]byte("GET /a HTTP/1.1\r\n\r\n"), []byte("POST /o HTTP/1.1\r\n\r\n")}, []uint32{1, 1}, loadgen.OrderRoundRobin, 0)
	if err != nil {
		t.Fatal(err)
	}
	cfg := fixedResult(0).Config
	cfg.Targets = targets
	iv := loadgen.Interval{Start: time.Second, Duration: time.Second, Time: time.Date(2026, 11, 22, 10, 0, 1, 0, time.UTC),
		Counts: loadgen.Counts{Sent: 31, Completed: 30, Read: 1}, StatusCodes: map[int]uint64{200: 30}, StatusClasses: [6]uint64{2: 30},
		Latency: loadgen.NewHistogram(), Service: loadgen.NewHistogram(), SendLag: loadgen.NewHistogram(),
		Targets: []loadgen.TargetCounts{{Completed: 20}, {Completed: 10, Failed: 1}}}
	for i := int64(1); i <= 30; i++ {
		iv.Latency.RecordValue(i * 100)
	}
	var b bytes.Buffer
	if err := StreamInterval(&b, &iv, &cfg, Options{}); err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "stream_targets", b.Bytes())
}
