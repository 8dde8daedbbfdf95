package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"

	"github.com/gowrk/gowrk/loadgen"
	"github.com/gowrk/gowrk/loadgen/h1"
	"github.com/gowrk/gowrk/loadgen/h2"
	"github.com/gowrk/gowrk/report"
)

// scriptGCPercent is the GOGC of a run with a dynamic Lua script: the
// interpreter allocates per request (its strings and tables), and at 25%
// the collector took 13% of the CPU against nginx with a response()
// script. With many interpreter states (about 100 KB each, one per
// connection under HTTP/2) the live heap is large and 400% would let it
// grow fivefold: above scriptManyStates, GOGC is 100 (-c1000 --h2c:
// 307 MB peak RSS instead of 456 MB at 400).
func scriptGCPercent(states int) int {
	if states > scriptManyStates {
		return 100
	}
	return 400
}

const scriptManyStates = 64

// runLoad is gowrk's run command (no subcommand): it parses args, runs
// the load and writes the report to stdout (or --output); warnings go to
// stderr, which Main has already wrapped to redact secrets. It returns
// the exit code.
func runLoad(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	opts, err := parseArgs(ctx, args)
	if errors.Is(err, errHelp) {
		fmt.Fprint(stdout, usage())
		return exitOK
	}
	if err != nil {
		fmt.Fprintf(stderr, "gowrk: %v\n", err)
		return exitBadInput
	}
	if opts.version {
		fmt.Fprintf(stdout, "gowrk %s %s\n", getVersion(), runtime.Version())
		return exitOK
	}
	for _, n := range opts.notes {
		fmt.Fprintf(stderr, "gowrk: %s\n", n)
	}
	if err := ensureFDs(opts.cfg.Connections*max(len(opts.origins), 1), processRlimit); err != nil {
		fmt.Fprintf(stderr, "gowrk: %v\n", err)
		return exitFailed
	}
	format, _ := report.Lookup(opts.format)
	ro := report.Options{Latency: opts.latency, ServiceTime: opts.uLatency, Version: getVersion(),
		Percentiles: opts.percentiles, Intervals: opts.intervals, Stream: opts.stream}
	for _, f := range []outputFile{{"--html", opts.html}, {"--hdr-log", opts.hdrLog}} {
		if err := checkWritable(f.flag, f.path); err != nil {
			fmt.Fprintf(stderr, "gowrk: %v\n", err)
			return exitBadInput
		}
	}
	var csvHeader []string // a CSV report appends under it
	if opts.format == "csv" {
		csvHeader = report.CSVHeader(&opts.cfg, ro, opts.findMax)
	}
	out, closeOut, noHeader, err := openOutput(opts.output, stdout, csvHeader)
	if err != nil {
		fmt.Fprintf(stderr, "gowrk: --output: %v\n", err)
		return exitBadInput
	}
	defer closeOut()
	ro.NoHeader = noHeader

	if opts.cfg.Hooks != nil && os.Getenv("GOGC") == "" {
		defer debug.SetGCPercent(debug.SetGCPercent(scriptGCPercent(len(opts.cfg.Hooks))))
	}
	eng, err := newEngine(ctx, opts)
	if err != nil {
		fmt.Fprintf(stderr, "gowrk: %s\n", userError(err))
		return exitFailed
	}
	if opts.findMax {
		return runSearch(ctx, opts, eng, out, stderr, noHeader)
	}
	reqLog, err := openRequestLog(opts)
	if err != nil {
		fmt.Fprintf(stderr, "gowrk: %v\n", err)
		return exitBadInput
	}
	watch, err := newWatchers(ctx, opts, out, stderr, ro)
	if err != nil {
		reqLog.close(nil, stderr)
		fmt.Fprintf(stderr, "gowrk: %v\n", err)
		return exitBadInput
	}
	prev := runtime.GOMAXPROCS(opts.cfg.Threads)
	res, err := runScripted(watch.ctx, opts, opts.cfg, eng)
	runtime.GOMAXPROCS(prev)
	werr := watch.finish(res)
	if err != nil {
		reqLog.close(nil, stderr)
		fmt.Fprintf(stderr, "gowrk: %s\n", userError(err))
		return exitFailed
	}
	if res.Shard != nil {
		res.Shard.Host, _ = os.Hostname()
	}
	if lerr := reqLog.close(res, stderr); lerr != nil && werr == nil {
		werr = lerr
	}
	page := watch.regroupResult(res) // the reports' intervals as asked; the page's finer
	if res.Aborted != "" {
		fmt.Fprintf(stderr, "gowrk: error: %s\n", report.Aborted(res))
	}
	for _, w := range report.FindingWarnings(res) {
		fmt.Fprintf(stderr, "gowrk: warning: %s\n", w)
	}
	verdicts, passed := checkThresholds(opts.thresholds, res, stderr, "gowrk")
	ro.Thresholds = verdicts
	if err := format(out, res, ro); err != nil {
		fmt.Fprintf(stderr, "gowrk: writing the report: %v\n", err)
		return exitFailed
	}
	if opts.html != "" {
		if err := writeHTML(opts.html, page, nil); err != nil {
			fmt.Fprintf(stderr, "gowrk: --html: %v\n", err)
			return exitFailed
		}
	}
	if opts.script != nil {
		// wrk prints a script's output as it comes; gowrk keeps stdout for
		// the report first, then what the script printed (init's and done's).
		rerr := opts.script.RunError() // it stopped the run; the report shows what was done
		serr := opts.script.Done(res)
		out.Write(opts.script.Output())
		opts.script.Close()
		if serr != nil {
			fmt.Fprintf(stderr, "gowrk: %v\n", serr)
			return exitFailed
		}
		if rerr != nil {
			return exitFailed // the warning above said why the run stopped
		}
	}
	if werr != nil {
		fmt.Fprintf(stderr, "gowrk: %v\n", werr)
		return exitFailed
	}
	if res.Counts.Completed == 0 {
		return exitFailed
	}
	if !passed {
		return exitThreshold
	}
	return exitOK
}

// newEngine builds the engine the options chose.
func newEngine(ctx context.Context, o *options) (loadgen.Engine, error) {
	if len(o.origins) > 1 {
		return originEngines(ctx, o)
	}
	switch o.engine {
	case "h2":
		opts := o.h2
		opts.DialTimeout = o.cfg.ConnectTimeout
		return h2.New(ctx, o.cfg.Target, opts)
	case "h3":
		return newH3Engine(ctx, o)
	case "loop":
		return newLoopEngine(ctx, o)
	}
	return h1.New(ctx, o.cfg.Target, o.cfg.ConnectTimeout)
}
