package report

import (
	"encoding/csv"
	"encoding/json"
	"io"
	"strconv"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
	"github.com/gowrk/gowrk/loadgen"
)

// jsonInterval is one interval in the JSON report's intervals array and,
// with Type "interval", one line of --stream. start is the run's start.
type jsonInterval struct {
	Type           string            `json:"type,omitempty"`
	Time           string            `json:"time"`
	StartUs        int64             `json:"start_us"`
	DurationUs     int64             `json:"duration_us"`
	Requests       uint64            `json:"requests"`
	RequestsPerSec float64           `json:"requests_per_sec"`
	TargetPerSec   float64           `json:"target_per_sec,omitempty"`
	BytesRead      uint64            `json:"bytes_read"`
	BytesWritten   uint64            `json:"bytes_written"`
	Sent           uint64            `json:"sent"`
	InFlight       uint64            `json:"in_flight"`
	Errors         jsonErrors        `json:"errors"`
	StatusClasses  map[string]uint64 `json:"status_classes"`
	StatusCodes    map[string]uint64 `json:"status_codes"`
	Latency        jsonIvDist        `json:"latency"`
	LatencyAllDue  jsonIvDue         `json:"latency_all_due"`
	ServiceTime    *jsonIvDist       `json:"service_time,omitempty"`
	SendLag        *jsonIvDist       `json:"send_lag,omitempty"`
	// Targets are the interval's requests by target, under --targets.
	Targets []jsonIvTarget `json:"targets,omitempty"`
	// Counts and Histograms make the interval lossless (Decode, merge);
	// --stream lines leave them out.
	Counts     map[string]uint64 `json:"counts,omitempty"`
	Histograms *jsonIvHists      `json:"histograms,omitempty"`
}

// jsonIvTarget is one target's requests in an interval: answered
// (whatever the status) and failed.
type jsonIvTarget struct {
	Name     string `json:"name"`
	Requests uint64 `json:"requests"`
	Errors   uint64 `json:"errors"`
}

// ivTargets are iv's requests by target, named by names (the run's
// targets, in order).
func ivTargets(iv *loadgen.Interval, names []string) []jsonIvTarget {
	var out []jsonIvTarget
	for i, tc := range iv.Targets {
		name := ""
		if i < len(names) {
			name = names[i]
		}
		out = append(out, jsonIvTarget{Name: name, Requests: tc.Completed, Errors: tc.Failed})
	}
	return out
}

// jsonIvHists are an interval's histograms, encoded as the run's are.
type jsonIvHists struct {
	Latency     string `json:"latency"`
	ServiceTime string `json:"service_time"`
	SendLag     string `json:"send_lag"`
	Censored    string `json:"censored,omitempty"`
}

// jsonIvDue is an interval's latency over every due request: Latency's
// requests and the censored ones (never completed, at stop - due; only in
// the last interval), as jsonDue.
type jsonIvDue struct {
	Count         int64            `json:"count"`
	Censored      int64            `json:"censored"`
	PercentilesUs map[string]int64 `json:"percentiles_us"`
	LowerBound    map[string]bool  `json:"percentiles_lower_bound"`
}

func ivDue(iv *loadgen.Interval, ps []float64) jsonIvDue {
	return dueOfHists(iv.Latency, iv.Censored, ps)
}

// dueOfHists is the jsonIvDue of completed latencies and censored lower
// bounds (nil: none): an interval's or a rate step's.
func dueOfHists(completed, censored *hdrhistogram.Histogram, ps []float64) jsonIvDue {
	d := jsonIvDue{Count: completed.TotalCount(), PercentilesUs: map[string]int64{}, LowerBound: map[string]bool{}}
	if censored != nil {
		d.Censored = censored.TotalCount()
		d.Count += d.Censored
	}
	duePercentilesInto(d.PercentilesUs, d.LowerBound, nil, loadgen.DuePercentilesOf(completed, censored, ps...))
	return d
}

func intervalHists(iv *loadgen.Interval) (*jsonIvHists, error) {
	var h jsonIvHists
	var err error
	for _, x := range []struct {
		into *string
		h    *hdrhistogram.Histogram
	}{{&h.Latency, iv.Latency}, {&h.ServiceTime, iv.Service}, {&h.SendLag, iv.SendLag}} {
		if *x.into, err = encodeHist(x.h); err != nil {
			return nil, err
		}
	}
	if iv.Censored != nil && iv.Censored.TotalCount() > 0 {
		if h.Censored, err = encodeHist(iv.Censored); err != nil {
			return nil, err
		}
	}
	return &h, nil
}

// jsonIvDist is an interval's distribution: count, min, the percentiles
// asked for, max (microseconds).
type jsonIvDist struct {
	Count         int64            `json:"count"`
	MinUs         int64            `json:"min_us"`
	PercentilesUs map[string]int64 `json:"percentiles_us"`
	MaxUs         int64            `json:"max_us"`
	Histogram     string           `json:"histogram,omitempty"` // a rate step's, for Decode
}

func ivDist(h *hdrhistogram.Histogram, ps []float64) jsonIvDist {
	d := jsonIvDist{Count: h.TotalCount(), PercentilesUs: map[string]int64{}}
	if d.Count > 0 {
		d.MinUs, d.MaxUs = h.Min(), h.Max()
	}
	for _, p := range ps {
		d.PercentilesUs[percentileKey(p)] = h.ValueAtQuantile(p)
	}
	return d
}

// intervalPercentiles are the interval figures' percentiles: min, p50, p90,
// p99, p99.9, max by default, or --percentiles.
func intervalPercentiles(o Options) []float64 {
	if len(o.Percentiles) > 0 {
		return o.Percentiles
	}
	return []float64{50, 90, 99, 99.9}
}

func buildInterval(iv *loadgen.Interval, cfg *loadgen.Config, o Options) jsonInterval {
	c := &iv.Counts
	ps := intervalPercentiles(o)
	j := jsonInterval{
		Time: iv.Time.UTC().Format(time.RFC3339Nano), StartUs: iv.Start.Microseconds(), DurationUs: iv.Duration.Microseconds(),
		Requests: c.Completed, RequestsPerSec: iv.RequestsPerSec(), TargetPerSec: cfg.TargetBetween(iv.Start, iv.Start+iv.Duration),
		BytesRead: c.BytesRead, BytesWritten: c.BytesWritten, Sent: c.Sent, InFlight: iv.InFlight,
		Errors:        errorsOf(c),
		StatusClasses: map[string]uint64{},
		StatusCodes:   map[string]uint64{},
		Latency:       ivDist(iv.Latency, ps),
		LatencyAllDue: ivDue(iv, ps),
		Counts:        c.Map(),
	}
	for i, n := range iv.StatusClasses {
		if n > 0 {
			name := strconv.Itoa(i) + "xx"
			if i == 0 {
				name = "other"
			}
			j.StatusClasses[name] = n
		}
	}
	for code, n := range iv.StatusCodes {
		j.StatusCodes[strconv.Itoa(code)] = n
	}
	if cfg.Rate > 0 {
		svc, lag := ivDist(iv.Service, ps), ivDist(iv.SendLag, ps)
		j.ServiceTime, j.SendLag = &svc, &lag
	}
	return j
}

// StreamInterval writes iv as one line of --stream: a JSON object with
// "type": "interval", then a newline.
func StreamInterval(w io.Writer, iv *loadgen.Interval, cfg *loadgen.Config, o Options) error {
	j := buildInterval(iv, cfg, o)
	j.Type, j.Counts = "interval", nil
	if cfg.Targets != nil {
		j.Targets = ivTargets(iv, cfg.Targets.Names)
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(j)
}

// intervalColumns are the columns of --format csv --intervals.
func intervalColumns(ps []float64) []string {
	cols := []string{"time", "start_us", "duration_us", "target_per_sec", "requests", "requests_per_sec", "bytes_read", "bytes_written", "sent", "in_flight",
		"errors_connect", "errors_read", "errors_write", "errors_timeout", "errors_status",
		"status_1xx", "status_2xx", "status_3xx", "status_4xx", "status_5xx", "latency_min_us"}
	for _, p := range ps {
		cols = append(cols, "latency_p"+percentileKey(p)+"_us")
	}
	cols = append(cols, "latency_max_us", "service_time_p50_us", "service_time_p99_us", "send_lag_p50_us", "send_lag_p99_us", "censored")
	return append(cols, dueColumns(ps)...)
}

// CSVIntervals writes one row per interval of r (--format csv --intervals).
func CSVIntervals(w io.Writer, r *loadgen.Result, o Options) error {
	cw := csv.NewWriter(w)
	ps := intervalPercentiles(o)
	if !o.NoHeader {
		if err := cw.Write(intervalColumns(ps)); err != nil {
			return err
		}
	}
	u := func(v uint64) string { return strconv.FormatUint(v, 10) }
	i := func(v int64) string { return strconv.FormatInt(v, 10) }
	for k := range r.Intervals {
		iv := &r.Intervals[k]
		j := buildInterval(iv, &r.Config, o)
		c := &iv.Counts
		row := []string{j.Time, i(j.StartUs), i(j.DurationUs), strconv.FormatFloat(j.TargetPerSec, 'f', 2, 64), u(c.Completed), strconv.FormatFloat(j.RequestsPerSec, 'f', 2, 64),
			u(c.BytesRead), u(c.BytesWritten), u(c.Sent), u(iv.InFlight),
			u(c.Connect), u(c.Read), u(c.Write), u(c.TimedOut()), u(c.Status),
			u(iv.StatusClasses[1]), u(iv.StatusClasses[2]), u(iv.StatusClasses[3]), u(iv.StatusClasses[4]), u(iv.StatusClasses[5]), i(j.Latency.MinUs)}
		for _, p := range ps {
			row = append(row, i(j.Latency.PercentilesUs[percentileKey(p)]))
		}
		row = append(row, i(j.Latency.MaxUs), i(iv.Service.ValueAtQuantile(50)), i(iv.Service.ValueAtQuantile(99)),
			i(iv.SendLag.ValueAtQuantile(50)), i(iv.SendLag.ValueAtQuantile(99)), i(j.LatencyAllDue.Censored))
		row = append(row, dueCells(j.LatencyAllDue.PercentilesUs, j.LatencyAllDue.LowerBound, ps)...)
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}
