package report

import (
	"bytes"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gowrk/gowrk/loadgen"
)

// logRecords are one of each kind a log writes: scheduled and not, a
// target, a first byte, a late answer, a rate step.
var logRecords = []loadgen.LogRecord{
	{Kind: loadgen.LogCompleted, Seq: 0, Scheduled: true, Due: 1000, Send: 1003, FirstByte: 400, End: 1500, BytesIn: 187, BytesOut: 62, Status: 200, Target: 1, Step: 0, Slot: 1},
	{Kind: loadgen.LogCompleted, Seq: 1, Due: 2000, Send: 2000, FirstByte: -1, End: 2600, BytesIn: -1, BytesOut: -1, Status: 503, Late: true, Target: 0, Step: -1, Thread: 1},
	{Kind: loadgen.LogFailed, Seq: 2, Scheduled: true, Due: 3000, Send: 3100, FirstByte: -1, End: 5000, BytesIn: 0, BytesOut: 62, Class: loadgen.ClassTimeout, Target: -1, Step: 1},
	{Kind: loadgen.LogFailed, Seq: 3, Due: 3000, Send: 3000, FirstByte: -1, End: 3010, BytesIn: 40, BytesOut: 62, Class: loadgen.ClassRead, Target: -1, Step: -1},
	{Kind: loadgen.LogInFlight, Seq: 4, Scheduled: true, Due: 9000, Send: 9500, FirstByte: -1, End: 10000, BytesIn: 0, BytesOut: 62, Late: true, Target: -1, Step: -1},
	{Kind: loadgen.LogUnsent, Seq: 5, Scheduled: true, Due: 9800, Send: -1, FirstByte: -1, End: 10000, BytesIn: -1, BytesOut: -1, Target: -1, Step: 2},
}

// writeLog writes logRecords and res as a log of format.
func writeLog(t *testing.T, format string, res *loadgen.Result) []byte {
	t.Helper()
	var b bytes.Buffer
	cfg := res.Config
	l, err := NewRequestLog(&b, format, &cfg)
	if err != nil {
		t.Fatal(err)
	}
	l.names = [][]byte{l.quote("a, \"quoted\" name"), l.quote("b")}
	l.Begin(res.Start, 2)
	w := []loadgen.RecordWriter{l.Thread(0), l.Thread(1)}
	for i := range logRecords {
		w[logRecords[i].Thread].Write(&logRecords[i])
	}
	if err := l.Close(res, Options{Version: "test"}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestRequestLogGolden: each format's log as written, and read back into
// the same figures: the records' counts, codes and latencies on top of
// the run's other figures.
func TestRequestLogGolden(t *testing.T) {
	res := fixedResult(0)
	var rebuilt []string
	for _, format := range LogFormats {
		out := writeLog(t, format, res)
		checkGolden(t, "reqlog."+format, out)
		got, info, err := ReadLog(bytes.NewReader(out))
		if err != nil {
			t.Fatalf("%s: %v", format, err)
		}
		c := got.Counts
		if info.Records != 6 || info.Sample != 1 || c.Completed != 2 || c.Status != 1 || c.Late != 1 || c.Timeout != 1 || c.Read != 1 ||
			c.InFlight != 1 || c.LateInFlight != 1 || c.Unsent != 1 || c.LatencyExcluded != 1 || c.Sent != res.Counts.Sent {
			t.Errorf("%s: %+v from %d records", format, c, info.Records)
		}
		// latency: 500 and 600 answered, 2000 the timeout under -R; censored 1000 in flight and 200 unsent
		if got.Latency.TotalCount() != 3 || got.Latency.Max() < 2000 || got.Latency.Max() > 2002 ||
			got.Censored.TotalCount() != 2 || got.Service.TotalCount() != 2 || got.SendLag.TotalCount() != 3 {
			t.Errorf("%s: latency %d (max %d), censored %d, service %d, lag %d", format, got.Latency.TotalCount(), got.Latency.Max(),
				got.Censored.TotalCount(), got.Service.TotalCount(), got.SendLag.TotalCount())
		}
		if got.StatusCodes[200] != 1 || got.StatusCodes[503] != 1 || len(got.StatusCodes) != 2 {
			t.Errorf("%s: status codes %v", format, got.StatusCodes)
		}
		var j bytes.Buffer
		if err := JSON(&j, got, Options{}); err != nil {
			t.Fatal(err)
		}
		rebuilt = append(rebuilt, j.String())
	}
	if rebuilt[0] != rebuilt[1] {
		t.Errorf("the CSV and JSON lines logs rebuild different reports")
	}
}

// TestReadLogBad: what is not a whole request log is one error naming
// the line at fault.
func TestReadLogBad(t *testing.T) {
	good := string(writeLog(t, LogJSONL, fixedResult(0)))
	lines := strings.SplitAfter(good, "\n")
	csvLog := string(writeLog(t, LogCSV, fixedResult(0)))
	for _, tc := range []struct{ name, log, want string }{
		{"empty", "", "empty"},
		{"another file", "kind,seq\n", "line 1: not a gowrk request log"},
		{"a later version", `{"type":"log","log_version":9,"format":"jsonl"}` + "\n", "line 1: not a request log header"},
		{"cut short", strings.Join(lines[:4], ""), "ends before its report line"},
		{"bad kind", lines[0] + `{"kind":"maybe","seq":1}` + "\n", `line 2: kind "maybe"`},
		{"not JSON", lines[0] + "{\n", "line 2: not a JSON record"},
		{"bad number", strings.Replace(csvLog, "completed,0,", "completed,x,", 1), `line 3: seq "x"`},
		{"bad class", strings.Replace(good, `"error":"read"`, `"error":"oops"`, 1), `error "oops"`},
		{"bad columns", strings.Replace(csvLog, "kind,seq", "kind,sequence", 1), "line 2: the CSV log's column names"},
		{"after the report", good + lines[1], "a line after the log's report line"},
	} {
		if _, _, err := ReadLog(strings.NewReader(tc.log)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
	}
}

// gateWriter blocks every write until open is closed.
type gateWriter struct {
	open chan struct{}
	mu   sync.Mutex
	b    bytes.Buffer
}

func (g *gateWriter) Write(p []byte) (int, error) {
	<-g.open
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.b.Write(p)
}

// TestRequestLogBlocks: when the disk falls behind, a thread waits for a
// free buffer (bounded memory, counted in Waits) and no record is lost.
func TestRequestLogBlocks(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := &gateWriter{open: make(chan struct{})}
		cfg := fixedResult(0).Config
		l, _ := NewRequestLog(g, LogJSONL, &cfg)
		go l.Begin(time.Time{}, 1) // (its header write waits at the gate too)
		synctest.Wait()
		close(g.open)
		synctest.Wait()
		g.open = make(chan struct{})
		w := l.Thread(0)
		const n = 20000 // about 4 MB: more than the 4 buffers of 64 KiB
		done := false
		go func() {
			for i := range n {
				rec := logRecords[0]
				rec.Seq = uint64(i)
				w.Write(&rec)
			}
			done = true
		}()
		synctest.Wait()
		if done {
			t.Fatal("the thread went on with every buffer full and the writer stuck")
		}
		close(g.open)
		synctest.Wait()
		if !done || l.Waits() == 0 {
			t.Fatalf("done %v, %d waits", done, l.Waits())
		}
		if err := l.Close(fixedResult(0), Options{}); err != nil {
			t.Fatal(err)
		}
		if got := strings.Count(g.b.String(), `"kind":"completed"`); got != n {
			t.Fatalf("%d records written, want %d", got, n)
		}
	})
}
