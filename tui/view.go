// Package tui is gowrk's full-screen live view (--tui), as oha has: the
// run's requests/s and latency percentiles over time as sparklines, its
// status codes, errors, requests in flight and the target under -R. It is
// fed the run's interval snapshots (loadgen.Config.Observe) and never
// touches an engine; the final figures are report's. View is the screen's
// content, a pure function of the intervals seen (table-tested); Screen
// draws it on the terminal and reads q and Ctrl-C.
package tui

import (
	"fmt"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gowrk/gowrk/live"
	"github.com/gowrk/gowrk/loadgen"
)

// View is what the screen shows: the intervals seen so far, summed, and
// the last maxHistory of them as series. It is used by one goroutine at a
// time.
type View struct {
	cfg    *loadgen.Config
	header string // "30s test @ URL, 2 threads and 10 connections"
	total  loadgen.Counts
	codes  map[int]uint64
	last   loadgen.Interval // the latest interval (zero before the first)
	seen   int
	rps    []float64 // requests/s per interval, the last maxHistory
	p50    []float64 // latency per interval (ms); -1 where none ended
	p99    []float64
}

// maxHistory bounds the series kept (a sparkline is at most a screen wide).
const maxHistory = 512

// NewView shows a run of cfg under header (one line: what runs, where).
func NewView(cfg *loadgen.Config, header string) *View {
	return &View{cfg: cfg, header: header, codes: map[int]uint64{}}
}

// Add takes the next interval.
func (v *View) Add(iv loadgen.Interval) {
	v.total.Add(&iv.Counts)
	for code, n := range iv.StatusCodes {
		v.codes[code] += n
	}
	v.last = iv
	v.seen++
	p50, p99 := -1.0, -1.0
	if iv.Latency != nil && iv.Latency.TotalCount() > 0 {
		p50, p99 = float64(iv.Latency.ValueAtQuantile(50))/1000, float64(iv.Latency.ValueAtQuantile(99))/1000
	}
	v.rps = keep(append(v.rps, iv.RequestsPerSec()))
	v.p50 = keep(append(v.p50, p50))
	v.p99 = keep(append(v.p99, p99))
}

func keep(s []float64) []float64 {
	if len(s) > maxHistory {
		return s[len(s)-maxHistory:]
	}
	return s
}

// Lines renders the view for a screen width columns wide and height rows
// high: each line at most width runes, at most height lines.
func (v *View) Lines(width, height int) []string {
	width = max(width, 20)
	c := &v.total
	iv := &v.last
	at := iv.Start + iv.Duration
	var ls []string
	add := func(format string, a ...any) { ls = append(ls, fmt.Sprintf(format, a...)) }
	add("gowrk  %s   (q or Ctrl-C: stop and report)", v.header)
	switch {
	case v.cfg.Duration > 0:
		add("elapsed  %s / %s  %s", live.Elapsed(iv, v.cfg), v.cfg.Duration, bar(float64(at)/float64(v.cfg.Duration), width-30))
	case v.cfg.Requests > 0:
		add("done     %d / %d requests  %s", c.Completed+c.Failed(), v.cfg.Requests, bar(float64(c.Completed+c.Failed())/float64(v.cfg.Requests), width-40))
	}
	target := ""
	if v.cfg.Rate > 0 && v.seen > 0 {
		target = fmt.Sprintf(" (target %.0f/s)", v.cfg.TargetBetween(iv.Start, at))
	}
	add("requests %d   req/s %.0f%s   in flight %d   errors %d", c.Completed, iv.RequestsPerSec(), target, iv.InFlight, c.Errors())
	if iv.Latency != nil && iv.Latency.TotalCount() > 0 {
		h := iv.Latency
		add("latency  p50 %s   p90 %s   p99 %s   max %s   (last %s)", us(h.ValueAtQuantile(50)), us(h.ValueAtQuantile(90)),
			us(h.ValueAtQuantile(99)), us(h.Max()), iv.Duration.Round(time.Millisecond))
	} else {
		add("latency  none ended in the last interval")
	}
	add("")
	spark := width - 2
	add("requests/s, last %d intervals (0 to %.0f)", min(len(v.rps), spark), peak(tail(v.rps, spark)))
	add("  %s", sparkline(tail(v.rps, spark)))
	add("latency p50 (0 to %s)", ms(peak(tail(v.p50, spark))))
	add("  %s", sparkline(tail(v.p50, spark)))
	add("latency p99 (0 to %s)", ms(peak(tail(v.p99, spark))))
	add("  %s", sparkline(tail(v.p99, spark)))
	add("")
	add("status codes: %s", v.statusLine())
	add("errors: connect %d, read %d, write %d, timeout %d, status >= 400: %d", c.Connect+c.Ports, c.Read, c.Write, c.TimedOut(), c.Status)
	if len(ls) > height {
		ls = ls[:height]
	}
	for i, l := range ls {
		if utf8.RuneCountInString(l) > width {
			ls[i] = string([]rune(l)[:width])
		}
	}
	return ls
}

func (v *View) statusLine() string {
	if len(v.codes) == 0 {
		return "none yet"
	}
	codes := make([]int, 0, len(v.codes))
	for code := range v.codes {
		codes = append(codes, code)
	}
	sort.Ints(codes)
	parts := make([]string, len(codes))
	for i, code := range codes {
		parts[i] = fmt.Sprintf("%d: %d", code, v.codes[code])
	}
	return strings.Join(parts, "   ")
}

func tail(s []float64, n int) []float64 {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

func peak(s []float64) float64 {
	m := 0.0
	for _, x := range s {
		m = max(m, x)
	}
	return m
}

// sparkline draws s on a zero-based scale up to its peak, one rune a
// point; a point with no value (< 0) is a blank.
func sparkline(s []float64) string {
	const ticks = "▁▂▃▄▅▆▇█"
	steps := []rune(ticks)
	top := peak(s)
	var b strings.Builder
	for _, x := range s {
		switch {
		case x < 0:
			b.WriteRune(' ')
		case top == 0:
			b.WriteRune(steps[0])
		default:
			b.WriteRune(steps[min(int(x/top*float64(len(steps)-1)+0.5), len(steps)-1)])
		}
	}
	return b.String()
}

// bar is a progress bar n columns wide, f done (0..1).
func bar(f float64, n int) string {
	n = max(n, 10)
	done := min(max(int(f*float64(n)+0.5), 0), n)
	return fmt.Sprintf("[%s%s] %3.0f%%", strings.Repeat("#", done), strings.Repeat(".", n-done), min(f, 1)*100)
}

func us(v int64) string {
	return strings.ReplaceAll((time.Duration(v) * time.Microsecond).String(), "µs", "us")
}

func ms(v float64) string { return us(int64(v * 1000)) }
