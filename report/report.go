// Package report renders a *loadgen.Result. Every format is a Func over the
// same Result; nothing here knows about engines or the network.
//
// Formats: "text" (wrk's layout, plus wrk2's percentile tail under
// Options.Latency), "json" (one object, schema_version 1, documented in the
// README) and "csv" (a header line and one row per run).
package report

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/gowrk/gowrk/loadgen"
)

// Options select optional parts of a report.
type Options struct {
	// Latency prints the latency distribution (wrk's --latency).
	Latency bool
	// ServiceTime prints the uncorrected (service time) distribution too
	// (wrk2's -U).
	ServiceTime bool
	// NoHeader leaves out the CSV header line (appending to a file).
	NoHeader bool
	// Version is gowrk's version, recorded in the JSON report.
	Version string
	// Percentiles, when set, replace the default percentiles (--percentiles).
	Percentiles []float64
	// Intervals writes the CSV report as one row per interval.
	Intervals bool
	// Stream writes the JSON report on one line, typed "report" (--stream).
	Stream bool
	// Thresholds are the --fail-on verdicts, for the JSON report.
	Thresholds []ThresholdResult
}

// percentiles are the percentiles a report lists.
func (o Options) percentiles() []float64 {
	if len(o.Percentiles) > 0 {
		return o.Percentiles
	}
	return Percentiles
}

// Func writes one rendering of r to w.
type Func func(w io.Writer, r *loadgen.Result, o Options) error

// SearchFunc writes one rendering of a --find-max-rate search to w; of o,
// it reads Version (json) and NoHeader (csv).
type SearchFunc func(w io.Writer, s *Search, o Options) error

// formats is the one registry of report formats: each name's rendering of
// a run's result and of a capacity search.
var formats = map[string]struct {
	result Func
	search SearchFunc
}{
	"text": {Text, func(w io.Writer, s *Search, _ Options) error { return SearchText(w, s) }},
	"json": {JSON, func(w io.Writer, s *Search, o Options) error { return SearchJSON(w, s, o.Version) }},
	"csv":  {CSV, func(w io.Writer, s *Search, o Options) error { return SearchCSV(w, s, o.NoHeader) }},
}

// Lookup returns the format called name: its rendering of a run's result.
func Lookup(name string) (Func, bool) {
	f, ok := formats[name]
	return f.result, ok
}

// LookupSearch returns the format called name: its rendering of a search.
func LookupSearch(name string) (SearchFunc, bool) {
	f, ok := formats[name]
	return f.search, ok
}

// Names lists the format names, sorted.
func Names() []string {
	names := make([]string, 0, len(formats))
	for n := range formats {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Percentiles are the percentiles every report lists (wrk2's tail).
var Percentiles = []float64{50, 75, 90, 99, 99.9, 99.99, 99.999}

// percentileKey names a percentile as the JSON report does: "99.9".
func percentileKey(p float64) string {
	return strings.TrimSuffix(strings.TrimRight(fmt.Sprintf("%.3f", p), "0"), ".")
}
