package report

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
	"github.com/gowrk/gowrk/loadgen"
)

// shapeResult is fixedResult under -R 100:200:100@5s with two steps: the
// first all completed (500 at 1..500 ms), the second with 800 completed
// (at 1..800 ms) and 200 censored, 150 in flight and 50 never sent at the
// stop, at their lower bounds 2.0 s up (2 ms apart): over every due
// request its p99 (rank 990 of 1000) is a censored request's bound, only
// a lower bound; its p50 (rank 500) is a completed latency, known, 500 ms
// where the completed requests' p50 (rank 400 of 800) is 400 ms.
func shapeResult(t *testing.T) *loadgen.Result {
	r := shapedResult(t, 0)
	for i, n := range []int64{500, 800} {
		st := loadgen.StepFigures{Index: i, Start: time.Duration(i) * 5 * time.Second, Duration: 5 * time.Second, Completed: uint64(n),
			Latency: hdrhistogram.New(loadgen.HistLowest, loadgen.HistHighest, 2), Censored: hdrhistogram.New(loadgen.HistLowest, loadgen.HistHighest, 2)}
		for v := int64(1); v <= n; v++ {
			st.Latency.RecordValue(v * 1000)
		}
		if i == 1 {
			st.InFlight, st.Unsent = 150, 50
			for k := range int64(200) {
				st.Censored.RecordValue(2_000_000 + k*2000)
			}
		}
		r.Steps = append(r.Steps, st)
	}
	return r
}

// TestRateStepsGolden: a rate shape's step table (text, HTML's rows),
// JSON steps and CSV step rows give each step's percentiles over every
// request due in it beside those of its completed requests, with the
// never-sent count and a lower-bound mark or flag per percentile; the
// JSON report reads back losslessly.
func TestRateStepsGolden(t *testing.T) {
	r := shapeResult(t)
	for _, tc := range []struct {
		name   string
		format string
		o      Options
	}{
		{"text_shape", "text", Options{}},
		{"json_shape", "json", Options{Version: "v0.0.0-test"}},
		{"csv_shape_steps", "csv", Options{Intervals: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, _ := Lookup(tc.format)
			var b bytes.Buffer
			if err := f(&b, r, tc.o); err != nil {
				t.Fatal(err)
			}
			checkGolden(t, tc.name, b.Bytes())
		})
	}
	var b bytes.Buffer
	if err := JSON(&b, r, Options{}); err != nil {
		t.Fatal(err)
	}
	var j struct {
		Steps []jsonRateStep `json:"steps"`
	}
	if err := json.Unmarshal(b.Bytes(), &j); err != nil || len(j.Steps) != 2 {
		t.Fatalf("%v: %d steps", err, len(j.Steps))
	}
	d := j.Steps[1].LatencyAllDue
	if d.Count != 1000 || d.Censored != 200 || j.Steps[1].Unsent != 50 || !d.LowerBound["99"] || d.LowerBound["50"] ||
		d.PercentilesUs["50"] < 500_000 || d.PercentilesUs["50"] > 505_000 || j.Steps[1].Latency.PercentilesUs["50"] > 405_000 || d.PercentilesUs["99"] < 2_000_000 {
		t.Errorf("step 2 over every due request: %+v (unsent %d)", d, j.Steps[1].Unsent)
	}
	back, err := Decode(bytes.NewReader(b.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if st := back.Steps[1]; st.Unsent != 50 || st.Censored.TotalCount() != 200 || st.Censored.Max() != r.Steps[1].Censored.Max() {
		t.Errorf("decoded step: unsent %d, %d censored", st.Unsent, st.Censored.TotalCount())
	}
	rows := htmlSteps(r)
	if len(rows) != 3 || rows[2][len(rows[2])-2][:3] != ">= " || rows[2][8] != "50" {
		t.Errorf("HTML step rows %q", rows)
	}
}
