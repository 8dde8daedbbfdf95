// Command gowrk is a wrk-style HTTP load generator: wrk's command line and
// report, wrk2's constant-rate mode with latency free of coordinated
// omission, exact HdrHistogram percentiles, and JSON and CSV reports.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"syscall"

	"github.com/gowrk/gowrk/loadgen"
	"github.com/gowrk/gowrk/loadgen/h1"
	"github.com/gowrk/gowrk/loadgen/h2"
	"github.com/gowrk/gowrk/report"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = ""

// gcPercent is gowrk's GOGC unless the environment sets one. The request
// path allocates nothing, so the collector only ever has set-up garbage to
// collect (TLS handshakes above all, one per connection): a target of 25%
// keeps the peak heap near 1.25x what is live instead of Go's 2x, for a few
// more collections while the connections open. Measured at -c1000
// --streams 10 over TLS: peak RSS 91 MB at GOGC=100, 65 MB at 25.
const gcPercent = 25

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

func main() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(gcPercent)
	}
	// The first SIGINT or SIGTERM ends the run with its report; a second
	// ends gowrk at once, as if it had not been caught.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	context.AfterFunc(ctx, stop)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// Exit codes.
const (
	exitOK        = 0
	exitFailed    = 1 // the run could not start, or no request completed
	exitBadInput  = 2
	exitThreshold = 3 // the run went through, and a --fail-on threshold failed
)

// run is gowrk without the process: it parses args, runs the load and
// writes the report to stdout (or --output); warnings go to stderr. It
// returns the exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	stderr = report.RedactWriter{W: stderr} // no message prints a secret
	if len(args) > 1 && (args[0] == "-q" || args[0] == "--quiet") && (args[1] == "merge" || args[1] == "serve") {
		fmt.Fprintf(stderr, "gowrk: %s %s: %s has no -q (it prints no progress line); drop -q\n", args[0], args[1], args[1])
		return exitBadInput
	}
	if len(args) > 0 && args[0] == "serve" {
		return runServe(ctx, args[1:], stdout, stderr)
	}
	if len(args) > 0 && args[0] == "merge" {
		return runMerge(args[1:], stdout, stderr)
	}
	if len(args) > 0 && args[0] == "completion" {
		return runCompletion(args[1:], stdout, stderr)
	}
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
	if err := ensureFDs(opts.cfg.Connections, processRlimit); err != nil {
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
	out, closeOut, noHeader, err := openOutput(opts, stdout, report.CSVHeader(&opts.cfg, ro, opts.findMax))
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
		fmt.Fprintf(stderr, "gowrk: %v\n", err)
		return exitFailed
	}
	if opts.findMax {
		return runSearch(ctx, opts, eng, out, stderr, noHeader)
	}
	watch, err := newWatchers(ctx, opts, out, stderr, ro)
	if err != nil {
		fmt.Fprintf(stderr, "gowrk: %v\n", err)
		return exitBadInput
	}
	prev := runtime.GOMAXPROCS(opts.cfg.Threads)
	res, err := runScripted(watch.ctx, opts, opts.cfg, eng)
	runtime.GOMAXPROCS(prev)
	werr := watch.finish()
	if err != nil {
		fmt.Fprintf(stderr, "gowrk: %v\n", err)
		return exitFailed
	}
	if res.Shard != nil {
		res.Shard.Host, _ = os.Hostname()
	}
	page := watch.regroupResult(res) // the reports' intervals as asked; the page's finer
	for _, w := range report.Warnings(res) {
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
	switch o.engine {
	case "h2":
		opts := o.h2
		opts.DialTimeout = o.cfg.ConnectTimeout
		return h2.New(ctx, o.cfg.Target, opts)
	case "loop":
		return newLoopEngine(ctx, o)
	}
	return h1.New(ctx, o.cfg.Target, o.cfg.ConnectTimeout)
}

// openOutput returns where the report goes. A CSV report appended to an
// existing, non-empty file gets no second header line, and is refused
// when the file's header is not csvHeader (its rows would be shifted).
func openOutput(o *options, stdout io.Writer, csvHeader []string) (w io.Writer, closeFn func(), noHeader bool, err error) {
	if o.output == "" || o.output == "-" {
		return stdout, func() {}, false, nil
	}
	flags := os.O_WRONLY | os.O_CREATE | os.O_TRUNC
	if o.format == "csv" {
		flags = os.O_WRONLY | os.O_CREATE | os.O_APPEND
		if noHeader, err = csvAppendHeader(o.output, csvHeader); err != nil {
			return nil, nil, false, err
		}
	}
	f, err := os.OpenFile(o.output, flags, 0o644)
	if err != nil {
		return nil, nil, false, err
	}
	return f, func() { f.Close() }, noHeader, nil
}

func getVersion() string {
	if version != "" {
		return version
	}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "dev"
	}
	if bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	// A plain go build in a checkout stamps the VCS state: use the commit.
	var rev, modified string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			modified = s.Value
		}
	}
	if rev == "" {
		return "dev"
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if modified == "true" {
		rev += "-dirty"
	}
	return "dev-" + rev
}
