package cli

import (
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gowrk/gowrk/loadgen/testserver"
)

// TestOutputKept: -o is written only when a report is: a run that ends
// without one (an untrusted certificate) leaves an existing file as it was
// and creates none; merge and report refuse an -o that is one of their
// inputs, which the report would replace.
func TestOutputKept(t *testing.T) {
	ts := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	ts.Config.ErrorLog = log.New(io.Discard, "", 0)
	ts.StartTLS()
	defer ts.Close()
	dir := t.TempDir()
	s := server(t, testserver.Behaviour{})
	for _, format := range []string{"json", "csv"} {
		kept := filepath.Join(dir, "kept."+format) // an earlier run's report
		if code, _, errs := gowrk(t, "-t1", "-c1", "-n", "20", "-f", format, "-o", kept, s.URL()); code != 0 {
			t.Fatalf("-f %s: exit %d: %s", format, code, errs)
		}
		earlier, _ := os.ReadFile(kept)
		for _, out := range []string{kept, filepath.Join(dir, "new."+format)} {
			code, _, errs := gowrk(t, "-t1", "-c1", "-n", "5", "-f", format, "-o", out, ts.URL+"/")
			if code != 1 || !strings.Contains(errs, "not trusted") {
				t.Fatalf("-f %s -o %s: exit %d, %q", format, out, code, errs)
			}
		}
		if b, err := os.ReadFile(kept); err != nil || len(earlier) == 0 || string(b) != string(earlier) {
			t.Errorf("-f %s: the run without a report left -o as %q, was %q (%v)", format, b, earlier, err)
		}
		if _, err := os.Stat(filepath.Join(dir, "new."+format)); err == nil {
			t.Errorf("-f %s: the run without a report created its -o", format)
		}
	}
	a := filepath.Join(dir, "a.json")
	if code, _, errs := gowrk(t, "-t1", "-c1", "-n", "20", "-f", "json", "-o", a, s.URL()); code != 0 {
		t.Fatalf("run: exit %d: %s", code, errs)
	}
	before, _ := os.ReadFile(a)
	logFile := filepath.Join(dir, "run.csv")
	if code, _, errs := gowrk(t, "-t1", "-c1", "-n", "20", "--log", logFile, s.URL()); code != 0 {
		t.Fatalf("run --log: exit %d: %s", code, errs)
	}
	logBefore, _ := os.ReadFile(logFile)
	// A closed-loop report has no -R for rate_achieved to be a share of.
	if code, out, errs := gowrk(t, "merge", "--fail-on", "rate_achieved>=99%", a); code != 2 || out != "" || !strings.Contains(errs, "and the merged run has none (closed loop)") {
		t.Errorf("merge --fail-on rate_achieved of a closed loop: exit %d, stdout %q, stderr %q", code, out, errs)
	}
	for _, args := range [][]string{{"merge", "-o", a, a, a}, {"report", "-f", "json", "-o", logFile, logFile}} {
		code, out, errs := gowrk(t, args...)
		if code != 2 || out != "" || !strings.Contains(errs, "is also an input: the report would replace it") {
			t.Errorf("%v: exit %d, stdout %q, stderr %q", args, code, out, errs)
		}
	}
	if after, _ := os.ReadFile(a); string(after) != string(before) {
		t.Error("merge replaced its input")
	}
	if after, _ := os.ReadFile(logFile); string(after) != string(logBefore) {
		t.Error("report replaced its log")
	}
}
