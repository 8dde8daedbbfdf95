package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/gowrk/gowrk/live"
	"github.com/gowrk/gowrk/loadgen"
	"github.com/gowrk/gowrk/report"
)

// watchers wires the run's interval snapshots to what watches them: the
// progress line on stderr, the --stream lines on out, the --hdr-log file.
// done, called after the run, clears the progress line and closes the log.
type watchers struct {
	observe []func(loadgen.Interval)
	done    []func() error
}

func newWatchers(o *options, out, stderr io.Writer, ro report.Options) (*watchers, error) {
	w := &watchers{}
	raw := stderr
	if rw, ok := stderr.(report.RedactWriter); ok {
		raw = rw.W // the terminal under the redaction
	}
	term, width := live.IsTerminal(raw)
	if o.progress {
		term, width = true, max(width, 100)
	}
	if term && !o.quiet {
		fmt.Fprintf(stderr, "Running %s test @ %s (Ctrl-C stops early and prints the report so far)\n  %d threads and %d connections\n",
			report.RunLabel(&o.cfg), report.RedactURL(o.cfg.Target.URL), o.cfg.Threads, o.cfg.Connections)
		if o.cfg.Interval == 0 {
			o.cfg.Interval = defaultInterval
		}
		p := live.NewProgress(stderr, width, &o.cfg)
		w.observe = append(w.observe, p.Update)
		w.done = append(w.done, func() error { p.Done(); return nil })
	}
	if o.stream {
		cfg := &o.cfg
		w.observe = append(w.observe, func(iv loadgen.Interval) { report.StreamInterval(out, &iv, cfg, ro) })
	}
	if o.hdrLog != "" {
		f, err := os.Create(o.hdrLog)
		if err != nil {
			return nil, fmt.Errorf("--hdr-log: %v", errors.Unwrap(err))
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
			return nil, fmt.Errorf("--prometheus %s: %v", o.prometheus, err)
		}
		fmt.Fprintf(stderr, "gowrk: metrics on http://%s/metrics\n", p.Addr())
		linger := o.promLinger
		w.observe = append(w.observe, p.Update)
		w.done = append(w.done, func() error { p.Finish(linger); return nil })
	}
	if len(w.observe) > 0 {
		o.cfg.Observe = func(iv loadgen.Interval) {
			for _, f := range w.observe {
				f(iv)
			}
		}
	}
	return w, nil
}

// finish runs the watchers' done functions; the first error is returned.
func (w *watchers) finish() error {
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
