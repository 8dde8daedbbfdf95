package cli

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"time"

	"github.com/gowrk/gowrk/loadgen"
	"github.com/gowrk/gowrk/report"
)

// maxSearchSteps bounds a capacity search (with 10 s steps, about 5 minutes).
const maxSearchSteps = 25

// runSearch is --find-max-rate: each step a constant-rate run of
// --step-duration after --settle, judged by the --slo objectives; steps
// are reported on stderr as they end, the table and answer on out. The
// answer is confirmed before it is printed by one run of
// --confirm-duration at it (loadgen.ConfirmMax).
func runSearch(ctx context.Context, o *options, eng loadgen.Engine, out, stderr io.Writer, noHeader bool) int {
	s := &report.Search{Config: o.cfg, SLOs: o.slos, Precision: o.precision, StepDuration: o.stepDuration, Settle: o.settle}
	for _, th := range o.slos {
		s.Quantile = max(s.Quantile, th.Quantile())
	}
	s.Needed = loadgen.CompletionsToJudge(s.Quantile)
	prev := runtime.GOMAXPROCS(o.cfg.Threads)
	defer runtime.GOMAXPROCS(prev)
	step := 0
	run := func(rate float64) loadgen.Probe {
		p, res := runStep(ctx, o, s, eng, rate, o.stepDuration, stderr)
		if p.Stop {
			return p
		}
		step++
		verdict := "held"
		if !p.Held() || p.GeneratorLimited {
			verdict = "did not hold"
			coolDown(ctx, res, o.stepDuration)
		}
		fmt.Fprintf(stderr, "gowrk: step %d: %s/s %s (%s)\n", step, report.RateText(rate), verdict, report.ProbeFigures(&p))
		return p
	}
	s.Result = loadgen.SearchMaxRate(run, o.startRate, loadgen.JudgeableRate(s.Needed, o.stepDuration), o.precision, maxSearchSteps)
	s.ConfirmDuration = o.confirmDuration
	confirm := func(rate float64) loadgen.Probe {
		fmt.Fprintf(stderr, "gowrk: confirming %s/s with one run of %s\n", report.RateText(rate), o.confirmDuration)
		p, res := runStep(ctx, o, s, eng, rate, o.confirmDuration, stderr)
		if p.Stop {
			return p
		}
		verdict := "held"
		if !loadgen.ConfirmHeld(&p) {
			verdict = "did not hold"
			coolDown(ctx, res, o.confirmDuration)
		}
		fmt.Fprintf(stderr, "gowrk: confirmation at %s/s %s (%s)\n", report.RateText(rate), verdict, report.ProbeFigures(&p))
		return p
	}
	s.Result = loadgen.ConfirmMax(confirm, s.Result, o.precision)
	if len(s.Result.Steps) == 0 {
		fmt.Fprintln(stderr, "gowrk: the search was stopped before its first step ended")
		return exitFailed
	}
	format, _ := report.LookupSearch(o.format)
	err := format(out, s, report.Options{Version: getVersion(), NoHeader: noHeader})
	if err != nil {
		fmt.Fprintf(stderr, "gowrk: writing the report: %v\n", err)
		return exitFailed
	}
	if s.Result.Max == 0 {
		return exitFailed
	}
	return exitOK
}

// runStep runs one constant-rate step at rate for length after --settle
// and judges it by the SLOs. A run that failed or was interrupted gives a
// Probe with Stop set (an error is reported on stderr).
func runStep(ctx context.Context, o *options, s *report.Search, eng loadgen.Engine, rate float64, length time.Duration, stderr io.Writer) (loadgen.Probe, *loadgen.Result) {
	if ctx.Err() != nil {
		return loadgen.Probe{Stop: true}, nil
	}
	cfg := o.cfg
	cfg.Rate, cfg.Warmup, cfg.Duration, cfg.Requests = rate, o.settle, length, 0
	cfg.Interval, cfg.Observe = 0, nil
	res, err := runScripted(ctx, o, cfg, eng)
	if err != nil || res.Interrupted {
		if err != nil {
			fmt.Fprintf(stderr, "gowrk: %s\n", userError(err))
		}
		return loadgen.Probe{Stop: true}, nil
	}
	var failed []string
	for _, th := range o.slos {
		if v := th.Check(res); !v.Pass {
			failed = append(failed, fmt.Sprintf("%s failed (%s)", th.Expr, v.Measured))
		}
	}
	return loadgen.JudgeStep(rate, res, s.Needed, failed), res
}

// coolDown waits after a run that did not hold: the server may still be
// working off the queue it left (abandoned work keeps a pool busy), for
// about as long as its requests waited (at most, and when none completed,
// length).
func coolDown(ctx context.Context, res *loadgen.Result, length time.Duration) {
	cool := length
	if res.Latency.TotalCount() > 0 {
		cool = min(time.Duration(res.Latency.ValueAtQuantile(99))*time.Microsecond, length)
	}
	select {
	case <-time.After(cool):
	case <-ctx.Done():
	}
}
