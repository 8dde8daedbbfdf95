package enginetest

import (
	"bytes"
	"context"
	"net/url"
	"testing"
	"time"

	"github.com/gowrk/gowrk/loadgen"
	"github.com/gowrk/gowrk/report"
)

// LogRate is the request log row's -R: for Duration, over Conns
// connections, against a server that answers at once.
const LogRate = 400

// RunLog runs the request log row (--log) on every engine but the
// transport variants: a run at LogRate with its log on, CSV for HTTP/1.1
// and JSON lines for the others. The log must hold one record per request
// the run accounts for, its answered ones as many as the server counted
// (up to those in flight at the stop, which the server may have parsed),
// and rebuild (report.ReadLog) the run's JSON report byte for byte:
// counts, status codes, histograms and so percentiles.
func RunLog(t *testing.T, engines []Engine) { runEach(t, engines, runLog) }

func runLog(t *testing.T, en *env) {
	pc := &pathCounts{n: map[string]int{}}
	u, _ := url.Parse(serveCounting(t, en, pc) + "/")
	cfg := loadgen.Config{Threads: 1, Connections: Conns, Duration: Duration, Rate: LogRate, Timeout: 5 * time.Second,
		ConnectTimeout: 5 * time.Second, Engine: en.eng.Name, Target: loadgen.Target{URL: u, Method: "GET", TLS: en.clientTLS()}}
	format := report.LogJSONL
	if en.eng.Proto == HTTP1 {
		format = report.LogCSV
	} else {
		cfg.Streams = Streams
	}
	var buf bytes.Buffer
	log, err := report.NewRequestLog(&buf, format, &cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := run(ctx, en.eng, cfg)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if err := log.Close(res, report.Options{}); err != nil {
		t.Fatal(err)
	}
	got, info, err := report.ReadLog(&buf)
	if err != nil {
		t.Fatalf("ReadLog: %v", err)
	}
	c := &res.Counts
	if want := c.Completed + c.Failed() + c.InFlight + c.Unsent; info.Records != want || c.Completed == 0 {
		t.Errorf("%d records, want %d (completed %d, failed %d, in flight %d, unsent %d)", info.Records, want, c.Completed, c.Failed(), c.InFlight, c.Unsent)
	}
	if n := uint64(pc.count("/")); n < c.Completed || n > c.Completed+c.InFlight+c.Failed() {
		t.Errorf("the server counted %d requests; the log %d answered, %d in flight, %d failed", n, got.Counts.Completed, got.Counts.InFlight, got.Counts.Failed())
	}
	checkLogBytes(t, en, res, info)
	var want, rebuilt bytes.Buffer
	if err := report.JSON(&want, res, report.Options{}); err != nil {
		t.Fatal(err)
	}
	if err := report.JSON(&rebuilt, got, report.Options{}); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(want.Bytes(), rebuilt.Bytes()) {
		t.Errorf("the log rebuilds another report:\n%s\nthe run's:\n%s", rebuilt.Bytes(), want.Bytes())
	}
}

// checkLogBytes: where a connection carries one request at a time (HTTP/1.1,
// and HTTP/3, whose engine reports each request's bytes), every byte the
// run read and wrote is in exactly one record, and every sent record
// knows its own; over HTTP/2's streams none does.
func checkLogBytes(t *testing.T, en *env, res *loadgen.Result, info report.LogInfo) {
	t.Helper()
	c := &res.Counts
	if en.eng.Proto == HTTP2 {
		if info.BytesIn != 0 || info.BytesOut != 0 {
			t.Errorf("HTTP/2 with %d streams: records hold %d bytes in, %d out; want none known", Streams, info.BytesIn, info.BytesOut)
		}
		return
	}
	if info.BytesUnknown != 0 || info.BytesIn != int64(c.BytesRead) || info.BytesOut != int64(c.BytesWritten) {
		t.Errorf("records hold %d bytes in and %d out (%d sent records without), the run read %d and wrote %d", info.BytesIn, info.BytesOut, info.BytesUnknown, c.BytesRead, c.BytesWritten)
	}
}
