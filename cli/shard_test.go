package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
	"github.com/gowrk/gowrk/loadgen/testserver"
	"github.com/gowrk/gowrk/report"
)

// gowrkBinary builds gowrk once per test binary, for tests that need
// separate processes.
var gowrkBinary = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "gowrk-bin")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "gowrk")
	out, err := exec.Command("go", "build", "-o", bin, "..").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build: %v: %s", err, out)
	}
	return bin, nil
})

// runShards runs n gowrk processes as shards of one run with a common
// start barrier, each writing its JSON report; it returns the files.
func runShards(t *testing.T, n int, url string, args ...string) []string {
	t.Helper()
	bin, err := gowrkBinary()
	if err != nil {
		t.Fatal(err)
	}
	at := fmt.Sprintf("%.3f", float64(time.Now().Add(1500*time.Millisecond).UnixMilli())/1000)
	dir := t.TempDir()
	var files []string
	var argv [][]string
	for i := range n {
		f := filepath.Join(dir, fmt.Sprintf("shard-%d.json", i))
		files = append(files, f)
		a := append([]string{"-q", "-f", "json", "-o", f, "--shard", fmt.Sprintf("%d/%d", i, n), "--start-at", at}, args...)
		argv = append(argv, append(a, url))
	}
	runProcs(t, bin, argv)
	return files
}

// runProcs runs bin once per argument list, all at once, and returns each
// one's stdout and stderr together (as kubectl logs gives a pod's); a
// process that fails fails the test.
func runProcs(t *testing.T, bin string, argv [][]string) []*bytes.Buffer {
	t.Helper()
	var cmds []*exec.Cmd
	var logs []*bytes.Buffer
	for _, a := range argv {
		cmd := exec.Command(bin, a...)
		var log bytes.Buffer
		cmd.Stdout, cmd.Stderr = &log, &log
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds, logs = append(cmds, cmd), append(logs, &log)
	}
	for i, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			t.Fatalf("process %d (%q): %v: %s", i, argv[i], err, logs[i])
		}
	}
	return logs
}

// mergeJSON runs gowrk merge -f json on files, which must succeed.
func mergeJSON(t *testing.T, files []string) mergedReport {
	t.Helper()
	code, out, errs := gowrk(t, append([]string{"merge", "-f", "json"}, files...)...)
	if code != 0 {
		t.Fatalf("merge: exit %d: %s", code, errs)
	}
	var m mergedReport
	if err := json.Unmarshal([]byte(out), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

type mergedReport struct {
	Requests uint64 `json:"requests"`
	InFlight uint64 `json:"in_flight_at_stop"`
	Sent     uint64 `json:"sent"`
	Config   struct {
		Connections int     `json:"connections"`
		Rate        float64 `json:"rate_per_sec"`
	} `json:"config"`
	Rate *struct {
		Target   float64 `json:"target"`
		Achieved float64 `json:"achieved"`
	} `json:"rate"`
	Latency struct {
		Histogram   string           `json:"histogram"`
		Percentiles map[string]int64 `json:"percentiles_us"`
	} `json:"latency"`
	Merged struct {
		Parts      int   `json:"parts"`
		Count      int   `json:"shard_count"`
		Missing    []int `json:"missing_shards"`
		Incomplete bool  `json:"incomplete"`
		Spread     int64 `json:"start_spread_us"`
	} `json:"merged"`
}

// TestShardedRun: three gowrk processes, shards of one -R 600 run started
// at one barrier against one counting server. Merged: the totals equal
// the parts' sum and the server's count (up to what was in flight at the
// stops), the latency histogram is the union of the three, and the
// achieved rate is within 1% of the target.
func TestShardedRun(t *testing.T) {
	srv := server(t, testserver.Behaviour{Delay: 2 * time.Millisecond})
	files := runShards(t, 3, srv.URL(), "-t1", "-c6", "-R", "600", "-d", "2s")
	m := mergeJSON(t, files)
	union := hdrhistogram.New(1, 3_600_000_000, 3)
	var sum uint64
	for _, f := range files {
		b, _ := os.ReadFile(f)
		r, err := report.Decode(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if r.Config.Connections != 2 || r.Config.Rate != 200 || r.Shard == nil {
			t.Errorf("%s: a shard of -c6 -R600 over 3 has %d connections at %v/s, shard %+v", f, r.Config.Connections, r.Config.Rate, r.Shard)
		}
		union.Merge(r.Latency)
		sum += r.Counts.Completed
	}
	served := uint64(srv.Requests.Load())
	if m.Requests != sum || served < m.Requests || served > m.Requests+m.InFlight {
		t.Errorf("merged %d completed (%d in flight), the parts %d, the server served %d", m.Requests, m.InFlight, sum, served)
	}
	h, err := hdrhistogram.Decode([]byte(m.Latency.Histogram))
	if err != nil || !h.Equals(union) || m.Latency.Percentiles["99"] != union.ValueAtQuantile(99) {
		t.Errorf("merged latency is not the union of the shards': p99 %d vs %d (%v)", m.Latency.Percentiles["99"], union.ValueAtQuantile(99), err)
	}
	if m.Config.Connections != 6 || m.Config.Rate != 600 || m.Rate == nil || m.Merged.Parts != 3 || m.Merged.Count != 3 || m.Merged.Incomplete {
		t.Fatalf("merged report: %+v", m)
	}
	if a := m.Rate.Achieved; a < 594 || a > 606 {
		t.Errorf("achieved %.1f/s of 600 (start spread %dus)", a, m.Merged.Spread)
	}

	// The HTML report of the merge draws each shard beside it.
	page := filepath.Join(t.TempDir(), "merged.html")
	if code, _, errs := gowrk(t, append([]string{"merge", "-q", "--html", page}, files...)...); code != 2 || !strings.Contains(errs, "unknown shorthand flag: 'q'") {
		t.Errorf("merge -q: exit %d, %q", code, errs) // (merge has no -q: it prints nothing but the report)
	}
	if code, _, errs := gowrk(t, append([]string{"merge", "-o", os.DevNull, "--html", page}, files...)...); code != 0 {
		t.Fatalf("merge --html: exit %d: %s", code, errs)
	}
	if b, err := os.ReadFile(page); err != nil || !bytes.Contains(b, []byte(`shard 2 latency`)) || !bytes.Contains(b, []byte("uPlot")) {
		t.Errorf("merge --html wrote %d bytes without the shards' spectra (%v)", len(b), err)
	}

	// A missing shard: merged anyway, marked incomplete, exit 1.
	code, out, errs := gowrk(t, "merge", "-f", "json", files[0], files[2])
	if err := json.Unmarshal([]byte(out), &m); code != 1 || err != nil || !m.Merged.Incomplete || len(m.Merged.Missing) != 1 || m.Merged.Missing[0] != 1 || !strings.Contains(errs, "shards 1 of 3 are missing") {
		t.Errorf("merge without shard 1: exit %d, %+v, %q", code, m.Merged, errs)
	}
	// Refused: a shard twice, different targets, garbage, a truncated file.
	dir := t.TempDir()
	b, _ := os.ReadFile(files[1])
	other := filepath.Join(dir, "other.json")
	os.WriteFile(other, bytes.Replace(b, []byte(srv.URL()), []byte("http://127.0.0.1:1/"), 1), 0o644)
	garbage := filepath.Join(dir, "garbage.json")
	os.WriteFile(garbage, []byte("\x00garbage"), 0o644)
	cut := filepath.Join(dir, "cut.json")
	os.WriteFile(cut, b[:len(b)/2], 0o644)
	for _, tc := range []struct {
		files []string
		want  string
	}{
		{[]string{files[0], files[0]}, files[0] + " and " + files[0] + " are the same run (run id "},
		{[]string{files[0], other}, other + " is GET http://127.0.0.1:1/"},
		{[]string{files[0], garbage}, "garbage.json: not a JSON report"},
		{[]string{files[0], cut}, "cut.json: not a JSON report"},
		{[]string{filepath.Join(dir, "none.json")}, "none.json: open"},
		{nil, "no report to merge"},
	} {
		code, out, errs := gowrk(t, append([]string{"merge"}, tc.files...)...)
		if code != 2 || out != "" || strings.Count(errs, "\n") != 1 || !strings.Contains(errs, tc.want) {
			t.Errorf("merge %v: exit %d, stdout %d bytes, stderr %q; want exit 2 and one line with %q", tc.files, code, len(out), errs, tc.want)
		}
	}
}

// TestDecodeRealRun: the JSON report of a real run (intervals, -R, a
// warm-up) decodes to a result whose JSON and text are the report again.
func TestDecodeRealRun(t *testing.T) {
	srv := server(t, testserver.Behaviour{Delay: time.Millisecond})
	for _, args := range [][]string{
		{"-t2", "-c4", "-R", "400", "-d", "1s", "--warmup", "300ms", "--interval", "300ms"},
		{"-t1", "-c3", "-R", "100:300:100@400ms"},
		{"-t1", "-c2", "-n", "500", "--interval", "100ms"},
	} {
		code, out, errs := gowrk(t, append(append([]string{"-q", "-f", "json"}, args...), srv.URL())...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, errs)
		}
		r, err := report.Decode(strings.NewReader(out))
		if err != nil {
			t.Fatalf("%v: %v", args, err)
		}
		var again bytes.Buffer
		if err := report.JSON(&again, r, report.Options{Version: getVersion()}); err != nil {
			t.Fatal(err)
		}
		if again.String() != out {
			a, b := strings.Split(out, "\n"), strings.Split(again.String(), "\n")
			for i := range min(len(a), len(b)) {
				if a[i] != b[i] {
					t.Fatalf("%v: the decoded report renders differently at line %d:\n%s\n%s", args, i+1, a[i], b[i])
				}
			}
			t.Fatalf("%v: lengths differ", args)
		}
	}
}

// TestMergeHdrLogs: the --hdr-log files of two shards merge interval by
// interval: the merged log's histograms (read back with hdrhistogram-go's
// own reader) add up to the shards' latency counts, and what is not a
// gowrk interval log is refused.
func TestMergeHdrLogs(t *testing.T) {
	srv := server(t, testserver.Behaviour{})
	bin, err := gowrkBinary()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	at := fmt.Sprintf("%.3f", float64(time.Now().Add(1500*time.Millisecond).UnixMilli())/1000)
	var argv [][]string
	var logs, reports []string
	for i := range 2 {
		l, j := filepath.Join(dir, fmt.Sprintf("s%d.hlog", i)), filepath.Join(dir, fmt.Sprintf("s%d.json", i))
		logs, reports = append(logs, l), append(reports, j)
		argv = append(argv, []string{"-q", "-f", "json", "-o", j, "--hdr-log", l, "--interval", "300ms", "--shard", fmt.Sprintf("%d/2", i), "--start-at", at,
			"-t1", "-c2", "-R", "400", "-d", "1500ms", srv.URL()})
	}
	runProcs(t, bin, argv)
	merged := filepath.Join(dir, "merged.hlog")
	if code, _, errs := gowrk(t, append([]string{"merge", "-o", merged}, logs...)...); code != 0 {
		t.Fatalf("merge of .hlog: exit %d: %s", code, errs)
	}
	m := mergeJSON(t, reports)
	f, err := os.Open(merged)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rd := hdrhistogram.NewHistogramLogReader(f)
	var latency int64
	for {
		h, err := rd.NextIntervalHistogram()
		if err != nil || h == nil {
			break
		}
		if h.Tag() == "latency" {
			latency += h.TotalCount()
		}
	}
	if h, _ := hdrhistogram.Decode([]byte(m.Latency.Histogram)); latency == 0 || latency != h.TotalCount() {
		t.Errorf("the merged log holds %d latencies, the merged reports %d", latency, h.TotalCount())
	}
	other := hdrhistogram.New(1, 1<<50, 5)
	other.RecordValue(7)
	enc, _ := other.Encode(hdrhistogram.V2CompressedEncodingCookieBase)
	wide := filepath.Join(dir, "wide.hlog")
	os.WriteFile(wide, []byte("Tag=latency,0.0,1.0,0.0,"+string(enc)+"\n"), 0o644)
	garbage := filepath.Join(dir, "garbage.hlog")
	os.WriteFile(garbage, []byte("Tag=latency,0.0,1.0,0.0,HISTxx\n"), 0o644)
	// A copy of a log, and a log of an hour later (its base time moved).
	b, err := os.ReadFile(logs[1])
	if err != nil {
		t.Fatal(err)
	}
	copied, later := filepath.Join(dir, "copy.hlog"), filepath.Join(dir, "later.hlog")
	os.WriteFile(copied, b, 0o644)
	m1 := regexp.MustCompile(`#\[BaseTime: ([0-9.]+) `).FindSubmatch(b)
	if m1 == nil {
		t.Fatalf("no BaseTime in %s", b)
	}
	base, _ := strconv.ParseFloat(string(m1[1]), 64)
	os.WriteFile(later, bytes.Replace(b, m1[0], []byte(fmt.Sprintf("#[BaseTime: %.3f ", base+3600)), 1), 0o644)
	if code, _, errs := gowrk(t, "merge", "--allow-mixed", "-o", os.DevNull, logs[0], later); code != 0 {
		t.Errorf("merge --allow-mixed of logs an hour apart: exit %d: %s", code, errs)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{logs[0], reports[1]}, "not both"},
		{[]string{logs[1], logs[1]}, logs[1] + " and " + logs[1] + " are the same log, byte for byte"},
		{[]string{logs[0], logs[1], copied}, logs[1] + " and " + copied + " are the same log, byte for byte"},
		{[]string{"--allow-mixed", logs[1], copied}, logs[1] + " and " + copied + " are the same log"},
		{[]string{logs[0], later}, logs[0] + " ran "},
		{[]string{logs[0], later}, "not at the same time"},
		{[]string{"-f", "json", logs[0], logs[1]}, "--format goes with JSON reports"},
		{[]string{logs[0], wide}, "wide.hlog: line 1: histogram settings 1..1125899906842624 at 5 digits"},
		{[]string{logs[0], garbage}, "garbage.hlog: line 1"},
	} {
		code, out, errs := gowrk(t, append([]string{"merge"}, tc.args...)...)
		if code != 2 || out != "" || strings.Count(errs, "\n") != 1 || !strings.Contains(errs, tc.want) {
			t.Errorf("merge %v: exit %d, stderr %q; want exit 2 and one line with %q", tc.args, code, errs, tc.want)
		}
	}
	keep := filepath.Join(dir, "keep.hlog")
	os.WriteFile(keep, []byte("keep"), 0o644)
	if code, _, _ := gowrk(t, "merge", "-o", keep, logs[1], copied); code != 2 {
		t.Errorf("merge of a log and its copy: exit %d, want 2", code)
	}
	if b, _ := os.ReadFile(keep); string(b) != "keep" {
		t.Errorf("a refused merge wrote -o: %q", b)
	}
}
