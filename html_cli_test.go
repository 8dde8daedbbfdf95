package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gowrk/gowrk/loadgen/testserver"
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
