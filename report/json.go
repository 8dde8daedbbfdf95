package report

import (
	"encoding/json"
	"io"
	"strconv"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
	"github.com/gowrk/gowrk/loadgen"
)

// SchemaVersion is the version of the JSON report's layout. Fields are only
// added within a version; renaming or removing one bumps it.
const SchemaVersion = 1

// jsonReport is the JSON report. Every field name carries its unit; the
// README documents each one.
type jsonReport struct {
	Type               string                 `json:"type,omitempty"` // "report" as the last line of --stream
	SchemaVersion      int                    `json:"schema_version"`
	Tool               string                 `json:"tool"`
	Version            string                 `json:"version"`
	Config             jsonConfig             `json:"config"`
	RunID              string                 `json:"run_id,omitempty"`
	Start              string                 `json:"start"`
	End                string                 `json:"end"`
	Interrupted        bool                   `json:"interrupted"`
	Aborted            string                 `json:"aborted"`
	Requests           uint64                 `json:"requests"`
	DurationUs         int64                  `json:"duration_us"`
	RequestsPerSec     float64                `json:"requests_per_sec"`
	BytesRead          uint64                 `json:"bytes_read"`
	BytesWritten       uint64                 `json:"bytes_written"`
	BytesReadPerSec    float64                `json:"bytes_read_per_sec"`
	BytesWrittenPerSec float64                `json:"bytes_written_per_sec"`
	CPUUs              int64                  `json:"cpu_us"`
	MachineCPUBusy     float64                `json:"machine_cpu_busy"`
	Sent               uint64                 `json:"sent"`
	InFlightAtStop     uint64                 `json:"in_flight_at_stop"`
	UnsentAtStop       uint64                 `json:"unsent_at_stop"`
	ConnectsPending    uint64                 `json:"connects_pending_at_stop"`
	Reconnects         uint64                 `json:"reconnects"`
	Timeouts           jsonTimeouts           `json:"timeouts"`
	LatencyExcluded    uint64                 `json:"latency_excluded"`
	LatencyClipped     uint64                 `json:"latency_clipped"`
	TLS                *jsonTLS               `json:"tls"`
	HTTP2Traffic       *jsonH2Traffic         `json:"http2_traffic,omitempty"`
	Errors             jsonErrors             `json:"errors"`
	ErrorMessages      []loadgen.ErrorMessage `json:"error_messages"`
	StatusCodes        map[string]uint64      `json:"status_codes"`
	Latency            jsonDist               `json:"latency"`
	LatencyAllDue      jsonDue                `json:"latency_all_due"`
	ServiceTime        jsonDist               `json:"service_time"`
	SendLag            jsonDist               `json:"send_lag"`
	Phases             *jsonPhases            `json:"phases,omitempty"`
	ThreadReqPerSec    jsonThreadRate         `json:"thread_requests_per_sec"`
	Rate               *jsonRate              `json:"rate"`
	Warnings           []string               `json:"warnings"`
	Findings           []jsonFinding          `json:"findings"`
	Warmup             *jsonWarmup            `json:"warmup,omitempty"`
	Steps              []jsonRateStep         `json:"steps,omitempty"`
	Targets            []jsonTargetFig        `json:"targets,omitempty"`
	Intervals          []jsonInterval         `json:"intervals,omitempty"`
	Thresholds         []ThresholdResult      `json:"thresholds,omitempty"`

	// What makes the report lossless (Decode reads it back): every
	// counter by its one name (loadgen.Counters), the timer lateness
	// histogram, and what the first connection negotiated.
	Counts   map[string]uint64 `json:"counts"`
	TimerLag jsonDist          `json:"timer_lag"`
	Conn     loadgen.ConnInfo  `json:"conn"`
	Shard    *jsonShard        `json:"shard,omitempty"`
	Merged   *jsonMerged       `json:"merged,omitempty"`
	// Sample is Result.Sample: a report rebuilt from a sampled log.
	Sample float64 `json:"sample,omitempty"`
}

// jsonH2Traffic splits HTTP/2's bytes as h2load's "traffic" line does.
type jsonH2Traffic struct {
	Read    jsonTraffic `json:"read"`
	Written jsonTraffic `json:"written"`
}

// jsonTraffic is one direction's bytes: total on the wire (TLS records
// included under TLS), HPACK-compressed header blocks, DATA payload, and
// the rest (frame headers, padding, connection frames, TLS).
type jsonTraffic struct {
	Total   uint64 `json:"total"`
	Headers uint64 `json:"headers"`
	Data    uint64 `json:"data"`
	Framing uint64 `json:"framing"`
}

type jsonConfig struct {
	URL         string   `json:"url"`
	Method      string   `json:"method"`
	Headers     []string `json:"headers"`
	BodyBytes   int      `json:"body_bytes"`
	Protocol    string   `json:"protocol"`
	Engine      string   `json:"engine"`
	Pipeline    int      `json:"pipeline"`
	Threads     int      `json:"threads"`
	Connections int      `json:"connections"`
	Streams     int      `json:"streams"`
	DurationUs  int64    `json:"duration_us"`
	Requests    uint64   `json:"requests"`
	RatePerSec  float64  `json:"rate_per_sec"`
	TimeoutUs   int64    `json:"timeout_us"`
	TimeoutAct  string   `json:"timeout_action"`
	ConnectUs   int64    `json:"connect_timeout_us"`
	TLSInsecure bool     `json:"tls_insecure"`
	RateShape   string   `json:"rate_shape,omitempty"`
	WarmupUs    int64    `json:"warmup_us"`
	IntervalUs  int64    `json:"interval_us"`
	Origins     int      `json:"origins,omitempty"` // (targets on more than one; connections are per origin)
}

// jsonErrors: timeout is wrk's (every request that passed --timeout); of
// those only timeouts.abandoned ended the request.
type jsonErrors struct {
	Connect        uint64 `json:"connect"`
	ConnectTimeout uint64 `json:"connect_timeout"`
	Ports          uint64 `json:"ports"`
	Read           uint64 `json:"read"`
	Write          uint64 `json:"write"`
	Timeout        uint64 `json:"timeout"`
	Status         uint64 `json:"status"`
	GoAway         uint64 `json:"goaway"`
	Reset          uint64 `json:"reset"`
	Protocol       uint64 `json:"protocol"`
	IdleClosed     uint64 `json:"idle_closed"`
}

func errorsOf(c *loadgen.Counts) jsonErrors {
	return jsonErrors{c.Connect, c.ConnectTimeout, c.Ports, c.Read, c.Write, c.TimedOut(), c.Status, c.GoAway, c.Reset, c.Protocol, c.IdleClosed}
}

// jsonRateStep is one step of a rate shape: the requests due in it.
type jsonRateStep struct {
	StartUs    int64      `json:"start_us"`
	DurationUs int64      `json:"duration_us"`
	Target     float64    `json:"target_per_sec"`
	Achieved   float64    `json:"achieved_per_sec"`
	Completed  uint64     `json:"completed"`
	Failed     uint64     `json:"failed"`
	InFlight   uint64     `json:"in_flight_at_stop"`
	Unsent     uint64     `json:"unsent_at_stop"`
	Latency    jsonIvDist `json:"latency"`
	// LatencyAllDue is over every request due in the step: Latency's
	// completed and the censored at their lower bound.
	LatencyAllDue jsonStepDue `json:"latency_all_due"`
}

func rateStep(r *loadgen.Result, st *loadgen.StepFigures, o Options) jsonRateStep {
	return jsonRateStep{StartUs: st.Start.Microseconds(), DurationUs: st.Duration.Microseconds(),
		Target: r.Config.TargetBetween(st.Start, st.Start+st.Duration), Achieved: st.AchievedPerSec(),
		Completed: st.Completed, Failed: st.Failed, InFlight: st.InFlight, Unsent: st.Unsent, Latency: ivDist(st.Latency, intervalPercentiles(o)),
		LatencyAllDue: stepDue(st, intervalPercentiles(o))}
}

// jsonWarmup is the warm-up's figures, left out of every other.
type jsonWarmup struct {
	DurationUs     int64      `json:"duration_us"`
	Requests       uint64     `json:"requests"`
	Sent           uint64     `json:"sent"`
	InFlightAtStop uint64     `json:"in_flight_at_stop"`
	BytesRead      uint64     `json:"bytes_read"`
	Errors         jsonErrors `json:"errors"`
	Latency        jsonDist   `json:"latency"`

	Counts map[string]uint64 `json:"counts"`
}

// jsonTimeouts splits errors.timeout by what became of the requests.
type jsonTimeouts struct {
	Late          uint64 `json:"late"`
	WaitingAtStop uint64 `json:"waiting_at_stop"`
	Abandoned     uint64 `json:"abandoned"`
}

type jsonTLS struct {
	Version     string `json:"version"`
	CipherSuite string `json:"cipher_suite"`
}

type jsonDist struct {
	Count         int64            `json:"count"`
	MinUs         int64            `json:"min_us"`
	MeanUs        float64          `json:"mean_us"`
	StdevUs       float64          `json:"stdev_us"`
	MaxUs         int64            `json:"max_us"`
	WithinStdev   float64          `json:"within_stdev_pct"`
	PercentilesUs map[string]int64 `json:"percentiles_us"`
	Histogram     string           `json:"histogram"`
}

type jsonThreadRate struct {
	Samples     int64   `json:"samples"`
	Mean        float64 `json:"mean"`
	Stdev       float64 `json:"stdev"`
	Max         float64 `json:"max"`
	WithinStdev float64 `json:"within_stdev_pct"`
	// Histogram holds the samples, in 1/1000 requests per second.
	Histogram string `json:"histogram"`
}

type jsonRate struct {
	Target        float64 `json:"target"`
	Achieved      float64 `json:"achieved"`
	Answered      float64 `json:"answered"`
	Due           uint64  `json:"due"`
	MaxSendLagUs  int64   `json:"max_send_lag_us"`
	TimerLagP50Us int64   `json:"timer_lag_p50_us"`
	TimerLagP99Us int64   `json:"timer_lag_p99_us"`
	Verdict       string  `json:"verdict"`
}

// JSON writes the report as one JSON object followed by a newline:
// indented, or with Options.Stream on one line with "type": "report" (the
// last line of a --stream).
func JSON(w io.Writer, r *loadgen.Result, o Options) error {
	rep, err := buildJSON(r, o)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false) // <redacted> and p99<250ms as written
	if o.Stream {
		rep.Type = "report"
	} else {
		enc.SetIndent("", "  ")
	}
	return enc.Encode(rep)
}

func buildJSON(r *loadgen.Result, o Options) (*jsonReport, error) {
	cfg := &r.Config
	c := &r.Counts
	rep := &jsonReport{
		SchemaVersion: SchemaVersion,
		Tool:          "gowrk",
		Version:       o.Version,
		Config: jsonConfig{
			URL: RedactURL(cfg.Target.URL), Method: cfg.Target.Method, Headers: headerLines(cfg.Target.Headers),
			BodyBytes: r.BodyBytes, Protocol: r.Conn.Protocol, Engine: cfg.Engine, Pipeline: max(cfg.Pipeline, 1), Threads: cfg.Threads, Connections: cfg.Connections, Streams: max(cfg.Streams, 1),
			DurationUs: cfg.Duration.Microseconds(), Requests: cfg.Requests, RatePerSec: cfg.Rate,
			TimeoutUs: cfg.Timeout.Microseconds(), TimeoutAct: cfg.TimeoutAction.String(), ConnectUs: cfg.ConnectTimeout.Microseconds(), TLSInsecure: cfg.Target.TLS != nil && cfg.Target.TLS.InsecureSkipVerify,
			WarmupUs: cfg.Warmup.Microseconds(), IntervalUs: cfg.Interval.Microseconds(), Origins: cfg.Origins,
		},
		Counts:             c.Map(),
		Conn:               r.Conn,
		RunID:              r.RunID,
		Start:              r.Start.UTC().Format(time.RFC3339Nano),
		End:                r.End.UTC().Format(time.RFC3339Nano),
		Interrupted:        r.Interrupted,
		Aborted:            Aborted(r),
		Requests:           c.Completed,
		DurationUs:         r.Duration.Microseconds(),
		RequestsPerSec:     r.RequestsPerSec(),
		BytesRead:          c.BytesRead,
		BytesWritten:       c.BytesWritten,
		BytesReadPerSec:    r.BytesReadPerSec(),
		BytesWrittenPerSec: r.BytesWrittenPerSec(),
		CPUUs:              r.CPU.Microseconds(),
		MachineCPUBusy:     r.MachineBusy,
		Sent:               c.Sent,
		InFlightAtStop:     c.InFlight,
		UnsentAtStop:       c.Unsent,
		ConnectsPending:    c.ConnectPending,
		Reconnects:         c.Reconnects,
		Timeouts:           jsonTimeouts{c.Late, c.LateInFlight, c.Timeout},
		LatencyExcluded:    c.LatencyExcluded,
		LatencyClipped:     c.Clipped,
		Errors:             errorsOf(c),
		ErrorMessages:      r.ErrorMessages,
		StatusCodes:        map[string]uint64{},
		Warnings:           []string{},
		Findings:           findingsOf(r),
	}
	if r.Conn.TLSVersion != "" {
		rep.TLS = &jsonTLS{Version: r.Conn.TLSVersion, CipherSuite: r.Conn.CipherSuite}
	}
	if isH2(r) {
		rep.HTTP2Traffic = &jsonH2Traffic{
			Read:    jsonTraffic{c.BytesRead, c.HeaderBytesRead, c.DataBytesRead, c.BytesRead - c.HeaderBytesRead - c.DataBytesRead},
			Written: jsonTraffic{c.BytesWritten, c.HeaderBytesWritten, c.DataBytesWritten, c.BytesWritten - c.HeaderBytesWritten - c.DataBytesWritten},
		}
	}
	if rep.ErrorMessages == nil {
		rep.ErrorMessages = []loadgen.ErrorMessage{}
	}
	if rep.Config.Headers == nil {
		rep.Config.Headers = []string{}
	}
	if cfg.Shape != nil {
		rep.Config.RateShape = cfg.Shape.String()
	}
	for code, n := range r.StatusCodes {
		rep.StatusCodes[strconv.Itoa(code)] = n
	}
	rep.Shard, rep.Merged = shardOf(r), mergedOf(r)
	if r.Sampled() {
		rep.Sample = r.Sample
	}
	var err error
	for _, d := range []struct {
		into *jsonDist
		h    *hdrhistogram.Histogram
	}{{&rep.Latency, r.Latency}, {&rep.ServiceTime, r.Service}, {&rep.SendLag, r.SendLag}, {&rep.TimerLag, r.TimerLag}} {
		if *d.into, err = dist(d.h, o.percentiles()); err != nil {
			return nil, err
		}
	}
	if rep.LatencyAllDue, err = dueOf(r, o.percentiles()); err != nil {
		return nil, err
	}
	if rep.Phases, err = phasesJSON(r, o.percentiles()); err != nil {
		return nil, err
	}
	rs, rmax := rateSummary(r.ReqRate)
	rh, err := encodeHist(r.ReqRate)
	if err != nil {
		return nil, err
	}
	rep.ThreadReqPerSec = jsonThreadRate{rs.Count, rs.Mean, rs.Stdev, rmax, rs.WithinStdev, rh}
	if cfg.Rate > 0 {
		rep.Rate = &jsonRate{
			Target: cfg.Rate, Achieved: r.AchievedRate(), Answered: r.RequestsPerSec(), Due: r.Due(), MaxSendLagUs: r.SendLag.Max(),
			TimerLagP50Us: r.TimerLag.ValueAtQuantile(50), TimerLagP99Us: r.TimerLag.ValueAtQuantile(99), Verdict: RateVerdict(r),
		}
	}
	rep.Warnings = append(rep.Warnings, Warnings(r)...)
	for k := range r.Intervals {
		iv := buildInterval(&r.Intervals[k], cfg, o)
		iv.Targets = ivTargets(&r.Intervals[k], targetNames(r))
		if iv.Histograms, err = intervalHists(&r.Intervals[k]); err != nil {
			return nil, err
		}
		rep.Intervals = append(rep.Intervals, iv)
	}
	rep.Thresholds = o.Thresholds
	for k := range r.Steps {
		st := rateStep(r, &r.Steps[k], o)
		if st.Latency.Histogram, err = encodeHist(r.Steps[k].Latency); err != nil {
			return nil, err
		}
		if st.LatencyAllDue.Censored > 0 {
			if st.LatencyAllDue.Histogram, err = encodeHist(r.Steps[k].Censored); err != nil {
				return nil, err
			}
		}
		rep.Steps = append(rep.Steps, st)
	}
	if rep.Targets, err = targetsJSON(r, o); err != nil {
		return nil, err
	}
	if w := r.Warmup; w != nil {
		wl, err := dist(w.Latency, o.percentiles())
		if err != nil {
			return nil, err
		}
		rep.Warmup = &jsonWarmup{DurationUs: w.Duration.Microseconds(), Requests: w.Counts.Completed, Sent: w.Counts.Sent,
			InFlightAtStop: w.Counts.InFlight, BytesRead: w.Counts.BytesRead, Errors: errorsOf(&w.Counts), Latency: wl, Counts: w.Counts.Map()}
	}
	return rep, nil
}

func dist(h *hdrhistogram.Histogram, ps []float64) (jsonDist, error) {
	s := summarize(h)
	d := jsonDist{Count: s.Count, MinUs: s.Min, MeanUs: s.Mean, StdevUs: s.Stdev, MaxUs: s.Max,
		WithinStdev: s.WithinStdev, PercentilesUs: map[string]int64{}}
	for _, p := range ps {
		d.PercentilesUs[percentileKey(p)] = h.ValueAtQuantile(p)
	}
	var err error
	d.Histogram, err = encodeHist(h)
	return d, err
}

// encodeHist is h in HdrHistogram's V2 compressed form, base64 (what
// hdrhistogram-go's Decode, and every HdrHistogram port, reads).
func encodeHist(h *hdrhistogram.Histogram) (string, error) {
	enc, err := h.Encode(hdrhistogram.V2CompressedEncodingCookieBase)
	return string(enc), err
}
