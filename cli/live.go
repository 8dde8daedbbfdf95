package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/gowrk/gowrk/live"
	"github.com/gowrk/gowrk/loadgen"
	"github.com/gowrk/gowrk/report"
	"github.com/gowrk/gowrk/tui"
)

// watchers wires the run's interval snapshots to what watches them: the
// progress line or the --tui screen, the --stream lines on out, the
// --hdr-log file, the Prometheus endpoint. done, called after the run,
// clears the progress line and closes the log. ctx is the run's context:
// the --tui screen's q cancels it, as Ctrl-C cancels its parent.
type watchers struct {
	ctx     context.Context
	cancel  context.CancelFunc
	observe []func(loadgen.Interval)
	ended   []func(*loadgen.Result) // given the run's result, before done
	done    []func() error
	// fine, when not 0, is the interval sampled for the --html page: k of
	// them make one interval of coarse, the one the other reports and
	// the observers get (live.FineInterval).
	fine, coarse time.Duration
	k            int
	regroup      *live.Regroup
}

func newWatchers(ctx context.Context, o *options, out, stderr io.Writer, ro report.Options) (*watchers, error) {
	w := &watchers{}
	w.ctx, w.cancel = context.WithCancel(ctx)
	raw := stderr
	if rw, ok := stderr.(report.RedactWriter); ok {
		raw = rw.W // the terminal under the redaction
	}
	term, width := live.IsTerminal(raw)
	if o.tui {
		if err := w.startTUI(o); err != nil {
			return nil, err
		}
	} else if (term || o.progress) && !o.quiet {
		if o.cfg.Interval == 0 {
			o.cfg.Interval = defaultInterval
		}
		p := live.NewProgress(stderr, width, !term, &o.cfg)
		p.Header(fmt.Sprintf("Running %s test @ %s (Ctrl-C stops early and prints the report so far)\n  %d threads and %d connections\n",
			report.RunLabel(&o.cfg), report.RedactURL(o.cfg.Target.URL), o.cfg.Threads, o.cfg.Connections), term && reportRepeatsHeader(o, out, raw))
		w.observe = append(w.observe, p.Update)
		w.done = append(w.done, func() error { p.Done(); return nil })
	}
	if o.stream {
		cfg := &o.cfg
		w.observe = append(w.observe, func(iv loadgen.Interval) { report.StreamInterval(out, &iv, cfg, ro) })
	}
	if err := w.fileWatchers(o, stderr); err != nil {
		return nil, err
	}
	w.sampleFine(o)
	if len(w.observe) > 0 {
		all := func(iv loadgen.Interval) {
			for _, f := range w.observe {
				f(iv)
			}
		}
		o.cfg.Observe = all
		if w.k > 1 {
			w.regroup = live.NewRegroup(w.fine, w.k, all)
			o.cfg.Observe = w.regroup.Add
		}
	}
	return w, nil
}

// reportRepeatsHeader reports whether the report will print the progress
// header's lines again on the same terminal (the text report on stdout,
// when stdout and stderr are one terminal): the header is then erased at
// the end, so that the terminal shows it once.
func reportRepeatsHeader(o *options, out, stderr io.Writer) bool {
	so, ok1 := out.(*os.File)
	se, ok2 := stderr.(*os.File)
	if !ok1 || !ok2 || o.format != "text" {
		return false
	}
	if t, _ := live.IsTerminal(so); !t {
		return false
	}
	a, err1 := so.Stat()
	b, err2 := se.Stat()
	return err1 == nil && err2 == nil && os.SameFile(a, b)
}

// startTUI takes the terminal over for --tui; its q cancels the run.
func (w *watchers) startTUI(o *options) error {
	if o.cfg.Interval == 0 {
		o.cfg.Interval = defaultInterval
	}
	header := fmt.Sprintf("%s test @ %s, %d threads and %d connections", report.RunLabel(&o.cfg), report.RedactURL(o.cfg.Target.URL), o.cfg.Threads, o.cfg.Connections)
	s, err := tui.Open(tui.NewView(&o.cfg, header), w.cancel)
	if err != nil {
		return fmt.Errorf("--tui: %v", err)
	}
	w.observe = append(w.observe, s.Update)
	w.done = append(w.done, func() error { s.Close(); return nil })
	return nil
}

// fileWatchers adds the --hdr-log file and the --prometheus endpoint.
func (w *watchers) fileWatchers(o *options, stderr io.Writer) error {
	if o.hdrLog != "" {
		f, err := os.Create(o.hdrLog)
		if err != nil {
			return fmt.Errorf("--hdr-log: %v", errors.Unwrap(err))
		}
		var log *live.HdrLog
		rate := o.cfg.Rate > 0
		w.observe = append(w.observe, func(iv loadgen.Interval) {
			if log == nil {
				log = live.NewHdrLog(f, iv.Time.Add(-iv.Start), rate)
			}
			log.Interval(iv)
		})
		w.done = append(w.done, func() error {
			err := f.Close()
			if log != nil && log.Err() != nil {
				err = log.Err()
			}
			if err != nil {
				return fmt.Errorf("--hdr-log: %v", err)
			}
			return nil
		})
	}
	if o.prometheus != "" {
		p, err := live.StartPrometheus(o.prometheus, &o.cfg)
		if err != nil {
			return fmt.Errorf("--prometheus %s: %v", o.prometheus, err)
		}
		fmt.Fprintf(stderr, "gowrk: metrics on http://%s/metrics\n", p.Addr())
		linger := o.promLinger
		w.observe = append(w.observe, p.Update)
		w.ended = append(w.ended, p.SetEnd)
		w.done = append(w.done, func() error { p.Finish(linger); return nil })
	}
	return nil
}

// sampleFine makes the run sample finer intervals for the --html page
// when the user gave no --interval and the chosen one would draw fewer
// than about 60 points; the observers and the other reports still get
// the chosen interval (regroup).
func (w *watchers) sampleFine(o *options) {
	if o.html == "" || !o.intervalAuto {
		return
	}
	fine, k := live.FineInterval(o.cfg.Interval, o.cfg.Duration)
	if k > 1 {
		w.fine, w.coarse, w.k = fine, o.cfg.Interval, k
		o.cfg.Interval = fine
	}
}

// regroup gives res the intervals the user asked for (or gowrk chose),
// and returns the result the --html page draws: res itself, or a copy of
// it with the finer intervals sampled for the page.
func (w *watchers) regroupResult(res *loadgen.Result) *loadgen.Result {
	if w.k <= 1 {
		return res
	}
	page := *res
	res.Intervals = live.RegroupAll(res.Intervals, w.fine, w.k)
	res.Config.Interval = w.coarse
	return &page
}

// finish gives res (nil when the run failed) to the watchers that want
// the result, then runs their done functions; the first error is returned.
func (w *watchers) finish(res *loadgen.Result) error {
	if res != nil {
		for _, f := range w.ended {
			f(res)
		}
	}
	if w.regroup != nil {
		w.regroup.Flush() // the last, partial interval
	}
	defer w.cancel()
	var first error
	for _, f := range w.done {
		if err := f(); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// defaultInterval is --interval's value when an observer asks for intervals.
const defaultInterval = time.Second

// checkThresholds prints each --fail-on verdict on stderr, after prefix
// ("gowrk", "gowrk merge"), and returns them and whether all passed.
func checkThresholds(ths []report.Threshold, res *loadgen.Result, stderr io.Writer, prefix string) ([]report.ThresholdResult, bool) {
	var out []report.ThresholdResult
	ok := true
	for _, th := range ths {
		r := th.Check(res)
		verdict := "pass"
		if !r.Pass {
			verdict, ok = "FAIL", false
		}
		fmt.Fprintf(stderr, "%s: threshold %s: %s (%s)\n", prefix, r.Expr, verdict, r.Measured)
		out = append(out, r)
	}
	return out, ok
}
