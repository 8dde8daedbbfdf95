package tui

import (
	"strings"
	"testing"
	"time"

	"github.com/gowrk/gowrk/loadgen"
)

// TestViewLines: the screen's figures are the intervals': requests so
// far, the last interval's rate and the shape's target over it, in
// flight, the latency percentiles, status codes and errors summed; the
// sparklines are zero-based, with a blank where no request ended.
func TestViewLines(t *testing.T) {
	sh, err := loadgen.ParseShape("100:300:100@1s")
	if err != nil {
		t.Fatal(err)
	}
	cfg := &loadgen.Config{Duration: 3 * time.Second, Shape: sh, Rate: 200}
	v := NewView(cfg, "3s test @ http://127.0.0.1:1/, 1 threads and 2 connections")
	for i, n := range []uint64{100, 0, 300} {
		iv := loadgen.Interval{Start: time.Duration(i) * time.Second, Duration: time.Second, InFlight: uint64(i), Counts: loadgen.Counts{Completed: n, Read: 1},
			StatusCodes: map[int]uint64{200: n}, Latency: loadgen.NewHistogram()}
		for k := range n {
			iv.Latency.RecordValue(int64(1000 * (k%10 + 1)))
		}
		v.Add(iv)
	}
	got := strings.Join(v.Lines(100, 30), "\n")
	for _, want := range []string{
		"elapsed  3s / 3s  [",
		"requests 400   req/s 300 (target 300/s)   in flight 2   errors 3",
		"latency  p50 5.003ms   p90 9.007ms   p99 10.007ms   max 10.007ms   (last 1s)", // (HdrHistogram's highest equivalent values)
		"requests/s, last 3 intervals (0 to 300)\n  ▃▁█",
		"latency p50 (0 to 5.003ms)\n  █ █",
		"status codes: 200: 400",
		"errors: connect 0, read 3, write 0, timeout 0",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("the screen lacks %q:\n%s", want, got)
		}
	}
	for _, l := range v.Lines(30, 5) {
		if len([]rune(l)) > 30 {
			t.Errorf("a line wider than the screen: %q", l)
		}
	}
	if n := len(v.Lines(30, 5)); n != 5 {
		t.Errorf("%d lines on a 5-row screen", n)
	}
}
