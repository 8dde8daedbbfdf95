package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/gowrk/gowrk/loadgen/testserver"
	"github.com/gowrk/gowrk/serve"
)

// TestHTMLFlag: --html writes the page besides the report, with the run's
// intervals in it; a path that cannot be written is one line and exit 1,
// after the report.
func TestHTMLFlag(t *testing.T) {
	srv := server(t, testserver.Behaviour{})
	page := filepath.Join(t.TempDir(), "run.html")
	code, out, errs := gowrk(t, "-q", "-t1", "-c2", "-n", "300", "--html", page, srv.URL())
	b, err := os.ReadFile(page)
	if code != 0 || err != nil || !strings.Contains(out, "300 requests in") {
		t.Fatalf("exit %d, %v: %s", code, err, errs)
	}
	if !strings.Contains(string(b), `"rps":[`) || strings.Contains(string(b), `"rps":null`) || !strings.Contains(string(b), "Content-Security-Policy") {
		t.Errorf("the page has no intervals or no CSP")
	}
	code, out, errs = gowrk(t, "-q", "-t1", "-c2", "-n", "10", "--html", filepath.Join(t.TempDir(), "no", "such", "dir.html"), srv.URL())
	// Checked before the load: one line, exit 2, no report.
	if code != 2 || out != "" || strings.Count(errs, "\n") != 1 || !strings.Contains(errs, "--html ") {
		t.Errorf("unwritable --html: exit %d, stderr %q", code, errs)
	}
}

// TestHTMLFinePoints: a 2 s run with --html and no --interval draws at
// least 60 points, while the JSON report keeps its intervals of 1 s; the
// page's points add up to the report's requests (each point's rate times
// its interval, the stop's sliver aside).
func TestHTMLFinePoints(t *testing.T) {
	srv := server(t, testserver.Behaviour{})
	page := filepath.Join(t.TempDir(), "run.html")
	code, out, errs := gowrk(t, "-q", "-t1", "-c2", "-d2s", "-R", "200", "--format", "json", "--html", page, srv.URL())
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var rep struct {
		Config struct {
			IntervalUs int64 `json:"interval_us"`
		} `json:"config"`
		Intervals []struct {
			Requests uint64 `json:"requests"`
		} `json:"intervals"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(page)
	m := regexp.MustCompile(`const DATA = (.*);</script>`).FindSubmatch(b)
	var d struct {
		Interval float64   `json:"interval"`
		Times    []float64 `json:"times"`
		RPS      []float64 `json:"rps"`
	}
	if m == nil || json.Unmarshal(m[1], &d) != nil {
		t.Fatal("no data in the page")
	}
	// About 60 points: a loaded machine may miss a tick of the sampler,
	// whose next point then covers both (the sum below still holds).
	if len(d.Times) < 45 || rep.Config.IntervalUs != 1e6 || len(rep.Intervals) < 2 || len(rep.Intervals) > 3 {
		t.Fatalf("page %d points; report interval %dus, %d intervals", len(d.Times), rep.Config.IntervalUs, len(rep.Intervals))
	}
	var onPage float64
	prev := 0.0
	for i, at := range d.Times {
		onPage += d.RPS[i] * (at - prev)
		prev = at
	}
	var reported uint64
	for _, iv := range rep.Intervals {
		reported += iv.Requests
	}
	// The page leaves out the stop's sliver (under a tenth of an interval).
	if onPage > float64(reported)+0.5 || onPage < float64(reported)-0.5-d.Interval/10*200*2 {
		t.Errorf("the page's points add up to %.1f requests, the report's intervals to %d", onPage, reported)
	}
}

// TestTUIContradictions: --tui with --quiet or --progress is one line and
// exit 2, before any load. (--tui itself is tested in a terminal, in tmux:
// here it would take the developer's terminal over.)
func TestTUIContradictions(t *testing.T) {
	srv := server(t, testserver.Behaviour{})
	for _, args := range [][]string{{"--tui", "-q"}, {"--tui", "--progress"}} {
		code, out, errs := gowrk(t, append(args, "-d1s", srv.URL())...)
		if code != 2 || out != "" || strings.Count(errs, "\n") != 1 || !strings.Contains(errs, "--tui") {
			t.Errorf("%v: exit %d, stdout %q, stderr %q", args, code, out, errs)
		}
	}
}

// TestHTMLCensored: a run that ends with requests still waiting (5
// connections on one 100 ms worker) writes a page whose summary gives the
// latency of every due request beside that of completed requests, its
// max marked a lower bound, with the requests due and never completed as
// the JSON report counts them, and whose spectrum holds the series over
// every due request. (The page's drawing is read back in Chromium by
// report's TestHTMLInChromium.)
func TestHTMLCensored(t *testing.T) {
	s := startServe(t, serve.Config{Workers: 1, Delay: delay(t, "100ms")})
	page := filepath.Join(t.TempDir(), "run.html")
	code, out, errs := gowrk(t, "-t1", "-c5", "-d1s", "-f", "json", "--html", page, "http://"+s.Addr()+"/")
	var rep struct {
		Due struct {
			Count    int64 `json:"count"`
			Censored int64 `json:"censored"`
		} `json:"latency_all_due"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil || code != 0 || rep.Due.Censored == 0 {
		t.Fatalf("exit %d, %v, %d censored: %s", code, err, rep.Due.Censored, errs)
	}
	b, _ := os.ReadFile(page)
	m := regexp.MustCompile(`const DATA = (.*);</script>`).FindSubmatch(b)
	var d struct {
		Summary  [][2]string `json:"summary"`
		Spectrum struct {
			Names []string `json:"names"`
			Due   int      `json:"due"`
		} `json:"spectrum"`
	}
	if m == nil || json.Unmarshal(m[1], &d) != nil {
		t.Fatal("no data in the page")
	}
	rows := map[string]string{}
	for _, r := range d.Summary {
		rows[r[0]] = r[1]
	}
	due, done := rows["latency of every due request p50 / p99 / p99.9 / max"], rows["latency of completed requests p50 / p99 / p99.9 / max"]
	if f := strings.Split(due, " / "); len(f) != 4 || !strings.HasPrefix(f[3], ">= ") || done == "" {
		t.Errorf("summary: every due request %q, completed %q", due, done)
	}
	if want := fmt.Sprintf("%d / %d", rep.Due.Count, rep.Due.Censored); rows["due / never completed"] != want {
		t.Errorf("due / never completed %q, the report's %q", rows["due / never completed"], want)
	}
	if d.Spectrum.Due < 0 || d.Spectrum.Due >= len(d.Spectrum.Names) || !strings.Contains(d.Spectrum.Names[d.Spectrum.Due], "every due request") {
		t.Errorf("spectrum series %q, the one over every due request at %d", d.Spectrum.Names, d.Spectrum.Due)
	}
}
