package report

import (
	"bufio"
	"fmt"
	"net"
	"strconv"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
	"github.com/gowrk/gowrk/loadgen"
)

// phase is one phase of a request as every report names it: key in JSON,
// CSV and Prometheus, label in the text and HTML reports, what one value
// stands for, and its histogram (nil: the phase never happened).
type phase struct {
	key, label, per string
	h               *hdrhistogram.Histogram
}

// phaseWords are each phase's label and what one value stands for, in
// loadgen.PhaseKeys' order.
var phaseWords = [6][2]string{{"DNS", "lookups"}, {"Connect", "connections"}, {"TLS handshake", "connections"},
	{"QUIC handshake", "connections"}, {"First byte", "requests"}, {"Body", "requests"}}

// phasesOf are r's phases in the order of a request's life.
func phasesOf(r *loadgen.Result) []phase {
	var out []phase
	for i, h := range r.Phases.Hists() {
		out = append(out, phase{loadgen.PhaseKeys[i], phaseWords[i][0], phaseWords[i][1], h})
	}
	return out
}

// phasesPresent are those of phasesOf that hold a value.
func phasesPresent(r *loadgen.Result) []phase {
	var out []phase
	for _, ph := range phasesOf(r) {
		if ph.h != nil && ph.h.TotalCount() > 0 {
			out = append(out, ph)
		}
	}
	return out
}

// phasePercentiles are the percentiles the text, CSV and HTML reports give
// of each phase.
var phasePercentiles = []float64{50, 90, 99}

// jsonPhases are the phases in the JSON report, each with its histogram
// (lossless: Decode reads them back); absent when the phase never happened.
type jsonPhases struct {
	DNS       *jsonDist `json:"dns,omitempty"`
	Connect   *jsonDist `json:"connect,omitempty"`
	TLS       *jsonDist `json:"tls,omitempty"`
	QUIC      *jsonDist `json:"quic,omitempty"`
	FirstByte *jsonDist `json:"first_byte,omitempty"`
	Body      *jsonDist `json:"body,omitempty"`
}

func (j *jsonPhases) fields() []**jsonDist {
	return []**jsonDist{&j.DNS, &j.Connect, &j.TLS, &j.QUIC, &j.FirstByte, &j.Body}
}

// phasesJSON is r's phases for the JSON report; nil when none was measured.
func phasesJSON(r *loadgen.Result, ps []float64) (*jsonPhases, error) {
	if r.Phases.Empty() {
		return nil, nil
	}
	j := &jsonPhases{}
	for i, ph := range phasesOf(r) {
		if ph.h == nil || ph.h.TotalCount() == 0 {
			continue
		}
		d, err := dist(ph.h, ps)
		if err != nil {
			return nil, err
		}
		*j.fields()[i] = &d
	}
	return j, nil
}

// phasesFromJSON reads the phases back (Decode).
func phasesFromJSON(j *jsonPhases, into *loadgen.Phases) error {
	if j == nil {
		return nil
	}
	for i, d := range j.fields() {
		if *d == nil {
			continue
		}
		key := loadgen.PhaseKeys[i]
		h, err := decodeHist((*d).Histogram, runGeometry)
		if err != nil {
			return fmt.Errorf("phases.%s.histogram: %w", key, err)
		}
		into.Set(key, h)
	}
	return nil
}

// phaseBlock is the text report's phases, as h2load's "time for connect"
// and "time to 1st byte" rows: one row per phase (phaseTable), then where
// the connection figures come from.
func phaseBlock(b *bufio.Writer, r *loadgen.Result) {
	t := phaseTable(r)
	if t == nil {
		return
	}
	for i, row := range t {
		if i == 0 {
			fmt.Fprintf(b, "%-16s", "Phases")
		} else {
			fmt.Fprintf(b, "  %-14s", row[0])
		}
		for _, cell := range row[1 : len(row)-1] {
			fmt.Fprintf(b, "%10s", cell)
		}
		if i > 0 {
			fmt.Fprintf(b, " %s", row[len(row)-1])
		}
		fmt.Fprintln(b)
	}
	if l := phaseNote(r); l != "" {
		fmt.Fprintln(b, l)
	}
}

// phaseTable is each measured phase's row (min, mean, phasePercentiles,
// max, count and what it counts), the first row naming the columns: the
// text report's block and the HTML report's table. nil when no phase was
// measured.
func phaseTable(r *loadgen.Result) [][]string {
	rows := phasesPresent(r)
	if len(rows) == 0 {
		return nil
	}
	head := []string{"phase", "min", "mean"}
	for _, p := range phasePercentiles {
		head = append(head, "p"+percentileKey(p))
	}
	t := [][]string{append(head, "max", "count", "of")}
	for _, ph := range rows {
		s := summarize(ph.h)
		row := []string{ph.label, formatTimeUs(float64(s.Min)), formatTimeUs(s.Mean)}
		for _, p := range phasePercentiles {
			row = append(row, formatTimeUs(float64(ph.h.ValueAtQuantile(p))))
		}
		per := ph.per
		if s.Count == 1 {
			per = per[:len(per)-1]
		}
		t = append(t, append(row, formatTimeUs(float64(s.Max)), strconv.FormatInt(s.Count, 10), per))
	}
	return t
}

// phaseNote says where the connection figures come from (a keep-alive
// run's connections are far fewer than its requests) and why DNS is not
// there when it is not.
func phaseNote(r *loadgen.Result) string {
	var note string
	h, what := r.Phases.Connect, "Connect figures are"
	switch {
	case r.Phases.QUIC != nil:
		h, what = r.Phases.QUIC, "QUIC handshake figures are"
	case r.Phases.TLS != nil:
		what = "Connect and TLS figures are"
	}
	if h != nil && h.TotalCount() > 0 && h.TotalCount() < int64(r.Counts.Completed) {
		note = fmt.Sprintf("  %s of the %d connections opened, not of the %d requests (keep-alive)", what, h.TotalCount(), r.Counts.Completed)
	}
	if dns := r.Phases.DNS; dns == nil || dns.TotalCount() == 0 {
		why := ""
		switch u := r.Config.Target.URL; {
		case r.Config.Target.Route.Unix != "":
			why = "no DNS: the connections go to a unix socket"
		case u != nil && net.ParseIP(u.Hostname()) != nil && r.Config.Target.Route.Proxy == nil:
			why = "no DNS: the URL's host is an IP address"
		}
		if why != "" {
			if note != "" {
				note += "; "
			} else {
				note = "  "
			}
			note += why
		}
	} else {
		if note != "" {
			note += "; "
		} else {
			note = "  "
		}
		note += "DNS: looked up once per run, before the load (as wrk)"
	}
	return note
}

// phaseColumns are the CSV columns of the phases: count, mean, the
// phasePercentiles and max of each (empty cells when the phase did not
// happen).
func phaseColumns() []string {
	var cols []string
	for _, key := range loadgen.PhaseKeys {
		cols = append(cols, key+"_count", key+"_mean_us")
		for _, p := range phasePercentiles {
			cols = append(cols, key+"_p"+percentileKey(p)+"_us")
		}
		cols = append(cols, key+"_max_us")
	}
	return cols
}

// phaseCells are the phaseColumns of r's row.
func phaseCells(r *loadgen.Result) []string {
	var row []string
	for _, ph := range phasesOf(r) {
		if ph.h == nil || ph.h.TotalCount() == 0 {
			row = append(row, make([]string, 3+len(phasePercentiles))...)
			continue
		}
		row = append(row, strconv.FormatInt(ph.h.TotalCount(), 10), strconv.FormatFloat(ph.h.Mean(), 'f', 2, 64))
		for _, p := range phasePercentiles {
			row = append(row, strconv.FormatInt(ph.h.ValueAtQuantile(p), 10))
		}
		row = append(row, strconv.FormatInt(ph.h.Max(), 10))
	}
	return row
}
