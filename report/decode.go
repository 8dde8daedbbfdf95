package report

import (
	"bytes"
	"compress/zlib"
	"crypto/tls"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
	"github.com/gowrk/gowrk/loadgen"
)

// MaxReport bounds the size of a JSON report Decode reads.
const MaxReport = 64 << 20

// Decode reads a JSON report (as JSON writes it, or the last line of a
// --stream) back into the Result it was rendered from: JSON of the result
// is byte for byte the report again, for the same Options. It never trusts
// its input: a histogram whose settings are not gowrk's, an unknown
// schema_version, a missing counter or a malformed field is an error
// naming it, and nothing is allocated beyond what the input's size allows.
func Decode(r io.Reader) (*loadgen.Result, error) {
	b, err := io.ReadAll(io.LimitReader(r, MaxReport+1))
	if err != nil {
		return nil, err
	}
	if len(b) > MaxReport {
		return nil, fmt.Errorf("larger than %d MB", MaxReport>>20)
	}
	var version struct {
		Tool          string `json:"tool"`
		SchemaVersion *int   `json:"schema_version"`
		StepUs        *int64 `json:"step_duration_us"` // a capacity search's (search.go)
	}
	if err := json.Unmarshal(b, &version); err != nil {
		return nil, fmt.Errorf("not a JSON report: %w", jsonErr(err))
	}
	if version.Tool != "gowrk" || version.SchemaVersion == nil {
		return nil, errors.New("not a gowrk JSON report (no tool \"gowrk\" and schema_version)")
	}
	if version.StepUs != nil {
		return nil, errors.New("a --find-max-rate report (a capacity search), not the report of a run")
	}
	if *version.SchemaVersion != SchemaVersion {
		return nil, fmt.Errorf("schema_version %d: this gowrk reads %d", *version.SchemaVersion, SchemaVersion)
	}
	var rep jsonReport
	if err := json.Unmarshal(b, &rep); err != nil {
		return nil, jsonErr(err)
	}
	return fromJSON(&rep)
}

func jsonErr(err error) error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Errorf("%v (at byte %d)", err, se.Offset)
	}
	return err
}

func us(v int64) time.Duration { return time.Duration(v) * time.Microsecond }

func fromJSON(rep *jsonReport) (*loadgen.Result, error) {
	cfg, err := configFromJSON(&rep.Config)
	if err != nil {
		return nil, err
	}
	r := &loadgen.Result{Config: cfg, Interrupted: rep.Interrupted, Aborted: rep.Aborted, Duration: us(rep.DurationUs),
		CPU: us(rep.CPUUs), MachineBusy: rep.MachineCPUBusy, BodyBytes: rep.Config.BodyBytes, Conn: rep.Conn, ErrorMessages: rep.ErrorMessages}
	if r.ErrorMessages != nil && len(r.ErrorMessages) == 0 {
		r.ErrorMessages = nil
	}
	if r.RunID, err = runID(rep.RunID); err != nil {
		return nil, err
	}
	if r.Start, err = time.Parse(time.RFC3339Nano, rep.Start); err != nil {
		return nil, fmt.Errorf("start: %w", err)
	}
	if r.End, err = time.Parse(time.RFC3339Nano, rep.End); err != nil {
		return nil, fmt.Errorf("end: %w", err)
	}
	if r.Counts, err = loadgen.CountsFromMap(rep.Counts); err != nil {
		return nil, err
	}
	if r.StatusCodes, err = codesFromJSON(rep.StatusCodes); err != nil {
		return nil, err
	}
	for _, h := range []struct {
		name string
		into **hdrhistogram.Histogram
		enc  string
		geo  geometry
	}{
		{"latency", &r.Latency, rep.Latency.Histogram, runGeometry},
		{"service_time", &r.Service, rep.ServiceTime.Histogram, runGeometry},
		{"send_lag", &r.SendLag, rep.SendLag.Histogram, runGeometry},
		{"timer_lag", &r.TimerLag, rep.TimerLag.Histogram, runGeometry},
		{"thread_requests_per_sec", &r.ReqRate, rep.ThreadReqPerSec.Histogram, rateGeometry},
	} {
		if *h.into, err = decodeHist(h.enc, h.geo); err != nil {
			return nil, fmt.Errorf("%s.histogram: %w", h.name, err)
		}
	}
	if r.Censored, err = decodeOptionalHist(rep.LatencyAllDue.CensoredHistogram); err != nil {
		return nil, fmt.Errorf("latency_all_due.censored_histogram: %w", err)
	}
	if err := phasesFromJSON(rep.Phases, &r.Phases); err != nil {
		return nil, err
	}
	if w := rep.Warmup; w != nil {
		wr := &loadgen.Result{Config: cfg, Duration: us(w.DurationUs), Start: r.Start.Add(-us(w.DurationUs)), End: r.Start,
			Censored: loadgen.NewHistogram(), Service: loadgen.NewHistogram(), SendLag: loadgen.NewHistogram(), TimerLag: loadgen.NewHistogram(), StatusCodes: map[int]uint64{}}
		if wr.Counts, err = loadgen.CountsFromMap(w.Counts); err != nil {
			return nil, fmt.Errorf("warmup: %w", err)
		}
		if wr.Latency, err = decodeHist(w.Latency.Histogram, runGeometry); err != nil {
			return nil, fmt.Errorf("warmup.latency.histogram: %w", err)
		}
		r.Warmup = wr
	}
	for k := range rep.Steps {
		st := &rep.Steps[k]
		sf := loadgen.StepFigures{Index: k, Start: us(st.StartUs), Duration: us(st.DurationUs), Completed: st.Completed, Failed: st.Failed,
			InFlight: st.InFlight, Unsent: st.Unsent}
		if sf.Latency, err = decodeHist(st.Latency.Histogram, stepGeometry); err != nil {
			return nil, fmt.Errorf("steps[%d].latency.histogram: %w", k, err)
		}
		if sf.Censored, err = decodeStepCensored(st.LatencyAllDue.Histogram); err != nil {
			return nil, fmt.Errorf("steps[%d].latency_all_due.censored_histogram: %w", k, err)
		}
		r.Steps = append(r.Steps, sf)
	}
	if r.Targets, err = targetsFromJSON(rep.Targets); err != nil {
		return nil, err
	}
	for k := range rep.Intervals {
		iv, err := intervalFromJSON(&rep.Intervals[k])
		if err != nil {
			return nil, fmt.Errorf("intervals[%d]: %w", k, err)
		}
		r.Intervals = append(r.Intervals, iv)
	}
	if rep.Shard != nil {
		s, err := fromJSONShard(rep.Shard)
		if err != nil {
			return nil, fmt.Errorf("shard: %w", err)
		}
		r.Shard = &s
	}
	r.Sample = rep.Sample
	if m := rep.Merged; m != nil {
		mi := &loadgen.MergeInfo{Parts: m.Parts, Count: m.Count, Missing: m.Missing, Failed: m.Failed, Incomplete: m.Incomplete, StartSpread: us(m.StartSpreadUs)}
		if len(mi.Missing) == 0 {
			mi.Missing = nil
		}
		if len(mi.Failed) == 0 {
			mi.Failed = nil
		}
		for k := range m.Shards {
			s, err := fromJSONShard(&m.Shards[k])
			if err != nil {
				return nil, fmt.Errorf("merged.shards[%d]: %w", k, err)
			}
			mi.Shards = append(mi.Shards, s)
		}
		r.Merged = mi
	}
	return r, nil
}

func configFromJSON(j *jsonConfig) (loadgen.Config, error) {
	cfg := loadgen.Config{Threads: j.Threads, Connections: j.Connections, Streams: j.Streams, Engine: j.Engine, Pipeline: j.Pipeline,
		Duration: us(j.DurationUs), Requests: j.Requests, Rate: j.RatePerSec, Timeout: us(j.TimeoutUs), ConnectTimeout: us(j.ConnectUs),
		Warmup: us(j.WarmupUs), Interval: us(j.IntervalUs), Origins: j.Origins}
	u, err := url.Parse(j.URL)
	if err != nil {
		return cfg, fmt.Errorf("config.url: %w", err)
	}
	cfg.Target.URL, cfg.Target.Method = u, j.Method
	for _, h := range j.Headers {
		name, value, ok := strings.Cut(h, ": ")
		if !ok {
			return cfg, fmt.Errorf("config.headers: %q is not \"Name: value\"", h)
		}
		cfg.Target.Headers = append(cfg.Target.Headers, loadgen.Header{Name: name, Value: value})
	}
	if j.TLSInsecure {
		cfg.Target.TLS = &tls.Config{InsecureSkipVerify: true}
	}
	switch j.TimeoutAct {
	case "wait", "":
	case "abort":
		cfg.TimeoutAction = loadgen.TimeoutAbort
	default:
		return cfg, fmt.Errorf("config.timeout_action %q: want wait or abort", j.TimeoutAct)
	}
	if j.RateShape != "" {
		if cfg.Shape, err = loadgen.ParseShape(j.RateShape); err != nil {
			return cfg, fmt.Errorf("config.rate_shape: %w", err)
		}
	}
	if cfg.Threads < 0 || cfg.Connections < 0 || cfg.Streams < 0 || cfg.Pipeline < 0 {
		return cfg, errors.New("config: negative threads, connections, streams or pipeline")
	}
	return cfg, nil
}

func codesFromJSON(m map[string]uint64) (map[int]uint64, error) {
	codes := make(map[int]uint64, len(m))
	for k, n := range m {
		c, err := strconv.Atoi(k)
		if err != nil || c < 0 || c > 999 {
			return nil, fmt.Errorf("status_codes: %q is not a status code", k)
		}
		codes[c] = n
	}
	return codes, nil
}

var classNames = [6]string{"other", "1xx", "2xx", "3xx", "4xx", "5xx"}

func intervalFromJSON(j *jsonInterval) (loadgen.Interval, error) {
	iv := loadgen.Interval{Start: us(j.StartUs), Duration: us(j.DurationUs), InFlight: j.InFlight}
	var err error
	if iv.Time, err = time.Parse(time.RFC3339Nano, j.Time); err != nil {
		return iv, fmt.Errorf("time: %w", err)
	}
	if iv.Counts, err = loadgen.CountsFromMap(j.Counts); err != nil {
		return iv, err
	}
	for k, n := range j.StatusClasses {
		i := -1
		for c, name := range classNames {
			if name == k {
				i = c
			}
		}
		if i < 0 {
			return iv, fmt.Errorf("status_classes: %q", k)
		}
		iv.StatusClasses[i] = n
	}
	if iv.StatusCodes, err = codesFromJSON(j.StatusCodes); err != nil {
		return iv, err
	}
	for _, t := range j.Targets {
		iv.Targets = append(iv.Targets, loadgen.TargetCounts{Completed: t.Requests, Failed: t.Errors})
	}
	h := j.Histograms
	if h == nil {
		return iv, errors.New("no histograms (a --stream interval line, not a report)")
	}
	for _, x := range []struct {
		into **hdrhistogram.Histogram
		enc  string
	}{{&iv.Latency, h.Latency}, {&iv.Service, h.ServiceTime}, {&iv.SendLag, h.SendLag}} {
		if *x.into, err = decodeHist(x.enc, runGeometry); err != nil {
			return iv, err
		}
	}
	if iv.Censored, err = decodeOptionalHist(h.Censored); err != nil {
		return iv, err
	}
	return iv, nil
}

// geometry is a histogram's settings: what gowrk records with. A report
// whose histogram has others was not written by gowrk (or not by this
// version), and cannot be merged exactly.
type geometry struct {
	lowest, highest int64
	digits          int32
}

var (
	runGeometry  = geometry{loadgen.HistLowest, loadgen.HistHighest, loadgen.HistSigFigs}
	rateGeometry = geometry{1, 1 << 40, loadgen.HistSigFigs}
	stepGeometry = geometry{loadgen.HistLowest, loadgen.HistHighest, 2}
)

// decodeHist decodes an encoded histogram after checking its settings
// are want: only then does hdrhistogram-go allocate its counts.
func decodeHist(enc string, want geometry) (*hdrhistogram.Histogram, error) {
	got, err := peekGeometry(enc)
	if err != nil {
		return nil, err
	}
	if got != want {
		return nil, fmt.Errorf("histogram settings %d..%d at %d digits, gowrk's are %d..%d at %d: not mergeable exactly",
			got.lowest, got.highest, got.digits, want.lowest, want.highest, want.digits)
	}
	return hdrhistogram.Decode([]byte(enc))
}

// peekGeometry reads the settings in an encoded histogram's header (V2
// compressed: base64 of cookie, length, zlib of a 40-byte header and the
// counts).
func peekGeometry(enc string) (geometry, error) {
	var g geometry
	head := enc[:min(len(enc), 4096)]
	head = head[:len(head)/4*4]
	raw, err := base64.StdEncoding.DecodeString(head)
	if err != nil || len(raw) < 8 {
		return g, errors.New("not an encoded histogram")
	}
	z, err := zlib.NewReader(bytes.NewReader(raw[8:]))
	if err != nil {
		return g, errors.New("not an encoded histogram (zlib)")
	}
	var h [40]byte
	if _, err := io.ReadFull(z, h[:]); err != nil {
		return g, errors.New("a truncated encoded histogram")
	}
	g.digits = int32(binary.BigEndian.Uint32(h[12:]))
	g.lowest = int64(binary.BigEndian.Uint64(h[16:]))
	g.highest = int64(binary.BigEndian.Uint64(h[24:]))
	return g, nil
}

// runID checks a report's run_id: 16 lower-case hex digits, or none (a
// report written before run ids).
func runID(id string) (string, error) {
	if id == "" {
		return "", nil
	}
	if len(id) != 16 || strings.Trim(id, "0123456789abcdef") != "" {
		return "", fmt.Errorf("run_id is not 16 hex digits: the report was edited or damaged")
	}
	return id, nil
}
