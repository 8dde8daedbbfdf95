package report

import (
	"fmt"
	"strconv"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
	"github.com/gowrk/gowrk/loadgen"
)

// A rate shape's steps over every request due in each step: the completed
// at their latency, the censored (in flight or never sent at the stop) at
// their lower bound stop - due (loadgen.StepFigures.DuePercentiles).

// jsonStepDue is a rate step's latency over every request due in it.
type jsonStepDue struct {
	jsonIvDue
	// Histogram holds the censored requests' bounds, for Decode.
	Histogram string `json:"censored_histogram,omitempty"`
}

// stepDue is st's jsonStepDue at percentiles ps (its histogram left for
// the JSON report to fill).
func stepDue(st *loadgen.StepFigures, ps []float64) jsonStepDue {
	return jsonStepDue{jsonIvDue: dueOfHists(st.Latency, st.Censored, ps)}
}

// stepDuePercentiles are the percentiles of the step tables (text and
// HTML) over every due request.
var stepDuePercentiles = []float64{50, 99, 99.9}

// stepDueCells are st's unsent requests and its stepDuePercentiles over
// every due request as the tables print them (">= " marks a lower bound).
func stepDueCells(st *loadgen.StepFigures) []string {
	cells := []string{strconv.FormatUint(st.Unsent, 10)}
	for _, dp := range st.DuePercentiles(stepDuePercentiles...) {
		cells = append(cells, dueText(dp.Value, dp.LowerBound))
	}
	return cells
}

// stepDueHeads are the headings of stepDueCells.
func stepDueHeads() []string {
	heads := []string{"unsent"}
	for _, p := range stepDuePercentiles {
		heads = append(heads, fmt.Sprintf("due p%s", percentileKey(p)))
	}
	return heads
}

// decodeStepCensored reads a rate step's censored bounds back ("" when the
// report has none: an empty histogram).
func decodeStepCensored(enc string) (*hdrhistogram.Histogram, error) {
	if enc == "" {
		return hdrhistogram.New(stepGeometry.lowest, stepGeometry.highest, int(stepGeometry.digits)), nil
	}
	return decodeHist(enc, stepGeometry)
}
