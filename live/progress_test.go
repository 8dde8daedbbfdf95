package live

import (
	"strings"
	"testing"
	"time"

	"github.com/gowrk/gowrk/loadgen"
)

// TestProgressOutput: on a terminal the line is rewritten in place and
// Done erases the header when the report will print it again (so that it
// shows once); into a file (--progress) it is one plain line an interval,
// no carriage return, no escape sequence.
func TestProgressOutput(t *testing.T) {
	cfg := &loadgen.Config{Duration: 2 * time.Second, Rate: 200}
	iv := func(i int) loadgen.Interval {
		return loadgen.Interval{Start: time.Duration(i) * time.Second, Duration: time.Second, Counts: loadgen.Counts{Completed: 200}, Latency: loadgen.NewHistogram()}
	}
	header := "Running 2s test @ http://127.0.0.1/ (Ctrl-C stops early and prints the report so far)\n  1 threads and 4 connections\n"
	for _, tc := range []struct {
		name         string
		plain, erase bool
		want         string
	}{
		{"file", true, true, header + "1s/2s  200 requests  200/s (target 200/s)\n2s/2s  400 requests  200/s (target 200/s)\n"},
		{"terminal", false, false, header + "\r\x1b[K1s/2s  200 requests  200/s (target 200/s)\r\x1b[K2s/2s  400 requests  200/s (target 200/s)\r\x1b[K"},
		// 40 columns: the first header line wraps over 3 rows, the second takes 1.
		{"terminal, report repeats the header", false, true, header + "\r\x1b[K1s/2s  200 requests  200/s (target 200/s)\r\x1b[K2s/2s  400 requests  200/s (target 200/s)\r\x1b[4A\x1b[J"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b strings.Builder
			p := NewProgress(&b, 40, tc.plain, cfg)
			p.width = 100 // the lines uncut; the header's rows counted at 40 above
			if tc.erase {
				p.width = 40
				p.Header(header, true)
				p.width = 100
			} else {
				p.Header(header, false)
			}
			p.Update(iv(0))
			p.Update(iv(1))
			p.Done()
			if b.String() != tc.want {
				t.Errorf("got\n%q\nwant\n%q", b.String(), tc.want)
			}
		})
	}
}
