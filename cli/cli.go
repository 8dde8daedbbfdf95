// Package cli is gowrk's command line: Main parses the arguments, runs
// the subcommand they name (run, serve, merge, completion) and returns
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
	if len(args) > 1 && (args[0] == "-q" || args[0] == "--quiet") && (args[1] == "merge" || args[1] == "serve" || args[1] == "report") {
		fmt.Fprintf(stderr, "gowrk: %s %s: %s has no -q (it prints no progress line); drop -q\n", args[0], args[1], args[1])
		return exitBadInput
	}
	if len(args) > 0 {
		switch args[0] {
		case "serve":
			return runServe(ctx, args[1:], stdout, stderr)
		case "merge":
			return runMerge(args[1:], stdout, stderr)
		case "report":
			return runReport(args[1:], stdout, stderr)
		case "completion":
			return runCompletion(args[1:], stdout, stderr)
		}
	}
	return runLoad(ctx, args, stdout, stderr)
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
