package report

import (
	"fmt"
	"html"
	"math"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/gowrk/gowrk/loadgen"
)

// The figures over every due request in the HTML report, read back from
// the page Chromium drew. fixedResult's requests (and those of every
// result built on it, a merge of two included) are known: 1000 completed
// at 1..1000 ms and 2 still waiting at the stop, at least 1.5 s and 2.5 s.
// Over the 1002 due, p50 (rank 501), p90 (rank 902) and p99 (rank 992)
// are completed latencies, known: 501, 902 and 992 ms; p99.9 (rank 1001) is the request
// censored at 1.5 s, only a lower bound (only 1000 completed: nothing
// bounds it from above), and so is the max, 2.5 s. The completed
// requests' p99.9 is 999 ms. A merge of two holds each twice: the same.
var dueTruth = struct {
	p50, p90, p99, p999, max, completedP999 float64 // microseconds
}{501_000, 902_000, 992_000, 1_500_000, 2_500_000, 999_000}

// parseFigure reads a figure the page printed ("501.25ms", ">= 1.50s")
// back into microseconds, and whether it is marked a lower bound.
func parseFigure(t *testing.T, s string) (float64, bool) {
	t.Helper()
	s = strings.TrimSpace(s)
	lower := strings.HasPrefix(s, ">= ")
	s = strings.TrimPrefix(s, ">= ")
	m := regexp.MustCompile(`^([0-9.]+)(us|ms|s|m)$`).FindStringSubmatch(s)
	if m == nil {
		t.Fatalf("figure %q: not a duration", s)
	}
	v, _ := strconv.ParseFloat(m[1], 64)
	return v * map[string]float64{"us": 1, "ms": 1e3, "s": 1e6, "m": 60e6}[m[2]], lower
}

// summaryCell is the second cell of the page's summary row named name.
func summaryCell(t *testing.T, dom, name string) string {
	t.Helper()
	m := regexp.MustCompile(`<tr><td>` + regexp.QuoteMeta(name) + `</td><td>(.*?)</td></tr>`).FindStringSubmatch(dom)
	if m == nil {
		t.Fatalf("the summary has no row %q", name)
	}
	return html.UnescapeString(m[1])
}

// checkDueOnPage: the summary prints the latency of completed requests
// and, beside it, over every due request with ">= " on the lower bounds,
// each within the histograms' resolution (0.1%) of the truth; the
// spectrum plots both, the latter at the truth's lower bound from p99.9,
// with its points' lower-bound flags in the page's data.
func checkDueOnPage(t *testing.T, dom string, p map[string][][]*float64) {
	t.Helper()
	near := func(what string, got, want float64) {
		t.Helper()
		if math.Abs(got-want) > 0.001*want {
			t.Errorf("%s: the page shows %.0fus, the truth is %.0fus", what, got, want)
		}
	}
	due := strings.Split(summaryCell(t, dom, "latency of every due request p50 / p99 / p99.9 / max"), " / ")
	done := strings.Split(summaryCell(t, dom, "latency of completed requests p50 / p99 / p99.9 / max"), " / ")
	if len(due) != 4 || len(done) != 4 {
		t.Fatalf("summary figures %q and %q", due, done)
	}
	for i, want := range []struct {
		v     float64
		lower bool
	}{{dueTruth.p50, false}, {dueTruth.p99, false}, {dueTruth.p999, true}, {dueTruth.max, true}} {
		v, lower := parseFigure(t, due[i])
		near(fmt.Sprintf("every due request's figure %d", i), v, want.v)
		if lower != want.lower {
			t.Errorf("every due request's figure %d (%q): lower bound %v, want %v", i, due[i], lower, want.lower)
		}
	}
	v, lower := parseFigure(t, done[2])
	near("completed requests' p99.9", v, dueTruth.completedP999)
	if lower {
		t.Errorf("a completed requests' figure is marked a lower bound: %q", done[2])
	}
	if c := summaryCell(t, dom, "due / never completed"); !strings.HasSuffix(c, " / 2") && !strings.HasSuffix(c, " / 4") {
		t.Errorf("due / never completed: %q", c)
	}
	sp := p["spectrum"]
	// x, completed, every due request, service time (then any shards').
	ps := spectrumPoints()
	if len(sp) < 4 || len(sp[2]) != len(ps) {
		t.Fatalf("the spectrum plotted %d series", len(sp))
	}
	k := 30 // 1 - 10^-3: p99.9
	if math.Abs(ps[k]-99.9) > 1e-9 || sp[2][k] == nil || sp[1][k] == nil {
		t.Fatalf("spectrum point %d is p%v", k, ps[k])
	}
	near("spectrum p99.9 over every due request", *sp[2][k]*1000, dueTruth.p999)
	near("spectrum p99.9 of completed requests", *sp[1][k]*1000, dueTruth.completedP999)
	near("spectrum p90 over every due request", *sp[2][10]*1000, dueTruth.p90) // point 10: 1 - 10^-1
	m := regexp.MustCompile(`"dueLower":\[([a-z,]*)\]`).FindStringSubmatch(dom)
	if m == nil {
		t.Fatal("the page's data has no lower-bound flags")
	}
	flags := strings.Split(m[1], ",")
	if len(flags) != len(ps) || flags[k] != "true" || flags[10] != "false" {
		t.Errorf("lower-bound flags %v: want p99.9 (point %d) a lower bound, p90 not", flags, k)
	}
}

// TestHTMLDueSpectrumRule: the spectrum's series over every due request
// is loadgen's rule at each point, for a result with censored requests;
// a result with none draws no such series (it would equal the other).
func TestHTMLDueSpectrumRule(t *testing.T) {
	r := fixedResult(0)
	var sp htmlSpectrum
	ps := spectrumPoints()
	htmlRunSpectrum(&sp, r, ps)
	if sp.Due != 1 || len(sp.Series) != 3 || sp.Bold != 3 {
		t.Fatalf("due series %d of %d, %d bold", sp.Due, len(sp.Series), sp.Bold)
	}
	for i, dp := range loadgen.DuePercentilesOf(r.Latency, r.Censored, ps...) {
		if sp.Series[1][i] != float64(dp.Value)/1000 || sp.DueLower[i] != dp.LowerBound {
			t.Errorf("point %d (p%v): %v lower %v, want %+v", i, ps[i], sp.Series[1][i], sp.DueLower[i], dp)
		}
	}
	r.Censored = loadgen.NewHistogram()
	sp = htmlSpectrum{}
	htmlRunSpectrum(&sp, r, ps)
	if sp.Due != -1 || len(sp.Series) != 2 {
		t.Errorf("nothing censored: due series %d of %d", sp.Due, len(sp.Series))
	}
}

// TestHTMLInterrupted: an interrupted run's page says so, as the text
// report does, and its configured bounds read "none" where not given.
func TestHTMLInterrupted(t *testing.T) {
	r := fixedResult(0)
	r.Interrupted = true
	var b strings.Builder
	if err := HTML(&b, r, nil, Options{Version: "v0.0.0-test"}); err != nil {
		t.Fatal(err)
	}
	page := html.UnescapeString(b.String())
	for _, want := range []string{InterruptedText(r), "Interrupted after 10.02s: figures cover the run so far.", `"10s / none"`} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
}
