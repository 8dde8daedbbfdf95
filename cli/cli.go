// Package cli is gowrk's command line: Main parses the arguments, runs
// the subcommand they name (run, serve, merge, report, completion) and returns
// the exit code. The top-level package main only sets the process up
// (GOGC, signals) and exits with Main's code.
//
// One file per subcommand: run.go (with run_args.go, the run command's
// flags), serve.go, merge.go, search.go (--find-max-rate), completion.go;
// files.go's openOutput opens -o, and report.Lookup picks the format, for
// run, search and merge alike.
package cli

import (
	"context"
	"fmt"
	"io"
	"runtime/debug"

	"github.com/gowrk/gowrk/report"
	"github.com/spf13/pflag"
)

// version is set at build time with
// -ldflags "-X github.com/gowrk/gowrk/cli.version=...".
var version = ""

// Exit codes.
const (
	exitOK        = 0
	exitFailed    = 1 // the run could not start, or no request completed
	exitBadInput  = 2
	exitThreshold = 3 // the run went through, and a --fail-on threshold failed
)

// Main is gowrk without the process: args are the arguments after the
// program name; the report goes to stdout (or --output), progress and
// warnings to stderr (secrets redacted). It returns the exit code. The
// first cancellation of ctx ends a run with its report.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	stderr = report.RedactWriter{W: stderr} // no message prints a secret
	if len(args) > 1 && (args[0] == "-q" || args[0] == "--quiet") {
		if sc := subcommandOf(args[1]); sc != nil && sc.noQuiet {
			fmt.Fprintf(stderr, "gowrk: %s %s: %s has no -q (it prints no progress line); drop -q\n", args[0], args[1], args[1])
			return exitBadInput
		}
	}
	if len(args) > 0 {
		if sc := subcommandOf(args[0]); sc != nil {
			return sc.run(ctx, args[1:], stdout, stderr)
		}
	}
	return runLoad(ctx, args, stdout, stderr)
}

// subcommand is one of gowrk's subcommands: its name, what follows it and
// what it does (--help's usage lines), whether a -q before it is refused,
// and what runs it.
type subcommand struct {
	name, args, what string
	noQuiet          bool
	run              func(ctx context.Context, args []string, stdout, stderr io.Writer) int
	flags            func() *pflag.FlagSet // the flag set that parses it (completion); nil: none
}

// subcommandList is gowrk's subcommands, in --help's order: Main runs them,
// --help lists them, completion completes them.
func subcommandList() []subcommand {
	return []subcommand{
		{"serve", "[flags]", "a built-in target", true, runServe, func() *pflag.FlagSet { return newServeFlagSet(&serveOptions{}) }},
		{"merge", "[flags] REPORT.json...", "one report of many runs or shards", true, noCtx(runMerge), func() *pflag.FlagSet { return newMergeFlagSet(&mergeOptions{}) }},
		{"report", "[flags] LOG", "a run's report rebuilt from its --log file", true, noCtx(runReport), func() *pflag.FlagSet { return newReportFlagSet(&reportOptions{}) }},
		{"completion", "bash|zsh|fish", "shell completion", false, noCtx(runCompletion), nil},
	}
}

func noCtx(run func(args []string, stdout, stderr io.Writer) int) func(context.Context, []string, io.Writer, io.Writer) int {
	return func(_ context.Context, args []string, stdout, stderr io.Writer) int { return run(args, stdout, stderr) }
}

// subcommandOf is the subcommand named name; nil: none.
func subcommandOf(name string) *subcommand {
	for _, sc := range subcommandList() {
		if sc.name == name {
			return &sc
		}
	}
	return nil
}

// getVersion is the version -ldflags set, else the module's version, else
// "dev-" and the commit a plain go build in a checkout stamped.
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
