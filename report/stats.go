package report

import (
	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
	"github.com/gowrk/gowrk/loadgen"
)

// summary is the wrk-style summary of one histogram.
type summary struct {
	Count       int64
	Min, Max    int64
	Mean, Stdev float64
	// WithinStdev is the share (percent) of values within one standard
	// deviation of the mean (wrk's "+/- Stdev").
	WithinStdev float64
}

// rateSummary is the summary of the Req/Sec samples, in requests per
// second (they are recorded in units of 1/loadgen.ReqRateScale).
func rateSummary(h *hdrhistogram.Histogram) (s summary, maxRate float64) {
	s = summarize(h)
	s.Mean /= loadgen.ReqRateScale
	s.Stdev /= loadgen.ReqRateScale
	return s, float64(s.Max) / loadgen.ReqRateScale
}

func summarize(h *hdrhistogram.Histogram) summary {
	s := summary{Count: h.TotalCount()}
	if s.Count == 0 {
		return s
	}
	s.Min, s.Max = h.Min(), h.Max()
	s.Mean, s.Stdev = h.Mean(), h.StdDev()
	lo, hi := s.Mean-s.Stdev, s.Mean+s.Stdev
	var in int64
	for _, b := range h.Distribution() {
		if b.Count == 0 {
			continue
		}
		if v := float64(b.From); v >= lo && v <= hi {
			in += b.Count
		}
	}
	s.WithinStdev = 100 * float64(in) / float64(s.Count)
	return s
}
