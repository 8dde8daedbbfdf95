package report

import (
	"encoding/csv"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gowrk/gowrk/loadgen"
)

// csvColumns are the CSV report's columns, in order: the JSON report's
// summary fields, flattened (units in the names, as in JSON).
func csvColumns(ps []float64) []string {
	cols := []string{
		"start", "end", "url", "method", "protocol", "threads", "connections", "duration_us", "rate_target",
		"interrupted", "requests", "requests_per_sec", "bytes_read", "bytes_written", "bytes_read_per_sec",
		"sent", "in_flight_at_stop", "latency_excluded",
		"errors_connect", "errors_read", "errors_write", "errors_timeout", "errors_status",
		"errors_goaway", "errors_reset", "errors_protocol", "streams", "tls_version",
		"latency_min_us", "latency_mean_us", "latency_stdev_us", "latency_max_us",
	}
	for _, p := range ps {
		cols = append(cols, "latency_p"+percentileKey(p)+"_us")
	}
	cols = append(cols, "service_time_mean_us", "service_time_p50_us", "service_time_p99_us", "service_time_max_us",
		"rate_achieved", "max_send_lag_us", "status_codes",
		"errors_ports", "unsent_at_stop", "reconnects", "timeouts_late", "timeouts_abandoned", "errors_idle_closed", "aborted",
		"due", "censored")
	cols = append(append(cols, dueColumns(ps)...), "opened_connections")
	return append(append(cols, quicColumns...), phaseColumns()...)
}

// quicColumns are what QUIC adds under HTTP/3 (loadgen.QUICInfo, named as
// in the JSON report's conn.quic); their cells are empty on other runs.
var quicColumns = []string{"quic_handshakes", "quic_handshake_mean_us", "quic_handshake_max_us",
	"quic_smoothed_rtt_us", "quic_max_rtt_us", "quic_packets_sent", "quic_packets_lost", "quic_bytes_lost",
	"udp_recv_buffer", "udp_send_buffer", "udp_buffer_wanted", "udp_buffer_capped"}

// quicCells are the quicColumns of one row: empty without QUIC.
func quicCells(q *loadgen.QUICInfo) []string {
	if q == nil {
		return make([]string, len(quicColumns))
	}
	i := func(v int64) string { return strconv.FormatInt(v, 10) }
	u := func(v uint64) string { return strconv.FormatUint(v, 10) }
	return []string{strconv.Itoa(q.Handshakes), i(q.HandshakeMeanUs), i(q.HandshakeMaxUs),
		i(q.SmoothedRTTUs), i(q.MaxRTTUs), u(q.PacketsSent), u(q.PacketsLost), u(q.BytesLost),
		strconv.Itoa(q.UDPRecvBuffer), strconv.Itoa(q.UDPSendBuffer), strconv.Itoa(q.UDPBufferWanted), strconv.FormatBool(q.UDPBufferCapped)}
}

// dueColumns are the CSV columns of the latency over every due request:
// each percentile and whether it is only a lower bound.
func dueColumns(ps []float64) []string {
	var cols []string
	for _, p := range ps {
		k := percentileKey(p)
		cols = append(cols, "due_latency_p"+k+"_us", "due_latency_p"+k+"_lower_bound")
	}
	return cols
}

// dueCells are the dueColumns of one row.
func dueCells(vals map[string]int64, lower map[string]bool, ps []float64) []string {
	var row []string
	for _, p := range ps {
		k := percentileKey(p)
		row = append(row, strconv.FormatInt(vals[k], 10), strconv.FormatBool(lower[k]))
	}
	return row
}

// stepColumns are the columns of --format csv --intervals under a rate shape.
func stepColumns(ps []float64) []string {
	cols := []string{"start_us", "duration_us", "target_per_sec", "achieved_per_sec", "completed", "failed", "in_flight_at_stop"}
	for _, p := range ps {
		cols = append(cols, "latency_p"+percentileKey(p)+"_us")
	}
	cols = append(cols, "unsent_at_stop", "due", "censored")
	return append(cols, dueColumns(ps)...)
}

// CSVHeader is the header line the CSV report of a run with cfg and o
// writes (search: a --find-max-rate report): gowrk appends to a CSV file
// only under the same header.
func CSVHeader(cfg *loadgen.Config, o Options, search bool) []string {
	switch {
	case search:
		return searchColumns
	case o.Intervals && cfg.Shape != nil:
		return stepColumns(intervalPercentiles(o))
	case o.Intervals:
		return intervalColumns(intervalPercentiles(o))
	}
	return withTargetColumns(csvColumns(o.percentiles()), cfg.Targets != nil)
}

// CSV writes a header line (unless o.NoHeader) and one row for r.
func CSV(w io.Writer, r *loadgen.Result, o Options) error {
	if o.Intervals && r.Config.Shape != nil {
		return csvSteps(w, r, o)
	}
	if o.Intervals {
		return CSVIntervals(w, r, o)
	}
	cw := csv.NewWriter(w)
	cols := withTargetColumns(csvColumns(o.percentiles()), len(r.Targets) > 0)
	if !o.NoHeader {
		if err := cw.Write(cols); err != nil {
			return err
		}
	}
	cfg, c := &r.Config, &r.Counts
	lat, svc := summarize(r.Latency), summarize(r.Service)
	u := strconv.FormatUint
	i := func(v int64) string { return strconv.FormatInt(v, 10) }
	f := func(v float64) string { return strconv.FormatFloat(v, 'f', 2, 64) }
	row := []string{
		r.Start.UTC().Format(time.RFC3339Nano), r.End.UTC().Format(time.RFC3339Nano), RedactURL(cfg.Target.URL), cfg.Target.Method,
		r.Conn.Protocol, strconv.Itoa(cfg.Threads), strconv.Itoa(cfg.Connections), i(cfg.Duration.Microseconds()), f(cfg.Rate),
		strconv.FormatBool(r.Interrupted), u(c.Completed, 10), f(r.RequestsPerSec()), u(c.BytesRead, 10), u(c.BytesWritten, 10),
		f(r.BytesReadPerSec()), u(c.Sent, 10), u(c.InFlight, 10), u(c.LatencyExcluded, 10),
		u(c.Connect, 10), u(c.Read, 10), u(c.Write, 10), u(c.TimedOut(), 10), u(c.Status, 10),
		u(c.GoAway, 10), u(c.Reset, 10), u(c.Protocol, 10), strconv.Itoa(max(cfg.Streams, 1)), r.Conn.TLSVersion,
		i(lat.Min), f(lat.Mean), f(lat.Stdev), i(lat.Max),
	}
	for _, p := range o.percentiles() {
		row = append(row, i(r.Latency.ValueAtQuantile(p)))
	}
	achieved := ""
	if cfg.Rate > 0 {
		achieved = f(r.AchievedRate())
	}
	row = append(row, f(svc.Mean), i(r.Service.ValueAtQuantile(50)), i(r.Service.ValueAtQuantile(99)), i(svc.Max),
		achieved, i(r.SendLag.Max()), statusCodes(r.StatusCodes),
		u(c.Ports, 10), u(c.Unsent, 10), u(c.Reconnects, 10), u(c.Late, 10), u(c.Timeout, 10), u(c.IdleClosed, 10), Aborted(r))
	due, err := dueOf(r, o.percentiles())
	if err != nil {
		return err
	}
	row = append(row, i(due.Count), i(due.Censored))
	row = append(row, dueCells(due.PercentilesUs, due.LowerBound, o.percentiles())...)
	row = append(row, u(c.Opened, 10))
	row = append(row, quicCells(r.Conn.QUIC)...)
	row = append(row, phaseCells(r)...)
	if len(r.Targets) > 0 {
		err = csvTargetRows(cw, cols, row, r, o.percentiles())
	} else {
		err = cw.Write(row)
	}
	if err != nil {
		return err
	}
	cw.Flush()
	return cw.Error()
}

// csvSteps writes one row per step of a rate shape (--intervals).
func csvSteps(w io.Writer, r *loadgen.Result, o Options) error {
	cw := csv.NewWriter(w)
	ps := intervalPercentiles(o)
	if !o.NoHeader {
		cw.Write(stepColumns(ps))
	}
	for k := range r.Steps {
		j := rateStep(r, &r.Steps[k], o)
		f := func(v float64) string { return strconv.FormatFloat(v, 'f', 2, 64) }
		row := []string{strconv.FormatInt(j.StartUs, 10), strconv.FormatInt(j.DurationUs, 10), f(j.Target), f(j.Achieved),
			strconv.FormatUint(j.Completed, 10), strconv.FormatUint(j.Failed, 10), strconv.FormatUint(j.InFlight, 10)}
		for _, p := range ps {
			row = append(row, strconv.FormatInt(j.Latency.PercentilesUs[percentileKey(p)], 10))
		}
		d := &j.LatencyAllDue
		row = append(row, strconv.FormatUint(j.Unsent, 10), strconv.FormatInt(d.Count, 10), strconv.FormatInt(d.Censored, 10))
		cw.Write(append(row, dueCells(d.PercentilesUs, d.LowerBound, ps)...))
	}
	cw.Flush()
	return cw.Error()
}

// statusCodes renders the counts as "200=9990;503=10", codes ascending.
func statusCodes(m map[int]uint64) string {
	codes := make([]int, 0, len(m))
	for code := range m {
		codes = append(codes, code)
	}
	slices.Sort(codes)
	parts := make([]string, len(codes))
	for k, code := range codes {
		parts[k] = strconv.Itoa(code) + "=" + strconv.FormatUint(m[code], 10)
	}
	return strings.Join(parts, ";")
}
