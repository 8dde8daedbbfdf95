package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/gowrk/gowrk/loadgen"
	"github.com/gowrk/gowrk/report"
	"github.com/spf13/pflag"
)

// reqLogOptions are --log, --log-format and --log-sample.
type reqLogOptions struct {
	path, format string
	sample       float64
}

func addLogFlags(fs *pflag.FlagSet, o *reqLogOptions) {
	fs.StringVar(&o.path, "log", "", "write one record per request (due, send, first byte and end times, status, error, connection, target) to `FILE`, CSV or JSON lines by its extension; gowrk report FILE rebuilds the run's report from it")
	fs.StringVar(&o.format, "log-format", "", "the --log file's `FORMAT`: "+strings.Join(report.LogFormats, " or ")+" (default: by the file's extension, .csv, .jsonl, .ndjson or .json)")
	fs.Float64Var(&o.sample, "log-sample", 0, "with --log: keep this `FRACTION` of the requests (0.01: 1%), the same ones on every rerun (by request number)")
}

// checkLogOptions checks --log's flags against each other and the run,
// and sets the format from the file's extension.
func checkLogOptions(o *options, fs *pflag.FlagSet) error {
	l := &o.reqLog
	if l.path == "" {
		for _, name := range []string{"log-format", "log-sample"} {
			if fs.Changed(name) {
				return fmt.Errorf("--%s goes with --log FILE: add --log", name)
			}
		}
		return nil
	}
	if o.findMax {
		return errors.New("--log goes with one run, not --find-max-rate's many steps: log the confirmed rate's run, -R RATE --log FILE")
	}
	switch {
	case l.format == "":
		if l.format = report.LogFormatOf(l.path); l.format == "" {
			return fmt.Errorf("--log %s: name the file .csv or .jsonl, or give its format: --log-format %s", l.path, strings.Join(report.LogFormats, "|"))
		}
	case !slices.Contains(report.LogFormats, l.format):
		return fmt.Errorf("--log-format %s: use %s", l.format, strings.Join(report.LogFormats, " or "))
	}
	if fs.Changed("log-sample") && !(l.sample > 0 && l.sample <= 1) {
		return fmt.Errorf("--log-sample %g: a fraction above 0 and at most 1 (0.01 keeps 1%% of the requests)", l.sample)
	}
	return nil
}

// requestLog is an open --log file.
type requestLog struct {
	f   *os.File
	log *report.RequestLog
}

// openRequestLog creates the --log file before the load and hooks it to
// cfg; nil without --log.
func openRequestLog(o *options) (*requestLog, error) {
	l := &o.reqLog
	if l.path == "" {
		return nil, nil
	}
	f, err := os.Create(l.path)
	if err != nil {
		return nil, fmt.Errorf("--log: %v", err)
	}
	o.cfg.LogSample = l.sample
	log, err := report.NewRequestLog(f, l.format, &o.cfg)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("--log: %v", err)
	}
	return &requestLog{f: f, log: log}, nil
}

// close writes the log's report line (res: nil when the run failed) and
// closes the file; a warning when the disk fell behind the load.
func (l *requestLog) close(res *loadgen.Result, stderr io.Writer) error {
	if l == nil {
		return nil
	}
	err := l.log.Close(res, report.Options{Version: getVersion()})
	if cerr := l.f.Close(); err == nil {
		err = cerr
	}
	if n := l.log.Waits(); n > 0 {
		fmt.Fprintf(stderr, "gowrk: warning: --log: the disk fell behind: threads waited %d times for the log writer, and sent no request while they waited\n", n)
	}
	if err != nil {
		return fmt.Errorf("--log %s: %v: the log is incomplete", l.f.Name(), err)
	}
	return nil
}

// noteSampled says on stderr that the result cmd rebuilt from the log
// name holds a sample of its run's requests (loadgen.Result.Sampled), and
// what that means for the figures; nothing for a whole log.
func noteSampled(cmd, name string, res *loadgen.Result, stderr io.Writer) {
	if res.Sampled() {
		fmt.Fprintf(stderr, "%s: %s: %s\n", cmd, name, report.SampleText(res.Sample))
	}
}

const reportUsage = `Usage: gowrk report [flags] LOG

Rebuilds a run's report from its --log file (CSV or JSON lines): the counts
of ended requests, the status codes and the latency histograms from the
log's records, one per request, the rest (connections, bytes, Req/Sec,
error messages) from the log's last line. The rebuilt report is the run's
own, figure for figure; a sampled log (--log-sample) gives the sample's.

`

// reportOptions is the parsed command line of gowrk report.
type reportOptions struct {
	format, output string
	latency        bool
}

func newReportFlagSet(o *reportOptions) *pflag.FlagSet {
	fs := pflag.NewFlagSet("gowrk report", pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.SortFlags = false
	fs.StringVarP(&o.format, "format", "f", "text", "report `FORMAT`: "+strings.Join(report.Names(), ", "))
	fs.StringVarP(&o.output, "output", "o", "", "write the report to `FILE` instead of stdout")
	fs.BoolVar(&o.latency, "latency", false, "text: print the latency distribution")
	return fs
}

// runReport is gowrk report: exit 2 for a log it cannot read, 1 when the
// report cannot be written.
func runReport(args []string, stdout, stderr io.Writer) int {
	var o reportOptions
	fs := newReportFlagSet(&o)
	if code, done := parseSub("gowrk report", reportUsage, fs, args, &o.format, stdout, stderr); done {
		return code
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(stderr, "gowrk report: give one --log file: gowrk report LOG")
		return exitBadInput
	}
	name := fs.Arg(0)
	if err := notAnInput(o.output, []string{name}); err != nil {
		fmt.Fprintf(stderr, "gowrk report: %v\n", err)
		return exitBadInput
	}
	f, err := os.Open(name)
	if err != nil {
		fmt.Fprintf(stderr, "gowrk report: %v\n", err)
		return exitBadInput
	}
	res, _, err := report.ReadLog(f)
	f.Close()
	if err != nil {
		fmt.Fprintf(stderr, "gowrk report: %s: %s\n", name, oneLine(err))
		return exitBadInput
	}
	noteSampled("gowrk report", name, res, stderr)
	out, closeOut, _, err := openOutput(o.output, stdout, nil)
	if err != nil {
		fmt.Fprintf(stderr, "gowrk report: --output: %v\n", err)
		return exitBadInput
	}
	defer closeOut()
	write, _ := report.Lookup(o.format)
	if err := write(out, res, report.Options{Latency: o.latency, Version: getVersion()}); err != nil {
		fmt.Fprintf(stderr, "gowrk report: writing the report: %v\n", err)
		return exitFailed
	}
	return exitOK
}
