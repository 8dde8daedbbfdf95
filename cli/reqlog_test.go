package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/gowrk/gowrk/loadgen/testserver"
)

// TestRequestLogCLI: a run with --log (closed loop, -R, a rate shape, a
// warm-up whose requests are not logged; CSV and JSON lines) writes one record per request the server counted, and gowrk report
// rebuilds the run's own JSON report from it, byte for byte.
func TestRequestLogCLI(t *testing.T) {
	s := server(t, testserver.Behaviour{StatusFor: func(n int64) int {
		if n%7 == 0 {
			return 503
		}
		return 200
	}})
	dir := t.TempDir()
	for _, tc := range []struct {
		file string
		args []string
	}{
		{"run.jsonl", []string{"-t2", "-c4", "-n", "500"}},
		{"run.csv", []string{"-t2", "-c4", "-d", "500ms", "-R", "400"}},
		{"shape.jsonl", []string{"-c4", "-d", "900ms", "-R", "100:300:100@300ms"}},
		{"warm.csv", []string{"-c4", "--warmup", "200ms", "-d", "500ms", "-R", "200"}},
	} {
		before := s.Requests.Load()
		log := filepath.Join(dir, tc.file)
		code, run, errs := gowrk(t, append(tc.args, "-q", "-f", "json", "--log", log, s.URL())...)
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", tc.file, code, errs)
		}
		b, err := os.ReadFile(log)
		if err != nil {
			t.Fatal(err)
		}
		// the server's count: every answered request, and some of those
		// in flight at the stop
		done, open := countKind(b, "completed"), countKind(b, "in_flight")+countKind(b, "failed")
		served := s.Requests.Load() - before
		warm := tc.args[1] == "--warmup" // (the server counts the warm-up's requests too)
		if !warm && (served < done || served > done+open) {
			t.Errorf("%s: %d answered records and %d in flight or failed, the server counted %d", tc.file, done, open, served)
		}
		code, rebuilt, errs := gowrk(t, "report", "-f", "json", log)
		if code != 0 || errs != "" {
			t.Fatalf("gowrk report %s: exit %d: %s", tc.file, code, errs)
		}
		if rebuilt != run {
			t.Errorf("%s rebuilds another report:\n%s\nthe run's:\n%s", tc.file, rebuilt, run)
		}
	}
}

// countKind counts a log's records of kind, CSV or JSON lines.
func countKind(log []byte, kind string) int64 {
	var n int64
	for _, line := range strings.Split(string(log), "\n") {
		if strings.HasPrefix(line, kind+",") || strings.HasPrefix(line, `{"kind":"`+kind+`"`) {
			n++
		}
	}
	return n
}

// TestRequestLogSampled: --log-sample keeps about its fraction, and gowrk
// report says the figures are the sample's.
func TestRequestLogSampled(t *testing.T) {
	s := server(t, testserver.Behaviour{})
	log := filepath.Join(t.TempDir(), "run.jsonl")
	if code, _, errs := gowrk(t, "-q", "-c2", "-n", "2000", "--log", log, "--log-sample", "0.1", s.URL()); code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	code, out, errs := gowrk(t, "report", log)
	if code != 0 || !strings.Contains(errs, "keeps 10% of the requests (--log-sample 0.1)") {
		t.Fatalf("exit %d: %s", code, errs)
	}
	// 2000 requests at 10%: 200 ± 5 sigma
	if !strings.Contains(out, "requests in") {
		t.Fatalf("no report:\n%s", out)
	}
	// The reports themselves say so, and the JSON carries the fraction
	// through a merge.
	if !strings.Contains(out, "\nSampled: rebuilt from a log that keeps 10% of the requests") {
		t.Errorf("the text report does not say it is a sample's:\n%s", out)
	}
	rebuilt := filepath.Join(t.TempDir(), "rebuilt.json")
	if code, _, errs := gowrk(t, "report", "-f", "json", "-o", rebuilt, log); code != 0 {
		t.Fatalf("report -f json: exit %d: %s", code, errs)
	}
	_, merged, _ := gowrk(t, "merge", "-f", "json", rebuilt)
	var doc struct {
		Sample   float64
		Warnings []string
	}
	if err := json.Unmarshal([]byte(merged), &doc); err != nil || doc.Sample != 0.1 || len(doc.Warnings) == 0 || !strings.Contains(doc.Warnings[0], "keeps 10% of the requests") {
		t.Errorf("merged JSON: sample %v, warnings %q (%v)", doc.Sample, doc.Warnings, err)
	}
	b, _ := os.ReadFile(log)
	if n := countKind(b, "completed"); n < 130 || n > 270 {
		t.Fatalf("%d of 2000 requests logged at 10%%", n)
	}
}

// TestRequestLogBadInput: one line naming what is wrong, exit 2.
func TestRequestLogBadInput(t *testing.T) {
	dir := t.TempDir()
	corrupt := filepath.Join(dir, "corrupt.csv")
	os.WriteFile(corrupt, []byte("#gowrk-log {\"type\":\"log\",\"log_version\":1,\"format\":\"csv\"}\n"+strings.Join(logColumnsForTest, ",")+"\ncompleted,zero\n"), 0o644)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--log", filepath.Join(dir, "no", "dir", "x.csv"), "http://127.0.0.1:1/"}, "--log: open "},
		{[]string{"--log", filepath.Join(dir, "x.txt"), "http://127.0.0.1:1/"}, "name the file .csv or .jsonl"},
		{[]string{"--log", "x.csv", "--log-format", "xml", "http://127.0.0.1:1/"}, "--log-format xml: use csv or jsonl"},
		{[]string{"--log-sample", "0.5", "http://127.0.0.1:1/"}, "--log-sample goes with --log FILE"},
		{[]string{"--log", "x.csv", "--log-sample", "2", "http://127.0.0.1:1/"}, "--log-sample 2: a fraction"},
		{[]string{"--log", "x.csv", "-o", "x.csv", "http://127.0.0.1:1/"}, "x.csv"},
		{[]string{"report", corrupt}, "corrupt.csv: line 3: not a CSV record"},
		{[]string{"report", filepath.Join(dir, "missing.csv")}, "missing.csv"},
		{[]string{"report"}, "give one --log file"},
		{[]string{"report", "-f", "xml", corrupt}, "xml"},
	} {
		code, out, errs := gowrk(t, tc.args...)
		if code != 2 || out != "" || strings.Count(errs, "\n") != 1 || !strings.Contains(errs, tc.want) {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want exit 2 and one line with %q", tc.args, code, out, errs, tc.want)
		}
	}
}

// logColumnsForTest are the CSV log's column names as a reader sees them.
var logColumnsForTest = []string{"kind", "seq", "thread", "slot", "target", "step", "due_us", "send_us", "first_byte_us", "end_us", "status", "error", "late", "bytes_in", "bytes_out"}

// TestMergeLogs: gowrk merge takes request logs as it takes reports: two
// shards' logs merge into the report their JSON reports merge into.
func TestMergeLogs(t *testing.T) {
	s := server(t, testserver.Behaviour{})
	dir := t.TempDir()
	var reports, logs []string
	for i, ext := range []string{"csv", "jsonl"} {
		rep, log := filepath.Join(dir, ext+".json"), filepath.Join(dir, "shard."+ext)
		code, _, errs := gowrk(t, "-q", "-c4", "-d", "300ms", "-R", "200", "--shard", []string{"0/2", "1/2"}[i], "-f", "json", "-o", rep, "--log", log, s.URL())
		if code != 0 {
			t.Fatalf("shard %d: exit %d: %s", i, code, errs)
		}
		reports, logs = append(reports, rep), append(logs, log)
	}
	merged := func(files []string) map[string]any {
		code, out, errs := gowrk(t, append([]string{"merge", "--allow-mixed", "-f", "json"}, files...)...)
		if code != 0 {
			t.Fatalf("merge %v: exit %d: %s", files, code, errs)
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(out), &m); err != nil {
			t.Fatal(err)
		}
		delete(m, "run_id") // (a merge's own)
		return m
	}
	if a, b := merged(reports), merged(logs); !reflect.DeepEqual(a, b) {
		t.Errorf("the logs merge into another report than the reports:\n%v\n%v", b, a)
	}
}
