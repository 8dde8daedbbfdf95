package report

import (
	"sort"
	"strconv"

	"github.com/gowrk/gowrk/loadgen"
)

// htmlIntervals fills the page's time series from r's intervals. The
// stop's sliver of an interval (Interval.Sliver) is left out: a false drop
// to 0 at the end of the chart.
func htmlIntervals(d *htmlData, r *loadgen.Result) {
	ivs := r.Intervals
	if n := len(ivs); n > 1 && ivs[n-1].Sliver(r.Config.Interval) {
		ivs = ivs[:n-1]
	}
	d.Interval = r.Config.Interval.Seconds()
	d.Lat = make([][]*float64, 4)
	codes := map[int]bool{}
	for k := range ivs {
		for code := range ivs[k].StatusCodes {
			codes[code] = true
		}
	}
	for code := range codes {
		d.Codes.Names = append(d.Codes.Names, strconv.Itoa(code))
	}
	sort.Strings(d.Codes.Names)
	d.Codes.Series = make([][]float64, len(d.Codes.Names))
	var classes []int // the error classes the run had, by index in errorClasses
	for j, e := range errorClasses(&r.Counts) {
		if e.n > 0 {
			classes = append(classes, j)
			d.ErrRate.Names = append(d.ErrRate.Names, e.name)
		}
	}
	d.ErrRate.Series = make([][]float64, len(d.ErrRate.Names))
	for k := range ivs {
		iv := &ivs[k]
		end := iv.Start + iv.Duration
		secs := iv.Duration.Seconds()
		d.Times = append(d.Times, end.Seconds())
		d.RPS = append(d.RPS, iv.RequestsPerSec())
		var target *float64
		if r.Config.Rate > 0 || r.Config.Shape != nil {
			t := r.Config.TargetBetween(iv.Start, end)
			target = &t
		}
		d.Target = append(d.Target, target)
		for j, p := range []float64{50, 90, 99, 100} {
			var v *float64
			if iv.Latency.TotalCount() > 0 {
				x := float64(iv.Latency.ValueAtQuantile(p)) / 1000
				v = &x
			}
			d.Lat[j] = append(d.Lat[j], v)
		}
		for j, name := range d.Codes.Names {
			code, _ := strconv.Atoi(name)
			d.Codes.Series[j] = append(d.Codes.Series[j], perSecond(iv.StatusCodes[code], secs))
		}
		es := errorClasses(&iv.Counts)
		for j, c := range classes {
			d.ErrRate.Series[j] = append(d.ErrRate.Series[j], perSecond(es[c].n, secs))
		}
	}
}

func perSecond(n uint64, secs float64) float64 {
	if secs <= 0 {
		return 0
	}
	return float64(n) / secs
}

// errorClass is one class of error and its count.
type errorClass struct {
	name string
	n    uint64
}

// errorClasses are c's errors by class, as the page names them: the
// summary's table and the errors-over-time chart.
func errorClasses(c *loadgen.Counts) []errorClass {
	e := errorsOf(c)
	return []errorClass{{"connect", e.Connect}, {"read", e.Read}, {"write", e.Write}, {"timeout", e.Timeout}, {"status >= 400", e.Status},
		{"goaway", e.GoAway}, {"reset", e.Reset}, {"protocol", e.Protocol}, {"idle closed", e.IdleClosed}, {"ports", e.Ports}}
}

// htmlSteps is a rate shape's step table, with the text report's columns
// (requests by the step they were due in); nil without a shape.
func htmlSteps(r *loadgen.Result) [][]string {
	if r.Config.Shape == nil || len(r.Steps) == 0 {
		return nil
	}
	rows := [][]string{append([]string{"at", "target/s", "achieved/s", "p50", "p99", "p99.9", "errors", "in flight"}, stepDueHeads()...)}
	for k := range r.Steps {
		st := &r.Steps[k]
		rows = append(rows, append([]string{formatRunFor(st.Start), RateText(r.Config.TargetBetween(st.Start, st.Start+st.Duration)),
			strconv.FormatFloat(st.AchievedPerSec(), 'f', 1, 64), ms(st.Latency, 50), ms(st.Latency, 99), ms(st.Latency, 99.9),
			strconv.FormatUint(st.Failed, 10), strconv.FormatUint(st.InFlight, 10)}, stepDueCells(st)...))
	}
	return rows
}
