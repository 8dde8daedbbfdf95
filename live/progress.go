// Package live observes a run while it goes: a progress line on a
// terminal, and an HdrHistogram interval log. It is fed the run's interval
// snapshots (loadgen.Config.Observe) on a goroutine of its own and never
// touches an engine; the final figures are report's.
package live

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/gowrk/gowrk/loadgen"
	"golang.org/x/term"
)

// IsTerminal reports whether w is a terminal, and its width in columns
// (80 when unknown).
func IsTerminal(w io.Writer) (bool, int) {
	f, ok := w.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return false, 0
	}
	width, _, err := term.GetSize(int(f.Fd()))
	if err != nil || width <= 0 {
		width = 80
	}
	return true, width
}

// Progress rewrites one line on a terminal about once an interval:
// elapsed of total time (or requests done of -n), requests so far, the
// interval's requests/s (and the target under -R), errors by class, and
// the interval's p50 and p99. Where w is not a terminal (--progress into a
// file or a pipe), it writes one plain line an interval instead: no
// carriage return, no escape sequence. It is used by one goroutine.
type Progress struct {
	w      io.Writer
	width  int
	plain  bool
	cfg    *loadgen.Config
	total  loadgen.Counts
	header int // terminal rows of the header, erased by Done; 0: keep it
}

// NewProgress writes to w: a terminal width columns wide, or, when plain,
// anything (lines are then not cut).
func NewProgress(w io.Writer, width int, plain bool, cfg *loadgen.Config) *Progress {
	return &Progress{w: w, width: max(width, 20), plain: plain, cfg: cfg}
}

// Header prints the run's header lines (each ending in a newline) above
// the progress line. When erase is set (the report that follows on the
// same terminal starts with the same lines), Done erases them again, so
// that the terminal shows them once.
func (p *Progress) Header(s string, erase bool) {
	fmt.Fprint(p.w, s)
	if !erase || p.plain {
		return
	}
	for _, l := range strings.Split(strings.TrimSuffix(s, "\n"), "\n") {
		p.header += max(1, (len(l)+p.width-1)/p.width) // a long line wraps
	}
}

// Update shows iv.
func (p *Progress) Update(iv loadgen.Interval) {
	p.total.Add(&iv.Counts)
	if p.plain {
		fmt.Fprintln(p.w, p.line(iv))
		return
	}
	fmt.Fprintf(p.w, "\r\x1b[K%s", p.line(iv))
}

// line is the progress line for iv, cut to the terminal's width.
func (p *Progress) line(iv loadgen.Interval) string {
	c := &p.total
	var b strings.Builder
	at := Elapsed(&iv, p.cfg)
	switch {
	case p.cfg.Duration > 0:
		fmt.Fprintf(&b, "%s/%s", at, p.cfg.Duration)
	case p.cfg.Requests > 0:
		fmt.Fprintf(&b, "%d/%d requests, %s", c.Completed+c.Failed(), p.cfg.Requests, at)
	}
	fmt.Fprintf(&b, "  %d requests  %.0f/s", c.Completed, iv.RequestsPerSec())
	if p.cfg.Rate > 0 {
		fmt.Fprintf(&b, " (target %g/s)", p.cfg.Rate)
	}
	if e := c.Errors(); e > 0 {
		fmt.Fprintf(&b, "  errors %d (connect %d, read %d, write %d, timeout %d)", e, c.Connect+c.Ports, c.Read, c.Write, c.TimedOut())
	}
	if iv.Latency.TotalCount() > 0 {
		fmt.Fprintf(&b, "  p50 %s p99 %s", us(iv.Latency.ValueAtQuantile(50)), us(iv.Latency.ValueAtQuantile(99)))
	}
	s := b.String()
	if !p.plain && len(s) > p.width-1 {
		s = s[:p.width-1]
	}
	return s
}

// Elapsed is the run's time at the end of iv, to the second, as the live
// views show it: never past -d (the stop's partial interval of a 2.5s run
// ends at 2.5s, not "3s/2.5s").
func Elapsed(iv *loadgen.Interval, cfg *loadgen.Config) time.Duration {
	at := (iv.Start + iv.Duration).Round(time.Second)
	if cfg.Duration > 0 {
		at = min(at, cfg.Duration)
	}
	return at
}

// Done clears the line (and the header, when Header was told to), so that
// what follows starts on a clean one. A plain Progress has nothing to clear.
func (p *Progress) Done() {
	switch {
	case p.plain:
	case p.header > 0:
		fmt.Fprintf(p.w, "\r\x1b[%dA\x1b[J", p.header) // up to the header's first row, clear to the end
	default:
		fmt.Fprint(p.w, "\r\x1b[K")
	}
}

func us(v int64) string {
	return strings.ReplaceAll((time.Duration(v) * time.Microsecond).String(), "µs", "us")
}
