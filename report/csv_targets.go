package report

import (
	"encoding/csv"
	"slices"
	"strconv"

	"github.com/gowrk/gowrk/loadgen"
)

// The CSV report of a run with many targets (--targets): the run's row,
// then one row per target under the same header, which ends in three more
// columns: target (empty on the run's row), target_errors (the target's
// failed requests) and latency_histogram (the target's, in the JSON
// report's encoding, so that the rows are lossless). A target's row
// repeats the run's first ten cells (start to interrupted: which run it
// is) and fills the columns that a target has: requests,
// in_flight_at_stop, errors_status, status_codes and the latency columns;
// the rest are empty.

// targetCSVColumns are the columns added after the run's under --targets.
var targetCSVColumns = []string{"target", "target_errors", "latency_histogram"}

// runCells is how many of a row's first cells say which run it is.
const runCells = 10

// csvTargetRows writes the run's row (with the target columns, empty) and
// one row per target, under cols.
func csvTargetRows(cw *csv.Writer, cols, run []string, r *loadgen.Result, ps []float64) error {
	if err := cw.Write(append(run, "", "", "")); err != nil {
		return err
	}
	at := map[string]int{}
	for i, c := range cols {
		at[c] = i
	}
	u := func(v uint64) string { return strconv.FormatUint(v, 10) }
	i := func(v int64) string { return strconv.FormatInt(v, 10) }
	for k := range r.Targets {
		f := &r.Targets[k]
		row := make([]string, len(cols))
		copy(row, run[:runCells])
		h := f.Latency
		if h == nil {
			h = loadgen.NewTargetHistogram()
		}
		enc, err := encodeHist(h)
		if err != nil {
			return err
		}
		lat := summarize(h)
		set := map[string]string{"requests": u(f.Completed), "in_flight_at_stop": u(f.InFlight), "errors_status": u(f.Status),
			"status_codes": statusCodes(f.StatusCodes), "target": f.Name, "target_errors": u(f.Failed), "latency_histogram": enc,
			"latency_min_us": i(lat.Min), "latency_mean_us": strconv.FormatFloat(lat.Mean, 'f', 2, 64),
			"latency_stdev_us": strconv.FormatFloat(lat.Stdev, 'f', 2, 64), "latency_max_us": i(lat.Max)}
		for _, p := range ps {
			set["latency_p"+percentileKey(p)+"_us"] = i(h.ValueAtQuantile(p))
		}
		for c, v := range set {
			row[at[c]] = v
		}
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	return nil
}

// withTargetColumns is cols with the target columns after them, when the
// run has targets.
func withTargetColumns(cols []string, targets bool) []string {
	if !targets {
		return cols
	}
	return append(slices.Clip(cols), targetCSVColumns...)
}
