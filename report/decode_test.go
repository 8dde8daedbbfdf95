package report

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
	"github.com/gowrk/gowrk/loadgen"
)

// shapedResult is fixedResult(rate) under the shape 100:200:100@5s.
func shapedResult(t *testing.T, rate float64) *loadgen.Result {
	r := fixedResult(rate)
	sh, err := loadgen.ParseShape("100:200:100@5s")
	if err != nil {
		t.Fatal(err)
	}
	r.Config.Shape = sh
	return r
}

// richResult is fixedResult with everything a report can hold: intervals,
// a rate shape's steps, a warm-up, a shard, HTTP/2 byte counts and
// targets on two origins (each interval's requests by target).
func richResult(t *testing.T) *loadgen.Result {
	r := shapedResult(t, 150)
	r.Config.Interval, r.Config.Warmup = 5*time.Second, 2*time.Second
	r.Conn = loadgen.ConnInfo{Protocol: "h2", TLSVersion: "TLS 1.3", CipherSuite: "TLS_AES_128_GCM_SHA256", MaxStreams: 100}
	r.Counts.HeaderBytesRead, r.Counts.DataBytesRead = 1000, 2000
	r.BodyBytes = 17
	r.Shard = &loadgen.ShardInfo{Index: 1, Count: 3, StartAt: r.Start.Add(-time.Second), Late: 1500 * time.Microsecond, Host: "gen-1"}
	for i := range 2 {
		iv := loadgen.Interval{Start: time.Duration(i) * 5 * time.Second, Duration: 5 * time.Second, Time: r.Start.Add(time.Duration(i) * 5 * time.Second),
			Counts: loadgen.Counts{Sent: 500, Completed: 499, BytesRead: 100}, InFlight: 1, StatusClasses: [6]uint64{0, 0, 499, 0, 0, 0},
			StatusCodes: map[int]uint64{200: 499}, Latency: loadgen.NewHistogram(), Service: loadgen.NewHistogram(), SendLag: loadgen.NewHistogram(),
			Targets: []loadgen.TargetCounts{{Completed: 374, Failed: 1}, {Completed: 125}, {}}}
		for v := int64(1); v < 500; v++ {
			iv.Latency.RecordValue(v * 7)
			iv.Service.RecordValue(v * 3)
		}
		r.Intervals = append(r.Intervals, iv)
		st := loadgen.StepFigures{Index: i, Start: iv.Start, Duration: iv.Duration, Completed: 499, Failed: 1,
			Latency: hdrhistogram.New(loadgen.HistLowest, loadgen.HistHighest, 2)}
		st.Latency.RecordValue(int64(1000 * (i + 1)))
		r.Steps = append(r.Steps, st)
	}
	r.Targets, r.Config.Origins = targetsResult().Targets, 2 // (targets on two origins)
	w := fixedResult(0)
	w.Duration, w.Counts = 2*time.Second, loadgen.Counts{Sent: 200, Completed: 198, InFlight: 2, BytesRead: 5}
	r.Warmup = w
	return r
}

// TestDecodeRoundTrip: encode -> decode -> encode is byte-identical, for
// JSON and for the text report rendered from the decoded result.
func TestDecodeRoundTrip(t *testing.T) {
	for name, r := range map[string]*loadgen.Result{"closed loop": fixedResult(0), "rate": fixedResult(100), "everything": richResult(t)} {
		t.Run(name, func(t *testing.T) {
			o := Options{Version: "v0.0.0-test", Latency: true, ServiceTime: true}
			var a, b bytes.Buffer
			if err := JSON(&a, r, o); err != nil {
				t.Fatal(err)
			}
			back, err := Decode(bytes.NewReader(a.Bytes()))
			if err != nil {
				t.Fatal(err)
			}
			if err := JSON(&b, back, o); err != nil {
				t.Fatal(err)
			}
			if a.String() != b.String() {
				t.Fatalf("JSON -> Decode -> JSON differs:\n%s", firstDiff(a.String(), b.String()))
			}
			var ta, tb bytes.Buffer
			Text(&ta, r, o)
			Text(&tb, back, o)
			// The text shows the Authorization header nowhere; the decoded
			// result holds the redacted value the report had.
			if ta.String() != tb.String() {
				t.Errorf("text differs:\n%s", firstDiff(ta.String(), tb.String()))
			}
			if !back.Latency.Equals(r.Latency) || !back.ReqRate.Equals(r.ReqRate) || !back.TimerLag.Equals(r.TimerLag) || !back.Censored.Equals(r.Censored) || back.Counts != r.Counts {
				t.Error("histograms or counts differ after the round trip")
			}
		})
	}
}

func firstDiff(a, b string) string {
	la, lb := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := range min(len(la), len(lb)) {
		if la[i] != lb[i] {
			return "line " + la[i] + "\n  vs " + lb[i]
		}
	}
	return "lengths differ"
}

// TestDecodeRefuses: input that is not a report gowrk wrote is an error
// that says what is wrong, never a panic.
func TestDecodeRefuses(t *testing.T) {
	var good bytes.Buffer
	JSON(&good, fixedResult(0), Options{})
	wide := strings.Replace(good.String(), `"schema_version": 1`, `"schema_version": 7`, 1)
	other := fixedResult(0)
	other.Latency = hdrNew(1, 1<<50, 5)
	var otherB bytes.Buffer
	JSON(&otherB, other, Options{})
	for _, tc := range []struct{ name, in, want string }{
		{"empty", "", "not a JSON report"},
		{"garbage", "\x00\x01garbage", "not a JSON report"},
		{"truncated", good.String()[:good.Len()/2], "not a JSON report"},
		{"not gowrk", `{"tool": "wrk"}`, "not a gowrk JSON report"},
		{"schema", wide, "schema_version 7"},
		{"histogram settings", otherB.String(), "histogram settings 1..1125899906842624 at 5 digits"},
		{"missing counter", edit(t, good.Bytes(), func(m map[string]any) { delete(m["counts"].(map[string]any), "sent") }), `missing counter "sent"`},
		{"unknown counter", edit(t, good.Bytes(), func(m map[string]any) { m["counts"].(map[string]any)["bogus"] = 1 }), `unknown counter "bogus"`},
		{"bad histogram", edit(t, good.Bytes(), func(m map[string]any) { m["latency"].(map[string]any)["histogram"] = "HISTxAAAA" }), "latency.histogram"},
		{"bad run id", edit(t, good.Bytes(), func(m map[string]any) { m["run_id"] = "token=s3cret" }), "run_id is not 16 hex digits"},
		{"bad status code", edit(t, good.Bytes(), func(m map[string]any) { m["status_codes"].(map[string]any)["abc"] = 1 }), `"abc" is not a status code`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Decode(strings.NewReader(tc.in))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want %q", err, tc.want)
			}
		})
	}
}

func hdrNew(lo, hi int64, d int) *hdrhistogram.Histogram { return hdrhistogram.New(lo, hi, d) }

// edit changes a JSON report through f.
func edit(t *testing.T, b []byte, f func(map[string]any)) string {
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	f(m)
	out, _ := json.Marshal(m)
	return string(out)
}

// FuzzDecode: Decode never panics, and whatever it accepts renders and
// decodes again to the same report.
func FuzzDecode(f *testing.F) {
	for _, r := range []*loadgen.Result{fixedResult(0), fixedResult(100)} {
		var b bytes.Buffer
		JSON(&b, r, Options{})
		f.Add(b.Bytes())
	}
	f.Add([]byte(`{"tool":"gowrk","schema_version":1}`))
	f.Fuzz(func(t *testing.T, in []byte) {
		r, err := Decode(bytes.NewReader(in))
		if err != nil {
			return
		}
		var a, b bytes.Buffer
		if err := JSON(&a, r, Options{}); err != nil {
			return // (a decoded value JSON cannot hold, such as a NaN rate)
		}
		r2, err := Decode(bytes.NewReader(a.Bytes()))
		if err != nil {
			t.Fatalf("a report gowrk wrote does not decode: %v", err)
		}
		JSON(&b, r2, Options{})
		if a.String() != b.String() {
			t.Fatalf("not stable:\n%s", firstDiff(a.String(), b.String()))
		}
	})
}

// FuzzHdrLog: reading an interval log for gowrk merge never panics, and
// never lets a histogram's header size an allocation (the settings are
// checked first).
func FuzzHdrLog(f *testing.F) {
	h := loadgen.NewHistogram()
	h.RecordValue(1234)
	enc, _ := encodeHist(h)
	f.Add([]byte("#[BaseTime: 1796196719 (seconds since epoch)]\nTag=latency,0.000,1.000,0.001," + enc + "\n"))
	f.Add([]byte("Tag=send_lag,1e308,1e308,0,HISTFAAAA\n"))
	good := []byte("#[BaseTime: 1796196719 (seconds since epoch)]\nTag=latency,0.000,1.000,0.001," + enc + "\n")
	f.Fuzz(func(t *testing.T, in []byte) {
		MergeHdrLogs(io.Discard, []io.Reader{bytes.NewReader(good), bytes.NewReader(in)}, []string{"good", "in"}, true)
	})
}

// TestDecodeSearchReport: a capacity search's JSON report is refused by
// name, not with a decoding error about its fields.
func TestDecodeSearchReport(t *testing.T) {
	f, err := os.Open(filepath.Join("testdata", "search_json.golden"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := Decode(f); err == nil || err.Error() != "a --find-max-rate report (a capacity search), not the report of a run" {
		t.Errorf("Decode(a search report) = %v", err)
	}
}
