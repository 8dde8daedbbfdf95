package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/pflag"
)

// flagGroup is one topic of gowrk's --help and of docs/reference.md: the
// title is the reference's heading, names the flags (long names) in the
// order --help lists them.
type flagGroup struct {
	title string
	names []string
}

// flagGroups sorts gowrk's flags by topic. Every flag of newFlagSet is in
// exactly one group (TestHelpGroups); one missing from here is still
// listed, under "Other", so that --help never hides a flag.
var flagGroups = []flagGroup{
	{"Load", []string{"threads", "connections", "duration", "requests", "header", "method", "body", "body-file",
		"timeout", "timeout-action", "connect-timeout", "engine", "pipeline"}},
	{"Rate and capacity", []string{"rate", "warmup", "find-max-rate", "slo", "step-duration", "confirm-duration", "settle", "start-rate", "precision"}},
	{"HTTP/2, HTTP/3 and TLS", []string{"http2", "h2c", "http3", "h3", "streams", "h2-window", "h2-conn-window", "insecure", "cacert", "cert", "key", "sni", "tls-min"}},
	{"Transports", []string{"unix-socket", "connect-to", "proxy", "local-addr", "no-keepalive"}},
	{"Output", []string{"latency", "u_latency", "format", "output", "html", "percentiles"}},
	{"Dashboards and CI", []string{"progress", "tui", "quiet", "interval", "stream", "intervals", "hdr-log", "log", "log-format", "log-sample", "prometheus", "prometheus-linger", "fail-on"}},
	{"Scripts and many targets", []string{"script", "targets", "targets-order", "seed"}},
	{"Many machines", []string{"shard", "start-at"}},
	{"Other", []string{"version", "help"}},
}

// helpExamples are --help's examples, one command line and what it does
// each. TestHelpExamples parses every one, so none goes stale.
var helpExamples = []struct{ args, what string }{
	{"serve -d 60s &", "start the built-in target on 127.0.0.1:8080 for a minute"},
	{"-t2 -c10 -d5s http://127.0.0.1:8080/", "closed loop, as wrk"},
	{"-c100 -d30s -R 2000 --latency http://127.0.0.1:8080/", "2000 requests/s free of coordinated omission, as wrk2"},
	{"--http2 --streams 10 -c50 -d10s https://localhost:8443/", "HTTP/2 over TLS, 500 streams in flight"},
	{"--http3 --streams 10 -c50 -d10s https://localhost:8443/", "HTTP/3 over QUIC, 500 streams in flight"},
	{"-d30s --fail-on 'p99<250ms' -f json -o run.json http://127.0.0.1:8080/", "a CI gate: exit 3 when p99 is 250ms or more"},
	{"--find-max-rate --slo 'p90<100ms' http://127.0.0.1:8080/", "the highest rate at which p90 stays under 100ms"},
	{"-R 0..5000/60s --html run.html http://127.0.0.1:8080/", "a ramp to 5000/s, with an HTML report"},
}

// usage is gowrk's --help: the commands, the flags by topic, examples,
// units and exit codes.
func usage() string {
	var o options
	var p parsed
	fs := newFlagSet(&o, &p)
	var b strings.Builder
	b.WriteString("Usage: gowrk [flags] URL\n")
	for _, sc := range subcommandList() {
		fmt.Fprintf(&b, "       %-36s %s (gowrk %s --help)\n", "gowrk "+sc.name+" "+sc.args, sc.what, sc.name)
	}
	width := 0
	fs.VisitAll(func(f *pflag.Flag) { width = max(width, len(flagLeft(f))) })
	seen := map[string]bool{}
	for _, g := range flagGroups {
		var fl []*pflag.Flag
		for _, n := range g.names {
			if f := fs.Lookup(n); f != nil && !seen[n] {
				seen[n] = true
				fl = append(fl, f)
			}
		}
		if g.title == "Other" { // flags no group names, so that none is hidden
			fs.VisitAll(func(f *pflag.Flag) {
				if !seen[f.Name] {
					seen[f.Name] = true
					fl = append(fl, f)
				}
			})
		}
		b.WriteString("\n" + g.title + ":\n")
		writeFlagRows(&b, fl, width)
	}
	b.WriteString("\nExamples:\n")
	for _, e := range helpExamples {
		b.WriteString("  gowrk " + e.args + "\n      " + e.what + "\n")
	}
	b.WriteString("\nNumbers take SI suffixes (1k, 1M, 1G); durations take units (500ms, 2s, 2m, 2h; a bare number is seconds).\n" +
		"Exit codes: 0 a run with a report (Ctrl-C included), 1 the run failed or no request completed,\n" +
		"2 bad usage, 3 the run went through and a --fail-on threshold failed.\n" +
		"Every flag, format and figure: docs/reference.md in gowrk's source.\n")
	return b.String()
}

// flagUsages lists fs's flags, in fs's order, as writeFlagRows does.
func flagUsages(fs *pflag.FlagSet) string {
	var fl []*pflag.Flag
	width := 0
	fs.VisitAll(func(f *pflag.Flag) {
		fl = append(fl, f)
		width = max(width, len(flagLeft(f)))
	})
	var b strings.Builder
	writeFlagRows(&b, fl, width)
	return b.String()
}

// flagLeft is a flag's left column: its names and its value's name (N, T,
// FILE...), none for a boolean. pflag's own listing shows Go type names
// ("stringArray") and "[=true|false]", which mean nothing to a user.
func flagLeft(f *pflag.Flag) string {
	left := "      --" + f.Name
	if f.Shorthand != "" {
		left = "  -" + f.Shorthand + ", --" + f.Name
	}
	if name, _ := pflag.UnquoteUsage(f); f.Value.Type() != "bool" && name != "" {
		left += " " + name
	}
	return left
}

// writeFlagRows writes one line per flag: its left column padded to width,
// then its text and its default when it has one.
func writeFlagRows(b *strings.Builder, fl []*pflag.Flag, width int) {
	for _, f := range fl {
		_, text := pflag.UnquoteUsage(f)
		if f.DefValue != "" && f.DefValue != "false" && f.DefValue != "0" && f.DefValue != "0s" && f.DefValue != "[]" {
			text += " (default " + f.DefValue + ")"
		}
		left := flagLeft(f)
		b.WriteString(left + strings.Repeat(" ", width-len(left)) + "   " + text + "\n")
	}
}
