package report

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
	"github.com/gowrk/gowrk/loadgen"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// fixedResult is a hand-made Result: 1000 latencies of 1..1000 ms x 1 us
// steps, known counts, fixed times. Reports rendered from it never change
// unless the format does.
func fixedResult(rate float64) *loadgen.Result {
	u, _ := url.Parse("http://127.0.0.1:8080/index.html")
	start := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	r := &loadgen.Result{
		RunID: "0123456789abcdef",
		Config: loadgen.Config{Threads: 2, Connections: 10, Duration: 10 * time.Second, Timeout: 2 * time.Second, Rate: rate,
			Target: loadgen.Target{URL: u, Method: "GET", Headers: []loadgen.Header{{Name: "Authorization", Value: "Bearer s3cret"}, {Name: "X-Trace", Value: "1"}}}},
		CPU: 7 * time.Second, Conn: loadgen.ConnInfo{Protocol: "http/1.1"}, Start: start, End: start.Add(10*time.Second + 20*time.Millisecond), Duration: 10*time.Second + 20*time.Millisecond,
		Counts: loadgen.Counts{Sent: 1012, Completed: 1000, InFlight: 2, Read: 3, Timeout: 7, Status: 10,
			BytesRead: 123456, BytesWritten: 45678, LatencyExcluded: 10},
		StatusCodes:   map[int]uint64{200: 990, 503: 10},
		ErrorMessages: []loadgen.ErrorMessage{{Class: "timeout", Message: "i/o timeout", Count: 7}, {Class: "read", Message: "read: connection reset by peer", Count: 3}},
		Latency:       loadgen.NewHistogram(), Service: loadgen.NewHistogram(), SendLag: loadgen.NewHistogram(),
		TimerLag: loadgen.NewHistogram(), ReqRate: hdrhistogram.New(1, 1<<40, 3), Censored: loadgen.NewHistogram(),
	}
	// The 2 in flight at the stop had waited 1.5 s and 2.5 s: longer than
	// any answer, so the top percentiles over every due request are lower
	// bounds.
	r.Censored.RecordValue(1500000)
	r.Censored.RecordValue(2500000)
	for i := int64(1); i <= 1000; i++ {
		r.Latency.RecordValue(i * 1000)
		r.Service.RecordValue(i * 100)
		if rate > 0 {
			r.SendLag.RecordValue(i * 10)
			r.TimerLag.RecordValue(i)
		}
	}
	for i := int64(0); i < 200; i++ {
		r.ReqRate.RecordValue((45 + i%10) * loadgen.ReqRateScale)
	}
	return r
}

// checkGolden compares got with testdata/name.golden (rewritten first
// under -update).
func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	golden := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test ./report -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from %s:\n%s", name, golden, got)
	}
}

// checkFormats renders r in each format and compares it with
// testdata/FORMAT_suffix.golden.
func checkFormats(t *testing.T, r *loadgen.Result, suffix string, formats ...string) {
	t.Helper()
	for _, format := range formats {
		f, _ := Lookup(format)
		var b bytes.Buffer
		if err := f(&b, r, Options{Version: "v0.0.0-test"}); err != nil {
			t.Fatal(err)
		}
		checkGolden(t, format+"_"+suffix, b.Bytes())
	}
}

func TestGolden(t *testing.T) {
	for _, tc := range []struct {
		name   string
		format string
		rate   float64
		opts   Options
	}{
		{"text", "text", 0, Options{}},
		{"text_latency", "text", 0, Options{Latency: true}},
		{"text_rate", "text", 100, Options{Latency: true, ServiceTime: true}},
		{"json", "json", 0, Options{Version: "v0.0.0-test"}},
		{"json_rate", "json", 100, Options{Version: "v0.0.0-test"}},
		{"csv", "csv", 0, Options{}},
		{"csv_append", "csv", 0, Options{NoHeader: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, ok := Lookup(tc.format)
			if !ok {
				t.Fatalf("Lookup(%q) failed", tc.format)
			}
			var b bytes.Buffer
			if err := f(&b, fixedResult(tc.rate), tc.opts); err != nil {
				t.Fatal(err)
			}
			checkGolden(t, tc.name, b.Bytes())
			if strings.Contains(b.String(), "s3cret") {
				t.Errorf("%s report prints the Authorization value", tc.name)
			}
		})
	}
}

// TestJSONHistogramRoundTrip: the encoded histogram decodes to the same counts.
func TestJSONHistogramRoundTrip(t *testing.T) {
	r := fixedResult(0)
	var b bytes.Buffer
	if err := JSON(&b, r, Options{}); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		SchemaVersion int `json:"schema_version"`
		Latency       struct {
			Histogram     string           `json:"histogram"`
			PercentilesUs map[string]int64 `json:"percentiles_us"`
		} `json:"latency"`
	}
	if err := json.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.SchemaVersion != 1 {
		t.Errorf("schema_version %d", doc.SchemaVersion)
	}
	h, err := hdrhistogram.Decode([]byte(doc.Latency.Histogram))
	if err != nil {
		t.Fatal(err)
	}
	if !h.Equals(r.Latency) {
		t.Errorf("decoded histogram differs: total %d vs %d", h.TotalCount(), r.Latency.TotalCount())
	}
	for k, want := range map[string]int64{"50": 500223, "99": 990207, "99.9": 999423} {
		if got := doc.Latency.PercentilesUs[k]; got != want {
			t.Errorf("percentiles_us[%q] = %d, want %d", k, got, want)
		}
	}
}

func TestUnits(t *testing.T) {
	for _, tc := range []struct {
		f    func(float64) string
		in   float64
		want string
	}{
		{formatTimeUs, 635.91, "635.91us"},
		{formatTimeUs, 12920, "12.92ms"},
		{formatTimeUs, 849, "849.00us"},
		{formatTimeUs, 850, "0.85ms"},
		{formatTimeUs, 1.2e6, "1.20s"},
		{formatTimeUs, 90e6, "1.50m"},
		{formatMetric, 56200, "56.20k"},
		{formatMetric, 12, "12.00"},
		{formatBinary, 17.76 * 1024 * 1024 * 1024, "17.76G"},
		{formatBinary, 4_173_332, "3.98M"},
		{formatTimeS, 30, "30s"},
		{formatTimeS, 120, "2m"},
	} {
		if got := tc.f(tc.in); got != tc.want {
			t.Errorf("format(%v) = %q, want %q", tc.in, got, tc.want)
		}
	}
	for _, tc := range []struct {
		msg   string
		width int
		want  string
	}{
		{"635.91us", 8, "635.91us"},
		{"0.89ms", 10, "    0.89ms"},
		{"56.20k", 8, " 56.20k "},
		{"8.07", 10, "    8.07  "},
	} {
		if got := padUnits(tc.msg, tc.width); got != tc.want {
			t.Errorf("padUnits(%q, %d) = %q, want %q", tc.msg, tc.width, got, tc.want)
		}
	}
}

// TestNoSamples: a run too short for one Req/Sec sample, or with no
// completed request, prints "-" in the row, not figures of 0.
func TestNoSamples(t *testing.T) {
	r := fixedResult(0)
	r.ReqRate.Reset()
	r.Latency.Reset()
	var b bytes.Buffer
	if err := Text(&b, r, Options{Latency: true}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "  Latency Distribution\n     50%       -  \n") {
		t.Errorf("no dash for the median of no latency:\n%s", b.String())
	}
	for _, row := range []string{"Latency", "Req/Sec"} {
		want := fmt.Sprintf("    %-10s     -         -        -          -\n", row)
		if !strings.Contains(b.String(), want) {
			t.Errorf("no %q row of dashes:\n%s", row, b.String())
		}
	}
}

// TestPendingCause: connections pending at the stop name what can hold
// them: the connect alone in cleartext HTTP/1.1, a handshake too over TLS.
func TestPendingCause(t *testing.T) {
	for _, tc := range []struct{ url, want string }{
		{"http://127.0.0.1:8080/", "(connections still being opened when the run ended: listen backlog full?)"},
		{"https://127.0.0.1:8443/", "a full listen backlog, or a server that accepted and never answered the handshake?)"},
	} {
		r := fixedResult(0)
		r.Counts.ConnectPending = 4
		r.Config.Target.URL, _ = url.Parse(tc.url)
		var b bytes.Buffer
		if err := Text(&b, r, Options{}); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(b.String(), "Connects pending at stop: 4 ") || !strings.Contains(b.String(), tc.want) {
			t.Errorf("%s: no %q:\n%s", tc.url, tc.want, b.String())
		}
	}
}
