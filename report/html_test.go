package report

import (
	"bytes"
	"context"
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

// TestHTMLInChromium: the HTML report of a result with everything (and of
// a merge of two, each shard's spectrum beside the merge's), opened in
// real headless Chromium from a file: no console error, no request for
// anything (the page's Content-Security-Policy would refuse it and count
// it), and the charts drawn: three uPlot charts, with their canvases. A
// screenshot is kept (in $GOWRK_ARTIFACTS, or the test's temp directory).
func TestHTMLInChromium(t *testing.T) {
	bin := chromium(t)
	r := richResult(t)
	a, b := richResult(t), richResult(t)
	a.Shard.Index, b.Shard.Index = 0, 1
	merged, err := loadgen.Merge([]*loadgen.Result{a, b}, loadgen.MergeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	dir := os.Getenv("GOWRK_ARTIFACTS")
	if dir == "" {
		dir = t.TempDir()
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		r     *loadgen.Result
		parts []*loadgen.Result
		lines int
	}{"run": {r, nil, 2}, "merge": {merged, []*loadgen.Result{a, b}, 4}} {
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
			if attr("data-charts") != "3" || attr("data-errors") != "0" || attr("data-resources") != "0" {
				t.Errorf("charts %q, errors %q, resources %q; want 3, 0, 0", attr("data-charts"), attr("data-errors"), attr("data-resources"))
			}
			if n := strings.Count(dom, "<canvas"); n < 3 {
				t.Errorf("%d canvases drawn, want 3", n)
			}
			if n := strings.Count(dom, `class="u-series"`); n < tc.lines {
				t.Errorf("the legends list %d series, want at least %d", n, tc.lines)
			}
			for _, bad := range []string{"Uncaught", "Refused to", "CONSOLE"} {
				if strings.Contains(log, bad) {
					t.Errorf("Chromium logged %q: %s", bad, log)
				}
			}
			shot := filepath.Join(dir, "report-"+name+".png")
			headless(t, bin, "--screenshot="+shot, "--window-size=1100,1900", "--hide-scrollbars", "file://"+file)
			if st, err := os.Stat(shot); err != nil || st.Size() < 10000 {
				t.Errorf("no screenshot: %v", err)
			}
			t.Logf("screenshot: %s", shot)
		})
	}
}
