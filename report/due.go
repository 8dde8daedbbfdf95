package report

import (
	"fmt"
	"strings"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
	"github.com/gowrk/gowrk/loadgen"
)

// jsonDue is the latency over every request due in the measured window
// (loadgen.DuePercentile): the completed at their latency, the censored
// (never completed: waiting at the stop, or due and never sent) at their
// lower bound, stop - due. A percentile in percentiles_lower_bound is
// only a lower bound; percentiles_upper_us then says what it is at most,
// where the completed requests bound it. "latency" beside it is the same
// figures of completed requests only.
type jsonDue struct {
	Count          int64            `json:"count"`
	Censored       int64            `json:"censored"`
	MeanUs         float64          `json:"mean_us"`
	MeanLowerBound bool             `json:"mean_lower_bound"`
	MaxUs          int64            `json:"max_us"`
	MaxLowerBound  bool             `json:"max_lower_bound"`
	PercentilesUs  map[string]int64 `json:"percentiles_us"`
	LowerBound     map[string]bool  `json:"percentiles_lower_bound"`
	UpperUs        map[string]int64 `json:"percentiles_upper_us"`
	// CensoredHistogram holds the censored requests' lower bounds (what
	// makes the report lossless: Decode reads it back).
	CensoredHistogram string `json:"censored_histogram,omitempty"`
}

// dueOf is r's jsonDue at percentiles ps.
func dueOf(r *loadgen.Result, ps []float64) (jsonDue, error) {
	d := jsonDue{Count: r.DueCount(), PercentilesUs: map[string]int64{}, LowerBound: map[string]bool{}, UpperUs: map[string]int64{}}
	if r.Censored != nil {
		d.Censored = r.Censored.TotalCount()
	}
	d.MeanUs, d.MeanLowerBound = r.DueMean()
	d.MaxUs, d.MaxLowerBound = r.DueMax()
	duePercentilesInto(d.PercentilesUs, d.LowerBound, d.UpperUs, r.DuePercentiles(ps...))
	if d.Censored == 0 {
		return d, nil // "" reads back as empty
	}
	var err error
	d.CensoredHistogram, err = encodeHist(r.Censored)
	return d, err
}

// duePercentilesInto fills the maps of a jsonDue (or an interval's) from dps.
func duePercentilesInto(vals map[string]int64, lower map[string]bool, upper map[string]int64, dps []loadgen.DuePercentile) {
	for _, dp := range dps {
		k := percentileKey(dp.Percentile)
		vals[k], lower[k] = dp.Value, dp.LowerBound
		if dp.LowerBound && dp.UpperKnown && upper != nil {
			upper[k] = dp.Upper
		}
	}
}

// dueText is a figure over every due request as the text report writes it:
// "4.1s", or ">= 4.1s" when it is only a lower bound.
func dueText(us int64, lower bool) string {
	s := formatTimeUs(float64(us))
	if lower {
		return ">= " + s
	}
	return s
}

// dueLine is the text report's line of the latency over every due request,
// printed when some request due never completed: the figures above it are
// of completed requests only.
func dueLine(r *loadgen.Result, ps []float64) string {
	if r.Censored == nil || r.Censored.TotalCount() == 0 {
		return ""
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Latency of every due request (%d due, %d never completed, each at its lower bound stop - due; the Latency figures above are of completed requests):",
		r.DueCount(), r.Censored.TotalCount())
	for _, dp := range r.DuePercentiles(ps...) {
		fmt.Fprintf(&b, " p%s %s,", percentileKey(dp.Percentile), dueText(dp.Value, dp.LowerBound))
	}
	m, lower := r.DueMax()
	fmt.Fprintf(&b, " max %s", dueText(m, lower))
	return b.String()
}

// textPercentiles are the percentiles of the text report's due line.
var textPercentiles = []float64{50, 75, 90, 99, 99.9}

// decodeOptionalHist decodes enc, or returns an empty histogram when the
// report has none (written before the field existed).
func decodeOptionalHist(enc string) (*hdrhistogram.Histogram, error) {
	if enc == "" {
		return loadgen.NewHistogram(), nil
	}
	return decodeHist(enc, runGeometry)
}
