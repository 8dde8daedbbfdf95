package report

import (
	"bytes"
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gowrk/gowrk/loadgen"
)

// goldenSearch is a hand-made capacity search against a server of about
// 150/s, judged on p90<200ms over 10 s steps: 100/s held with nothing
// censored, 200/s failed with a quarter of its requests never completed
// (its p90 over every due request only a lower bound), 150/s held with a
// few still in flight, confirmed by one 12 s run.
func goldenSearch(t *testing.T) *Search {
	u, _ := url.Parse("http://127.0.0.1:8080/api")
	slo, err := ParseThreshold("p90<200ms")
	if err != nil {
		t.Fatal(err)
	}
	cfg := loadgen.Config{Threads: 2, Connections: 100, Target: loadgen.Target{URL: u, Method: "GET"}}
	step := func(rate float64, d time.Duration, completed int64, censored []int64) loadgen.Probe {
		r := &loadgen.Result{Config: cfg, Duration: d, Latency: loadgen.NewHistogram(), Censored: loadgen.NewHistogram(),
			Service: loadgen.NewHistogram(), SendLag: loadgen.NewHistogram(), TimerLag: loadgen.NewHistogram()}
		r.Config.Rate = rate
		for i := range completed {
			r.Latency.RecordValue(10_000 + i*100) // 10 ms up, 0.1 ms apart
		}
		for _, c := range censored {
			r.Censored.RecordValue(c)
		}
		r.Counts = loadgen.Counts{Sent: uint64(completed) + uint64(len(censored)), Completed: uint64(completed), InFlight: uint64(len(censored))}
		achieved := float64(completed) / d.Seconds()
		var failed []string
		if v := slo.Check(r); !v.Pass {
			failed = append(failed, slo.Expr+" failed ("+v.Measured+")")
		}
		return loadgen.Probe{Rate: rate, Achieved: achieved, Answered: achieved, Completed: uint64(completed), Needed: 1000,
			Failed: failed, QueueGrew: achieved < 0.9*rate, Result: r}
	}
	many := make([]int64, 500)
	for i := range many {
		many[i] = 250_000 + int64(i)*2_000 // 250 ms to 1.248 s
	}
	s10 := 10 * time.Second
	return &Search{Config: cfg, SLOs: []Threshold{slo}, Precision: 0.05, StepDuration: s10, Settle: time.Second,
		ConfirmDuration: 12 * time.Second, Quantile: 0.9, Needed: 1000,
		Result: loadgen.SearchResult{Steps: []loadgen.Probe{
			step(100, s10, 1000, nil),
			step(200, s10, 1500, many),
			step(150, s10, 1500, []int64{3_000, 4_000}),
		}, Max: 150, FirstFail: 200, Floor: 125, Confirm: &loadgen.Confirmation{
			Runs: []loadgen.Probe{step(150, 12*time.Second, 1800, []int64{3_000, 4_000, 5_000, 6_000})}, Searched: 150, Held: true}}}
}

// TestSearchGolden: the capacity search's text, JSON and CSV reports of a
// fixed search, each step with its percentiles over every due request
// (">= " or a lower-bound flag where censored requests make them only a
// lower bound) beside those of completed requests.
func TestSearchGolden(t *testing.T) {
	for _, tc := range []struct {
		name  string
		write func(*bytes.Buffer, *Search) error
	}{
		{"search_text", func(b *bytes.Buffer, s *Search) error { return SearchText(b, s) }},
		{"search_json", func(b *bytes.Buffer, s *Search) error { return SearchJSON(b, s, "v0.0.0-test") }},
		{"search_csv", func(b *bytes.Buffer, s *Search) error { return SearchCSV(b, s, false) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := tc.write(&b, goldenSearch(t)); err != nil {
				t.Fatal(err)
			}
			checkGolden(t, tc.name, b.Bytes())
		})
	}
}

// TestSearchStepsAllDue: each step's JSON has its percentiles over every
// due request with a lower-bound flag per percentile, by the rule of
// loadgen.DuePercentile, beside those of completed requests; the failed
// step's p90 is a lower bound, the held steps' are not.
func TestSearchStepsAllDue(t *testing.T) {
	s := goldenSearch(t)
	var b bytes.Buffer
	if err := SearchJSON(&b, s, "test"); err != nil {
		t.Fatal(err)
	}
	var j struct {
		Steps []struct {
			Latency struct {
				Count int64            `json:"count"`
				Ps    map[string]int64 `json:"percentiles_us"`
			} `json:"latency"`
			Due jsonDue `json:"latency_all_due"`
		} `json:"steps"`
	}
	if err := json.Unmarshal(b.Bytes(), &j); err != nil || len(j.Steps) != 3 {
		t.Fatalf("%v: %d steps", err, len(j.Steps))
	}
	for i, st := range j.Steps {
		r := s.Result.Steps[i].Result
		for _, dp := range r.DuePercentiles(50, 90, 99, 99.9) {
			k := percentileKey(dp.Percentile)
			if st.Due.PercentilesUs[k] != dp.Value || st.Due.LowerBound[k] != dp.LowerBound || st.Latency.Ps[k] != r.Latency.ValueAtQuantile(dp.Percentile) {
				t.Errorf("step %d p%s: due %d (lower bound %v), completed %d; want %+v", i, k, st.Due.PercentilesUs[k], st.Due.LowerBound[k], st.Latency.Ps[k], dp)
			}
		}
		if st.Due.Count != r.DueCount() || st.Due.Censored != censoredCount(r) {
			t.Errorf("step %d: %d due, %d censored", i, st.Due.Count, st.Due.Censored)
		}
	}
	if !j.Steps[1].Due.LowerBound["90"] || j.Steps[0].Due.LowerBound["90"] || j.Steps[2].Due.LowerBound["90"] {
		t.Errorf("p90 lower-bound flags %v %v %v, want false true false", j.Steps[0].Due.LowerBound["90"], j.Steps[1].Due.LowerBound["90"], j.Steps[2].Due.LowerBound["90"])
	}
	if f := ProbeFigures(&s.Result.Steps[1]); f != "achieved 150.0/s, 1500 completed, 500 never completed, p99 >= 1.21s over every due request, 158.46ms of completed" {
		t.Errorf("progress figures %q", f)
	}
	var text bytes.Buffer
	SearchText(&text, s)
	if !strings.Contains(text.String(), ">= ") || !strings.Contains(text.String(), "every due request") {
		t.Errorf("the step table shows no lower bound:\n%s", text.String())
	}
}
