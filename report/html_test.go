package report

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"html"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gowrk/gowrk/loadgen"
)

// chromium is Debian's headless Chromium (scripts/install-test-deps.sh).
func chromium(t *testing.T) string {
	for _, p := range []string{"/usr/bin/chromium", "/usr/bin/chromium-browser"} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	t.Skip("chromium is not installed (apt-get install chromium); .ci/run installs it")
	return ""
}

// headless runs Chromium on a local file with the network flags that keep
// it from calling home, and returns what it printed.
func headless(t *testing.T, bin string, args ...string) (stdout, stderr string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	base := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
		"--disable-component-update", "--disable-sync", "--user-data-dir=" + t.TempDir(), "--enable-logging=stderr", "--v=0", "--virtual-time-budget=5000"}
	cmd := exec.CommandContext(ctx, bin, append(base, args...)...)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium: %v: %s", err, e.String())
	}
	return o.String(), e.String()
}

// timelineResult is a 3 s closed-loop-free run at 200/s sampled at 50 ms:
// 60 intervals and the stop's 2 ms sliver, with 503s and read errors in
// some intervals and none ended in interval 10 (a gap, not a 0).
func timelineResult() *loadgen.Result {
	r := fixedResult(200)
	r.Config.Interval = 50 * time.Millisecond
	for i := range 61 {
		d := r.Config.Interval
		if i == 60 {
			d = 2 * time.Millisecond
		}
		iv := loadgen.Interval{Start: time.Duration(i) * r.Config.Interval, Duration: d, Time: r.Start.Add(time.Duration(i) * r.Config.Interval),
			InFlight: 2, StatusCodes: map[int]uint64{}, Latency: loadgen.NewHistogram(), Service: loadgen.NewHistogram(), SendLag: loadgen.NewHistogram()}
		if i != 10 && i != 60 {
			n := uint64(8 + i%5)
			iv.Counts.Completed, iv.StatusCodes[200] = n, n
			if i%7 == 0 {
				iv.StatusCodes[503], iv.Counts.Status, iv.Counts.Completed = 2, 2, n+2
			}
			if i%11 == 0 {
				iv.Counts.Read = 1
			}
			for v := range int64(n) {
				iv.Latency.RecordValue(1000 + v*int64(100+i))
			}
		}
		r.Intervals = append(r.Intervals, iv)
	}
	return r
}

// plottedOf reads back what each chart drew, as the page wrote it into
// <pre id="plotted">: chart id -> uPlot's data (x, then each series).
func plottedOf(t *testing.T, dom string) map[string][][]*float64 {
	t.Helper()
	m := regexp.MustCompile(`(?s)<pre id="plotted"[^>]*>(.*?)</pre>`).FindStringSubmatch(dom)
	if m == nil {
		t.Fatal("the page wrote no plotted series")
	}
	var p map[string][][]*float64
	if err := json.Unmarshal([]byte(html.UnescapeString(m[1])), &p); err != nil {
		t.Fatalf("plotted series: %v", err)
	}
	return p
}

// checkPlotted compares the charts over time with r's intervals: each
// point at its interval's end in seconds since the start, requests/s,
// the target, latency percentiles (a gap where no request ended),
// responses/s by status code and errors/s; the stop's sliver left out.
func checkPlotted(t *testing.T, r *loadgen.Result, p map[string][][]*float64) {
	t.Helper()
	ivs := r.Intervals
	if n := len(ivs); n > 1 && ivs[n-1].Duration < r.Config.Interval/10 {
		ivs = ivs[:n-1]
	}
	near := func(what string, got *float64, want float64, none bool) {
		t.Helper()
		switch {
		case none && got != nil:
			t.Errorf("%s: plotted %g, want a gap", what, *got)
		case !none && got == nil:
			t.Errorf("%s: a gap, want %g", what, want)
		case !none && math.Abs(*got-want) > 1e-9*max(1, math.Abs(want)):
			t.Errorf("%s: plotted %g, want %g", what, *got, want)
		}
	}
	rps, lat, codes := p["rps"], p["lat"], p["codes"]
	if len(rps) < 2 || len(lat) != 5 || len(rps[0]) != len(ivs) {
		t.Fatalf("rps chart %d series, latency chart %d; want the %d intervals", len(rps), len(lat), len(ivs))
	}
	for i := range ivs {
		iv := &ivs[i]
		end, secs := iv.Start+iv.Duration, iv.Duration.Seconds()
		near(fmt.Sprintf("time %d", i), rps[0][i], end.Seconds(), false)
		near(fmt.Sprintf("req/s %d", i), rps[1][i], float64(iv.Counts.Completed)/secs, false)
		if r.Config.Rate > 0 {
			near(fmt.Sprintf("target %d", i), rps[2][i], r.Config.TargetBetween(iv.Start, end), false)
		}
		for j, q := range []float64{50, 90, 99, 100} {
			near(fmt.Sprintf("p%g %d", q, i), lat[j+1][i], float64(iv.Latency.ValueAtQuantile(q))/1000, iv.Latency.TotalCount() == 0)
		}
		for j, code := range []int{200, 503} {
			if len(codes) > j+1 {
				near(fmt.Sprintf("%d/s %d", code, i), codes[j+1][i], float64(iv.StatusCodes[code])/secs, false)
			}
		}
		if e := p["errRate"]; len(e) > 1 {
			near(fmt.Sprintf("read errors/s %d", i), e[1][i], float64(iv.Counts.Read)/secs, false) // the first class it had
		}
	}
}

// TestHTMLInChromium: the HTML report of a result with everything (and of
// a merge of two, each shard's spectrum beside the merge's, and of a run
// of 60 intervals), opened in real headless Chromium from a file: no
// console error, no request for anything (the page's
// Content-Security-Policy would refuse it and count it), the charts drawn
// with their canvases, and the series they plotted, read back from the
// page, equal to the result's intervals. A screenshot is kept (in
// $GOWRK_ARTIFACTS, or the test's temp directory).
func TestHTMLInChromium(t *testing.T) {
	bin := chromium(t)
	r := richResult(t)
	a, b := richResult(t), richResult(t)
	a.Shard.Index, b.Shard.Index = 0, 1
	merged, err := loadgen.Merge([]*loadgen.Result{a, b}, loadgen.MergeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	clean := timelineResult() // no error anywhere: no errors chart, a line that says so
	clean.Counts.Read, clean.Counts.Timeout, clean.Counts.Status = 0, 0, 0
	for i := range clean.Intervals {
		iv := &clean.Intervals[i]
		iv.Counts.Read, iv.Counts.Status = 0, 0
	}
	withTargets := timelineResult() // the per-target table, and their spectra
	withTargets.Targets = targetsResult().Targets
	withPhases := timelineResult() // the phases' table
	withPhases.Phases = phasedResult().Phases
	dir := os.Getenv("GOWRK_ARTIFACTS")
	if dir == "" {
		dir = t.TempDir()
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		r      *loadgen.Result
		parts  []*loadgen.Result
		lines  int
		charts string // spectrum, rps, latency, codes and (when the run had errors) errors
	}{"run": {r, nil, 2, "5"}, "merge": {merged, []*loadgen.Result{a, b}, 4, "5"}, "timeline": {timelineResult(), nil, 2, "5"}, "clean": {clean, nil, 2, "4"},
		"targets": {withTargets, nil, 4, "5"}, "phases": {withPhases, nil, 2, "5"}} {
		t.Run(name, func(t *testing.T) {
			var page bytes.Buffer
			if err := HTML(&page, tc.r, tc.parts, Options{Version: "v0.0.0-test"}); err != nil {
				t.Fatal(err)
			}
			if strings.Contains(page.String(), "s3cret") {
				t.Fatal("the HTML report shows the Authorization value")
			}
			for _, ref := range []string{"src=", "href=", "<link", "@import", "url("} {
				if n := strings.Count(page.String(), ref); n > 0 {
					t.Errorf("the page refers to something outside it: %d %q", n, ref)
				}
			}
			file := filepath.Join(dir, "report-"+name+".html")
			if err := os.WriteFile(file, page.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			dom, log := headless(t, bin, "--dump-dom", "file://"+file)
			attr := func(k string) string {
				m := regexp.MustCompile(`<body[^>]* ` + k + `="([^"]*)"`).FindStringSubmatch(dom)
				if m == nil {
					return ""
				}
				return m[1]
			}
			if attr("data-charts") != tc.charts || attr("data-errors") != "0" || attr("data-resources") != "0" {
				t.Errorf("charts %q, errors %q, resources %q; want %s, 0, 0", attr("data-charts"), attr("data-errors"), attr("data-resources"), tc.charts)
			}
			if n := strings.Count(dom, "<canvas"); n < 3 {
				t.Errorf("%d canvases drawn, want 3", n)
			}
			if n := strings.Count(dom, `class="u-series"`); n < tc.lines {
				t.Errorf("the legends list %d series, want at least %d", n, tc.lines)
			}
			if tc.r.Config.Shape != nil && !strings.Contains(dom, "<td>target/s</td>") {
				t.Error("a rate shape's run has no step table")
			}
			if len(tc.r.Targets) > 0 && (!strings.Contains(dom, "<td>post-order</td>") || !strings.Contains(dom, "target post-order")) {
				t.Error("a run with targets has no per-target table or spectrum")
			}
			if !tc.r.Phases.Empty() && !strings.Contains(dom, "<td>TLS handshake</td>") {
				t.Error("a run with phases has no phases table")
			}
			for _, bad := range []string{"Uncaught", "Refused to", "CONSOLE"} {
				if strings.Contains(log, bad) {
					t.Errorf("Chromium logged %q: %s", bad, log)
				}
			}
			plotted := plottedOf(t, dom)
			checkPlotted(t, tc.r, plotted)
			checkDueOnPage(t, dom, plotted)
			if tc.r.Counts.Errors() == 0 && !strings.Contains(dom, `<div id="errRate" class="chart">no errors</div>`) {
				t.Error("a run without errors does not say so where the errors chart would be")
			}
			shot := filepath.Join(dir, "report-"+name+".png")
			headless(t, bin, "--screenshot="+shot, "--window-size=1100,2700", "--hide-scrollbars", "file://"+file)
			if st, err := os.Stat(shot); err != nil || st.Size() < 10000 {
				t.Errorf("no screenshot: %v", err)
			}
			t.Logf("screenshot: %s", shot)
		})
	}
}
