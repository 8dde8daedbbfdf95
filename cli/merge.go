package cli

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/gowrk/gowrk/loadgen"
	"github.com/gowrk/gowrk/report"
	"github.com/spf13/pflag"
)

// mergeOptions is the parsed command line of gowrk merge.
type mergeOptions struct {
	files      []string
	format     string
	output     string
	failOn     []string
	allowMixed bool
	latency    bool
	html       string
}

const mergeUsage = `Usage: gowrk merge [flags] REPORT.json...
       gowrk merge [-o FILE] RUN.hlog...

Merges JSON reports of runs made at the same time (the shards of a run,
--shard I/N, or runs on many machines) into one report, exactly: histograms
bucket by bucket, counters summed, rates over the union of their time
windows. Shards must be 0..N-1 at most once each; missing ones are named
and the merged report is marked incomplete (exit 1). Interval logs
(--hdr-log, .hlog) merge into one interval log, interval by interval.
Request logs (--log) count as the reports they rebuild (gowrk report).

`

func newMergeFlagSet(o *mergeOptions) *pflag.FlagSet {
	fs := pflag.NewFlagSet("gowrk merge", pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.SortFlags = false
	fs.StringVarP(&o.format, "format", "f", "text", "report `FORMAT`: "+strings.Join(report.Names(), ", "))
	fs.StringVarP(&o.output, "output", "o", "", "write the report to `FILE` instead of stdout")
	fs.StringArrayVar(&o.failOn, "fail-on", nil, "`EXPR` evaluated on the merged figures, as gowrk's --fail-on (exit 3 when one fails)")
	fs.BoolVar(&o.allowMixed, "allow-mixed", false, "merge reports of different URLs or methods, of runs not at the same time, or of different load settings (-d, --timeout, --warmup, -R per connection...); .hlog logs not at the same time")
	fs.BoolVar(&o.latency, "latency", false, "text: print the latency distribution")
	fs.StringVar(&o.html, "html", "", "also write the merged report as self-contained HTML to `FILE`, each shard's latency beside the merge's")
	return fs
}

// runMerge is gowrk merge: it reads every report (refusing, with one line
// naming the file, any it cannot merge exactly), merges them and writes
// the merged report. Exit 2 for bad input, 1 when shards are missing, 3
// when a --fail-on threshold fails.
func runMerge(args []string, stdout, stderr io.Writer) int {
	var o mergeOptions
	fs := newMergeFlagSet(&o)
	if code, done := parseSub("gowrk merge", mergeUsage, fs, args, &o.format, stdout, stderr); done {
		return code
	}
	o.files = fs.Args()
	format, _ := report.Lookup(o.format)
	if len(o.files) == 0 {
		fmt.Fprintln(stderr, "gowrk merge: no report to merge: give the JSON reports as arguments")
		return exitBadInput
	}
	if err := notAnInput(o.output, o.files); err != nil {
		fmt.Fprintf(stderr, "gowrk merge: %v\n", err)
		return exitBadInput
	}
	if code, ok := mergeHdrLogs(&o, fs, stdout, stderr); ok {
		return code
	}
	var thresholds []report.Threshold
	for _, e := range o.failOn {
		th, err := report.ParseThreshold(e)
		if err != nil {
			fmt.Fprintf(stderr, "gowrk merge: %v\n", err)
			return exitBadInput
		}
		thresholds = append(thresholds, th)
	}
	var parts []*loadgen.Result
	for _, name := range o.files {
		r, err := readReport(name, stderr)
		if err != nil {
			fmt.Fprintf(stderr, "gowrk merge: %s: %v\n", name, oneLine(err))
			return exitBadInput
		}
		parts = append(parts, r)
	}
	if err := report.CheckMerge(parts, o.files, o.allowMixed); err != nil {
		fmt.Fprintf(stderr, "gowrk merge: %v\n", err)
		return exitBadInput
	}
	res, err := loadgen.Merge(parts, loadgen.MergeOptions{AllowMixed: o.allowMixed, Names: o.files})
	if err != nil {
		fmt.Fprintf(stderr, "gowrk merge: %s\n", userError(err))
		return exitBadInput
	}
	if err := report.ThresholdsApply(thresholds, &res.Config, "the merged run"); err != nil {
		fmt.Fprintf(stderr, "gowrk merge: %v\n", err)
		return exitBadInput
	}
	out, closeOut, _, err := openOutput(o.output, stdout, nil) // a merge replaces -o, CSV too
	if err != nil {
		fmt.Fprintf(stderr, "gowrk merge: --output: %v\n", err)
		return exitBadInput
	}
	defer closeOut()
	ro := report.Options{Latency: o.latency, Version: getVersion()}
	var passed bool
	ro.Thresholds, passed = checkThresholds(thresholds, res, stderr, "gowrk merge")
	if m := res.Merged; len(m.Missing) > 0 {
		fmt.Fprintf(stderr, "gowrk merge: incomplete: shards %s of %d are missing\n", report.IntList(m.Missing), m.Count)
	}
	if m := res.Merged; len(m.Failed) > 0 {
		fmt.Fprintf(stderr, "gowrk merge: incomplete: shards %s of %d stopped early or completed nothing\n", report.IntList(m.Failed), m.Count)
	}
	if err := format(out, res, ro); err != nil {
		fmt.Fprintf(stderr, "gowrk merge: writing the report: %v\n", err)
		return exitFailed
	}
	if o.html != "" {
		if err := writeHTML(o.html, res, parts); err != nil {
			fmt.Fprintf(stderr, "gowrk merge: --html: %v\n", err)
			return exitFailed
		}
	}
	switch {
	case res.Merged.Incomplete:
		return exitFailed
	case !passed:
		return exitThreshold
	}
	return exitOK
}

// parseSub parses a subcommand's args with fs: --help prints usage and
// the flags (exit 0); a bad flag, or a -f that names no report format
// (*format once parsed), is one line (exit 2). done is false when the
// command goes on.
func parseSub(name, usage string, fs *pflag.FlagSet, args []string, format *string, stdout, stderr io.Writer) (code int, done bool) {
	err := fs.Parse(args)
	if errors.Is(err, pflag.ErrHelp) {
		fmt.Fprint(stdout, usage+flagUsages(fs))
		return exitOK, true
	}
	if err == nil {
		err = checkFormat(*format)
	}
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", name, err)
		return exitBadInput, true
	}
	return exitOK, false
}

// readReport decodes one JSON report file: a report, or a --stream whose
// last line is the report; or rebuilds one from a request log (--log),
// saying on stderr when the log is a sample.
func readReport(name string, stderr io.Writer) (*loadgen.Result, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	br := bufio.NewReader(f)
	if head, _ := br.Peek(report.LogMagic); report.IsLog(head) {
		res, _, err := report.ReadLog(br)
		if err == nil {
			noteSampled("gowrk merge", name, res, stderr)
		}
		return res, err
	}
	b, err := io.ReadAll(io.LimitReader(br, report.MaxReport+1))
	if err != nil {
		return nil, err
	}
	if t := strings.TrimSpace(string(b)); strings.HasPrefix(t, `{"type":"interval"`) {
		if i := strings.LastIndexByte(t, '\n'); i >= 0 {
			b = []byte(t[i+1:]) // a --stream: its last line is the report
		}
	}
	return report.Decode(strings.NewReader(string(b)))
}

// writeHTML writes the HTML report of res (parts: what it merged) to path.
func writeHTML(path string, res *loadgen.Result, parts []*loadgen.Result) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := report.HTML(f, res, parts, report.Options{Version: getVersion()}); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func oneLine(err error) string { return strings.ReplaceAll(err.Error(), "\n", " ") }

// mergeHdrLogs merges --hdr-log files, when every input is one (.hlog):
// into one interval log on -o or stdout. ok is false when the inputs are
// JSON reports. Mixing the two, or asking for what a log cannot give
// (--format, --fail-on, --html), is bad input.
func mergeHdrLogs(o *mergeOptions, fs *pflag.FlagSet, stdout, stderr io.Writer) (code int, ok bool) {
	logs := 0
	for _, f := range o.files {
		if strings.HasSuffix(f, ".hlog") {
			logs++
		}
	}
	if logs == 0 {
		return 0, false
	}
	if logs != len(o.files) {
		fmt.Fprintln(stderr, "gowrk merge: give JSON reports or .hlog interval logs, not both: merge each kind on its own")
		return exitBadInput, true
	}
	for _, name := range []string{"format", "fail-on", "html", "latency"} {
		if fs.Changed(name) {
			fmt.Fprintf(stderr, "gowrk merge: --%s goes with JSON reports; .hlog logs merge into one .hlog log\n", name)
			return exitBadInput, true
		}
	}
	var ins []io.Reader
	for _, name := range o.files {
		f, err := os.Open(name)
		if err != nil {
			fmt.Fprintf(stderr, "gowrk merge: %v\n", err)
			return exitBadInput, true
		}
		defer f.Close()
		ins = append(ins, f)
	}
	// Merged in memory first (the inputs are bounded): a refused merge
	// leaves -o as it was.
	var merged bytes.Buffer
	if _, err := report.MergeHdrLogs(&merged, ins, o.files, o.allowMixed); err != nil {
		var ie *report.InputError
		if errors.As(err, &ie) {
			fmt.Fprintf(stderr, "gowrk merge: %v\n", oneLine(err))
			return exitBadInput, true
		}
		fmt.Fprintf(stderr, "gowrk merge: %v\n", err)
		return exitFailed, true
	}
	out, closeOut, _, err := openOutput(o.output, stdout, nil) // a merge replaces -o, CSV too
	if err != nil {
		fmt.Fprintf(stderr, "gowrk merge: --output: %v\n", err)
		return exitBadInput, true
	}
	defer closeOut()
	if _, err := out.Write(merged.Bytes()); err != nil {
		fmt.Fprintf(stderr, "gowrk merge: writing the log: %v\n", err)
		return exitFailed, true
	}
	return exitOK, true
}
