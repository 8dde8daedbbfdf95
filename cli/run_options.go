package cli

import (
	"errors"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gowrk/gowrk/loadgen"
	"github.com/gowrk/gowrk/loadgen/h2"
	"github.com/gowrk/gowrk/report"
	"github.com/spf13/pflag"
)

// The run command's option groups, checked against each other once the
// flags are parsed: protocol, live output, --find-max-rate, engine.

// protocolOptions checks --http2, --h2c, --http3 and --streams.
func protocolOptions(o *options, p *parsed) error {
	if err := http3Options(o, p); err != nil {
		return err
	}
	if p.h2c {
		if o.cfg.Target.URL.Scheme == "https" {
			return errors.New("--h2c is HTTP/2 over cleartext and needs an http:// URL; for https:// use --http2")
		}
		o.http2 = true
	}
	if !o.http2 && (o.h2.Window != 0 || o.h2.ConnWindow != 0) {
		return errors.New("--h2-window and --h2-conn-window need --http2")
	}
	if w := o.h2.ConnWindow; w != 0 && w < 65535 {
		return fmt.Errorf("--h2-conn-window %d: at least 65535, HTTP/2's initial connection window", w)
	}
	if p.streams > 0 {
		if !o.http2 && !o.http3 && p.streams > 1 {
			return fmt.Errorf("--streams %d needs --http2 or --http3: an HTTP/1.1 connection carries one request at a time", p.streams)
		}
		if p.streams > 100_000 {
			return fmt.Errorf("--streams %d: at most 100000", p.streams)
		}
		o.cfg.Streams = int(p.streams)
	}
	return nil
}

// errNoH3 is --http3 in a gowrk built with -tags noh3 (engine_noh3.go).
var errNoH3 = errors.New("this gowrk was built without HTTP/3 (-tags noh3); build without the tag to use --http3")

// http3Options checks --http3 against the build, the URL and the other
// protocols.
func http3Options(o *options, p *parsed) error {
	if !o.http3 {
		return nil
	}
	if !h3Available {
		return errNoH3
	}
	if o.http2 || p.h2c {
		return errors.New("--http3 and --http2/--h2c: give one protocol")
	}
	if o.cfg.Target.URL.Scheme != "https" {
		return errors.New("--http3 needs an https:// URL: HTTP/3 runs over QUIC, which always uses TLS")
	}
	if p.pipeline > 1 {
		return errors.New("-P/--pipeline is HTTP/1.1's; under --http3 use --streams for requests in flight per connection")
	}
	return nil
}

// liveOptions checks --stream, --intervals, --hdr-log, --fail-on and
// --percentiles, and turns intervals on where they are asked for.
func liveOptions(o *options, p *parsed, intervalSet bool) error {
	if o.stream && o.format != "json" {
		return errors.New("--stream goes with --format json (one JSON object per line)")
	}
	if o.intervals && o.format != "csv" {
		return errors.New("--intervals goes with --format csv (one row per interval); the JSON report has an intervals array with --interval")
	}
	if o.progress && o.quiet {
		return errors.New("--progress and --quiet: give one of them")
	}
	if o.tui && (o.quiet || o.progress) {
		return errors.New("--tui with --quiet or --progress: give one of them")
	}
	if intervalSet && o.cfg.Interval < 10*time.Millisecond {
		return fmt.Errorf("--interval %s: at least 10ms", o.cfg.Interval)
	}
	if o.prometheus != "" {
		if _, _, err := net.SplitHostPort(o.prometheus); err != nil {
			return fmt.Errorf("--prometheus %q: want host:port, e.g. 127.0.0.1:9464", o.prometheus)
		}
	} else if o.promLinger > 0 {
		return errors.New("--prometheus-linger goes with --prometheus")
	}
	if !intervalSet && (o.stream || o.intervals || o.hdrLog != "" || o.progress || o.prometheus != "" || o.html != "" || o.tui) {
		o.cfg.Interval = time.Second
	}
	for _, e := range p.failOn {
		th, err := report.ParseThreshold(e)
		if err != nil {
			return err
		}
		o.thresholds = append(o.thresholds, th)
	}
	if p.percentiles != "" {
		for _, f := range strings.Split(p.percentiles, ",") {
			v, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
			if err != nil || !(v > 0 && v <= 100) {
				return fmt.Errorf("--percentiles %q: want numbers above 0 and at most 100, separated by commas, e.g. 50,90,99,99.9", p.percentiles)
			}
			o.percentiles = append(o.percentiles, v)
		}
		if len(o.percentiles) > 20 {
			return fmt.Errorf("--percentiles %q: at most 20", p.percentiles)
		}
	}
	return nil
}

// searchOptions checks the --find-max-rate options.
func searchOptions(o *options, p *parsed, fs *pflag.FlagSet) error {
	for _, name := range []string{"slo", "step-duration", "confirm-duration", "settle", "start-rate", "precision"} {
		if fs.Changed(name) && !o.findMax {
			return fmt.Errorf("--%s goes with --find-max-rate", name)
		}
	}
	if !o.findMax {
		return nil
	}
	if len(p.slos) == 0 {
		return errors.New("--find-max-rate needs at least one --slo, e.g. --slo 'p99<200ms'")
	}
	for _, what := range []string{"rate", "requests", "duration", "warmup", "stream", "interval", "intervals", "fail-on"} {
		if fs.Changed(what) {
			return fmt.Errorf("--find-max-rate chooses the rates and lengths itself: drop --%s (use --start-rate, --step-duration, --settle)", what)
		}
	}
	for _, e := range p.slos {
		th, err := report.ParseThreshold(e)
		if err != nil {
			return errors.New(strings.Replace(err.Error(), "--fail-on", "--slo", 1))
		}
		o.slos = append(o.slos, th)
	}
	if o.stepDuration == 0 {
		o.stepDuration = 10 * time.Second
	}
	if o.confirmDuration == 0 {
		o.confirmDuration = loadgen.ConfirmSteps * o.stepDuration
	}
	if !fs.Changed("settle") {
		o.settle = 2 * time.Second
	}
	if o.startRate == 0 {
		o.startRate = 10
	}
	v, err := strconv.ParseFloat(strings.TrimSuffix(p.precision, "%"), 64)
	if err != nil || !strings.HasSuffix(p.precision, "%") || !(v >= 0.1 && v <= 50) {
		return fmt.Errorf("--precision %q: want a share from 0.1%% to 50%%, e.g. 5%%", p.precision)
	}
	o.precision = v / 100
	return nil
}

// engineOptions checks --engine and -P against the protocol and scheme.
func engineOptions(o *options, p *parsed) error {
	https := o.cfg.Target.URL.Scheme == "https"
	asked := o.engine
	switch o.engine {
	case "auto":
		o.engine = "loop"
		if https || !loopAvailable {
			o.engine = "goroutine"
		}
	case "goroutine":
	case "loop":
		if https {
			return errors.New("--engine loop speaks http:// only: crypto/tls wants a blocking connection; use --engine goroutine (the default for https://)")
		}
		if !loopAvailable {
			return errors.New("--engine loop needs Linux (epoll); use --engine goroutine")
		}
	default:
		return fmt.Errorf("--engine %q: want loop, goroutine or auto", o.engine)
	}
	if o.http2 {
		// h2c runs on the event loop too, unless told goroutine; TLS
		// always runs on goroutines (h2.Driver): what auto made of an
		// https:// URL is not asked of the h2c origins of --targets.
		o.h2.Goroutines = asked == "goroutine"
		o.engine = "h2"
	}
	if o.http3 {
		o.engine = "h3"
	}
	if p.pipeline > 1 {
		if o.engine != "loop" {
			return fmt.Errorf("-P/--pipeline %d needs the loop engine (HTTP/1.1 over http://, --engine loop)", p.pipeline)
		}
		if p.pipeline > 1000 {
			return fmt.Errorf("-P/--pipeline %d: at most 1000", p.pipeline)
		}
		o.cfg.Pipeline = int(p.pipeline)
	}
	return nil
}

// engineNames names, for the reports, what runs the run's connections:
// the engine, HTTP/2 by its driver (h2.Driver: "loop" or "goroutine"),
// several origins' names joined by "+".
func engineNames(o *options) string {
	name := func(eng, scheme string) string {
		if eng == "h2" {
			return h2.Driver(scheme == "https", o.h2)
		}
		return eng
	}
	if len(o.origins) == 0 {
		return name(o.engine, o.cfg.Target.URL.Scheme)
	}
	var names []string
	for _, or := range o.origins {
		if n := name(or.engine, or.target.URL.Scheme); !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	return strings.Join(names, "+")
}
