package live

import (
	"io"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
	"github.com/gowrk/gowrk/loadgen"
)

// HdrLog writes an HdrHistogram interval log (the text format that
// HdrHistogram's HistogramLogProcessor and plotters read): a header, then
// one compressed histogram per interval and kind, tagged latency,
// service_time and (under -R) send_lag. Values are microseconds. The
// interval lines' max column is in the library's unit convention (value /
// 1,000,000); the histograms themselves are exact.
type HdrLog struct {
	lw    *hdrhistogram.HistogramLogWriter
	start time.Time
	rate  bool
	err   error
}

// NewHdrLog starts a log on w for a run that started at start.
func NewHdrLog(w io.Writer, start time.Time, rate bool) *HdrLog {
	l := &HdrLog{lw: hdrhistogram.NewHistogramLogWriter(w), start: start, rate: rate}
	ms := start.UnixMilli()
	l.lw.SetBaseTime(ms)
	for _, f := range []func() error{
		l.lw.OutputLogFormatVersion,
		func() error { return l.lw.OutputComment("gowrk: latency, service_time and send_lag in microseconds") },
		func() error { return l.lw.OutputStartTime(ms) },
		func() error { return l.lw.OutputBaseTime(ms) },
		l.lw.OutputLegend,
	} {
		if l.err == nil {
			l.err = f()
		}
	}
	return l
}

// Interval writes iv's histograms.
func (l *HdrLog) Interval(iv loadgen.Interval) {
	from := l.start.Add(iv.Start).UnixMilli()
	to := l.start.Add(iv.Start + iv.Duration).UnixMilli()
	hs := []struct {
		tag string
		h   *hdrhistogram.Histogram
	}{{"latency", iv.Latency}, {"service_time", iv.Service}}
	if l.rate {
		hs = append(hs, struct {
			tag string
			h   *hdrhistogram.Histogram
		}{"send_lag", iv.SendLag})
	}
	for _, x := range hs {
		x.h.SetTag(x.tag)
		x.h.SetStartTimeMs(from)
		x.h.SetEndTimeMs(to)
		if l.err == nil {
			l.err = l.lw.OutputIntervalHistogram(x.h)
		}
	}
}

// Err is the first write error, if any.
func (l *HdrLog) Err() error { return l.err }
