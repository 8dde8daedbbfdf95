package report

import (
	"bufio"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/gowrk/gowrk/loadgen"
)

// The per-target figures of a run with many targets (--targets), in the
// text report's table and the JSON report's "targets".

// jsonTargetFig is one target in the JSON report: its counts, status
// codes and latency, with the histogram that makes it lossless (2
// significant digits, as loadgen keeps it).
type jsonTargetFig struct {
	Name        string            `json:"name"`
	Requests    uint64            `json:"requests"`
	Errors      uint64            `json:"errors"`
	InFlight    uint64            `json:"in_flight_at_stop"`
	Status      uint64            `json:"non_2xx_3xx"`
	StatusCodes map[string]uint64 `json:"status_codes"`
	Latency     jsonDist          `json:"latency"`
}

// targetsJSON is r's targets as the JSON report has them.
func targetsJSON(r *loadgen.Result, o Options) ([]jsonTargetFig, error) {
	var out []jsonTargetFig
	for i := range r.Targets {
		f := &r.Targets[i]
		j := jsonTargetFig{Name: f.Name, Requests: f.Completed, Errors: f.Failed, InFlight: f.InFlight, Status: f.Status, StatusCodes: map[string]uint64{}}
		for code, n := range f.StatusCodes {
			j.StatusCodes[strconv.Itoa(code)] = n
		}
		h := f.Latency
		if h == nil {
			h = loadgen.NewTargetHistogram()
		}
		var err error
		if j.Latency, err = dist(h, o.percentiles()); err != nil {
			return nil, err
		}
		out = append(out, j)
	}
	return out, nil
}

// targetsFromJSON reads the JSON report's targets back, exactly.
func targetsFromJSON(js []jsonTargetFig) ([]loadgen.TargetFigures, error) {
	var out []loadgen.TargetFigures
	for k := range js {
		j := &js[k]
		f := loadgen.TargetFigures{Name: j.Name, Completed: j.Requests, Failed: j.Errors, InFlight: j.InFlight, Status: j.Status}
		var err error
		if f.StatusCodes, err = codesFromJSON(j.StatusCodes); err != nil {
			return nil, fmt.Errorf("targets[%d].%w", k, err)
		}
		if f.Latency, err = decodeHist(j.Latency.Histogram, stepGeometry); err != nil {
			return nil, fmt.Errorf("targets[%d].latency.histogram: %w", k, err)
		}
		if f.Latency.TotalCount() == 0 {
			f.Latency = nil // (none completed: as the run keeps it)
		}
		out = append(out, f)
	}
	return out, nil
}

// targetNames are r's targets' names, in order.
func targetNames(r *loadgen.Result) []string {
	names := make([]string, len(r.Targets))
	for i := range r.Targets {
		names[i] = r.Targets[i].Name
	}
	return names
}

// targetHeads are the columns of the per-target table, text and HTML.
var targetHeads = []string{"target", "requests", "errors", "non-2xx", "p50", "p99", "max", "status codes"}

// targetCells are f's row of the per-target table.
func targetCells(f *loadgen.TargetFigures) []string {
	p50, p99, mx := "-", "-", "-"
	if h := f.Latency; h != nil && h.TotalCount() > 0 {
		p50, p99, mx = ms(h, 50), ms(h, 99), ms(h, 100)
	}
	return []string{f.Name, strconv.FormatUint(f.Completed, 10), strconv.FormatUint(f.Failed, 10), strconv.FormatUint(f.Status, 10), p50, p99, mx, codesText(f.StatusCodes)}
}

// targetTable prints one row per target: its requests by outcome, its
// latency percentiles and its status codes.
func targetTable(b *bufio.Writer, r *loadgen.Result) {
	w := 6
	for i := range r.Targets {
		w = max(w, len(r.Targets[i].Name))
	}
	w = min(w, 48)
	fmt.Fprintf(b, "Targets (%d; latency of each one's completed requests, 2 significant digits):\n", len(r.Targets))
	row := func(c []string) {
		if len(c[0]) > w {
			c[0] = c[0][:w-3] + "..."
		}
		fmt.Fprintf(b, "  %-*s %9s %7s %9s %9s %9s %9s  %s\n", w, c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7])
	}
	row(slices.Clone(targetHeads))
	for i := range r.Targets {
		row(targetCells(&r.Targets[i]))
	}
}

// htmlTargets is the HTML report's per-target table, its first row the
// heads; nil without targets.
func htmlTargets(r *loadgen.Result) [][]string {
	if len(r.Targets) == 0 {
		return nil
	}
	rows := [][]string{targetHeads}
	for i := range r.Targets {
		rows = append(rows, targetCells(&r.Targets[i]))
	}
	return rows
}

// maxTargetSpectra bounds the targets drawn in the HTML report's latency
// spectrum (the table has them all).
const maxTargetSpectra = 10

// htmlTargetSpectra adds the first targets' latency spectra to sp.
func htmlTargetSpectra(sp *htmlSpectrum, r *loadgen.Result, ps []float64) {
	for i := range r.Targets[:min(len(r.Targets), maxTargetSpectra)] {
		if h := r.Targets[i].Latency; h != nil && h.TotalCount() > 0 {
			sp.Names = append(sp.Names, "target "+r.Targets[i].Name)
			sp.Series = append(sp.Series, spectrumOf(h, ps))
		}
	}
}

// codesText is status codes as "200:150 404:3", by code; "-" for none.
func codesText(m map[int]uint64) string {
	codes := make([]int, 0, len(m))
	for c, n := range m {
		if n > 0 {
			codes = append(codes, c)
		}
	}
	if len(codes) == 0 {
		return "-"
	}
	sort.Ints(codes)
	parts := make([]string, len(codes))
	for i, c := range codes {
		parts[i] = fmt.Sprintf("%d:%d", c, m[c])
	}
	return strings.Join(parts, " ")
}

// cutTarget takes a threshold's {target=NAME} selector out of expr (NAME
// may be quoted, and hold spaces); target is "" without one.
func cutTarget(expr string) (rest, target string, err error) {
	open := strings.IndexByte(expr, '{')
	if open < 0 {
		return expr, "", nil
	}
	end := strings.IndexByte(expr[open:], '}')
	name, ok := strings.CutPrefix(strings.TrimSpace(expr[open+1:open+max(end, 1)]), "target=")
	name = strings.Trim(strings.TrimSpace(name), `"'`)
	if end < 0 || !ok || name == "" {
		return expr, "", errors.New("a selector is {target=NAME}, right after the metric")
	}
	return expr[:open] + expr[open+end+1:], name, nil
}

// targetView is target name's figures as a Result of their own, for a
// threshold to measure: its latency, answers and failures (whatever
// their class, counted as Read: a target's are not split) over the run's
// duration.
func targetView(r *loadgen.Result, name string) (*loadgen.Result, bool) {
	for i := range r.Targets {
		f := &r.Targets[i]
		if f.Name != name {
			continue
		}
		v := &loadgen.Result{Config: r.Config, Start: r.Start, End: r.End, Duration: r.Duration, StatusCodes: f.StatusCodes,
			Latency: f.Latency, Counts: loadgen.Counts{Sent: f.Ended(), Completed: f.Completed, Read: f.Failed, InFlight: f.InFlight, Status: f.Status}}
		if v.Latency == nil {
			v.Latency = loadgen.NewTargetHistogram()
		}
		return v, true
	}
	return nil, false
}
