package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/gowrk/gowrk/loadgen"
	"github.com/gowrk/gowrk/loadgen/h2"
	"github.com/gowrk/gowrk/luascript"
	"github.com/gowrk/gowrk/report"
	"github.com/spf13/pflag"
)

// errHelp asks for the usage text.
var errHelp = errors.New("help requested")

// options is the parsed command line.
type options struct {
	cfg      loadgen.Config
	http2    bool
	http3    bool
	latency  bool
	uLatency bool
	format   string
	output   string
	version  bool
	engine   string   // the engine that runs: loop, goroutine, h2 or h3 once parsed; several origins' joined by "+" (engineNames names them in reports)
	origins  []origin // the targets' origins, when more than one (targets_origins.go)
	h2       h2.Options
	script   *luascript.Script // -s, loaded; nil without

	stream, intervals, progress, quiet bool
	tui                                bool // --tui: the full-screen live view (main_live.go)
	intervalAuto                       bool // no --interval: gowrk chose cfg.Interval, and may sample finer for --html
	hdrLog, prometheus                 string
	html                               string // --html: the HTML report's file
	reqLog                             reqLogOptions
	promLinger                         time.Duration
	thresholds                         []report.Threshold
	percentiles                        []float64
	notes                              []string // what gowrk chose or ignored, printed on stderr before the run

	findMax              bool
	slos                 []report.Threshold
	stepDuration, settle time.Duration
	confirmDuration      time.Duration // the confirmation's length (default 3 steps)
	startRate, precision float64
}

// Defaults, as in wrk.
const (
	defaultThreads     = 2
	defaultConnections = 10
	defaultDuration    = 10 * time.Second
	defaultTimeout     = 2 * time.Second
	// defaultConnectTimeout is oha's: long enough for a SYN retry (1 s)
	// against a full listen backlog.
	defaultConnectTimeout = 5 * time.Second
)

func newFlagSet(o *options, p *parsed) *pflag.FlagSet {
	fs := pflag.NewFlagSet("gowrk", pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.SortFlags = false
	p.threads, p.conns = defaultThreads, defaultConnections
	p.duration, o.cfg.Timeout = defaultDuration, defaultTimeout
	fs.VarP(metricValue{&p.threads}, "threads", "t", "OS threads that run the load; connections are grouped over them")
	fs.VarP(metricValue{&p.conns}, "connections", "c", "connections to keep open (>= threads): TCP, or QUIC under --http3")
	fs.VarP(durationValue{&p.duration, &p.durationSet}, "duration", "d", "duration of the run (10s, 2m, 1h; a bare number is seconds)")
	fs.VarP(metricValue{&o.cfg.Requests}, "requests", "n", "stop after N requests have ended in total (with -d, whichever comes first)")
	fs.VarP(shapeValue{&o.cfg.Rate, &o.cfg.Shape}, "rate", "R", "constant rate: total requests per second over all connections (wrk2): 0.5, 1000, 10k; or steps FROM:TO:BY@DURATION (100:1000:100@10s) or a ramp FROM..TO/DURATION (0..5000/60s)")
	fs.StringArrayVarP(&p.headers, "header", "H", nil, "request header `\"Name: value\"` (repeatable; may override Host, User-Agent...)")
	fs.StringVarP(&p.method, "method", "m", "", "request `METHOD`, sent as given (default GET, or POST with a body)")
	fs.StringVarP(&p.body, "body", "b", "", "request body `TEXT`")
	fs.StringVar(&p.bodyFile, "body-file", "", "read the request body from `FILE`")
	fs.StringVarP(&p.script, "script", "s", "", "wrk Lua `FILE`: wrk's API (setup, init, request, response, delay, done); arguments after -- go to init")
	fs.VarP(durationValue{&o.cfg.Timeout, nil}, "timeout", "T", "a request not answered within T of being sent counts as timed out (wrk's timeout)")
	fs.StringVar(&p.timeoutAction, "timeout-action", "wait", "what a timed-out request does, `ACTION`: wait for its answer (counted late; the load stays as it was) or abort (close its connection, send the next on a new one)")
	fs.VarP(durationValue{&o.cfg.ConnectTimeout, nil}, "connect-timeout", "", "bound on each connect and TLS handshake (default 5s, or --timeout if longer)")
	fs.BoolVarP(&o.latency, "latency", "L", false, "print the latency distribution")
	fs.BoolVarP(&o.uLatency, "u_latency", "U", false, "print the uncorrected latency (service time) distribution, with or without -L (wrk2)")
	fs.StringVarP(&o.format, "format", "f", "text", "report `FORMAT`: "+strings.Join(report.Names(), ", "))
	fs.StringVarP(&o.output, "output", "o", "", "write the report to `FILE` instead of stdout (csv appends)")
	fs.StringVar(&o.engine, "engine", "auto", "`ENGINE` of HTTP/1.1 and h2c: loop (one event loop per thread over epoll; http:// only), goroutine (a goroutine per connection; TLS), or auto (loop for http://, goroutine for https://)")
	fs.VarP(metricValue{&p.pipeline}, "pipeline", "P", "HTTP/1.1 pipelining: N requests in flight per connection (wrk's pipeline.lua); --engine loop")
	fs.BoolVar(&o.http2, "http2", false, "speak HTTP/2: h2c (prior knowledge) for http://, TLS with ALPN h2 for https://")
	fs.BoolVar(&o.http3, "http3", false, "speak HTTP/3 over QUIC (UDP) to an https:// URL; --streams requests per connection")
	fs.BoolVar(&o.http3, "h3", false, "same as --http3")
	fs.BoolVar(&p.h2c, "h2c", false, "speak HTTP/2 over cleartext with prior knowledge (http:// URLs; same as --http2 there)")
	fs.VarP(metricValue{&p.streams}, "streams", "", "concurrent HTTP/2 streams per connection (h2load's -m); concurrency is connections x streams")
	fs.Var(windowValue{&o.h2.Window}, "h2-window", "HTTP/2 stream receive window in bytes (64k, 16m; h2load's -w as bytes; default 1g-1, h2load's -w30)")
	fs.Var(windowValue{&o.h2.ConnWindow}, "h2-conn-window", "HTTP/2 connection receive window in bytes (h2load's -W as bytes; default 1g-1)")
	fs.BoolVarP(&p.insecure, "insecure", "k", false, "do not verify the server's TLS certificate")
	fs.StringVar(&p.cacert, "cacert", "", "trust the CA certificates in this PEM `FILE` (instead of the system's)")
	fs.StringVar(&p.cert, "cert", "", "client certificate PEM `FILE` to present; needs --key")
	fs.StringVar(&p.key, "key", "", "private key PEM `FILE` of --cert")
	fs.StringVar(&p.sni, "sni", "", "TLS server `NAME` to send (and verify), instead of the URL's host")
	fs.StringVar(&p.tlsMin, "tls-min", "", "lowest TLS `VERSION` to accept: 1.2 or 1.3")
	addRouteFlags(fs, &p.route)
	addTargetFlags(fs, &p.targets)
	fs.VarP(durationValue{&o.cfg.Warmup, nil}, "warmup", "", "send load for T before the measured -d starts; the warm-up's figures are reported apart and left out of every other figure")
	fs.VarP(durationValue{&o.cfg.Interval, nil}, "interval", "", "per-interval figures every T (default 1s when --stream, --intervals, --hdr-log or progress asks for them)")
	fs.BoolVar(&o.stream, "stream", false, "with --format json: one JSON object per line while the run goes (\"type\": \"interval\"), the report last (\"type\": \"report\")")
	fs.BoolVar(&o.intervals, "intervals", false, "with --format csv: one row per interval instead of one per run")
	fs.StringVar(&o.html, "html", "", "also write a self-contained HTML report (charts, no network needed) to `FILE`")
	addLogFlags(fs, &o.reqLog)
	fs.StringVar(&o.hdrLog, "hdr-log", "", "write an HdrHistogram interval log (latency, service_time, send_lag) to `FILE`")
	fs.BoolVar(&o.progress, "progress", false, "show the progress line on stderr even when it is not a terminal")
	fs.BoolVarP(&o.quiet, "quiet", "q", false, "no progress line and no start line on stderr")
	fs.BoolVar(&o.tui, "tui", false, "full-screen live view on the terminal (requests/s, latency, status codes, errors); q or Ctrl-C ends the run with its report")
	fs.StringVar(&o.prometheus, "prometheus", "", "serve /metrics on `ADDR` (e.g. 127.0.0.1:9464) while the run goes, for a Prometheus to scrape")
	fs.VarP(durationValue{&o.promLinger, nil}, "prometheus-linger", "", "keep /metrics up after the run until a scrape has read the final figures, for at most T")
	fs.StringArrayVar(&p.failOn, "fail-on", nil, "pass/fail `THRESHOLD` for CI, repeatable: p99<250ms, errors<1%, errors=0, timeouts=0, non2xx<0.5%, rps>=1000, rate_achieved>=99%; any failure exits 3")
	fs.BoolVar(&o.findMax, "find-max-rate", false, "search for the highest constant rate at which every --slo holds: probes up from --start-rate, then bisects to --precision")
	fs.StringArrayVar(&p.slos, "slo", nil, "with --find-max-rate: an `OBJECTIVE` each step must meet, as --fail-on (p99<200ms, errors<0.1%); repeatable")
	fs.VarP(durationValue{&o.stepDuration, nil}, "step-duration", "", "with --find-max-rate: the measured length of each step (default 10s)")
	fs.VarP(durationValue{&o.confirmDuration, nil}, "confirm-duration", "", "with --find-max-rate: the length of the run that confirms the answer (default 3 x --step-duration)")
	fs.VarP(durationValue{&o.settle, nil}, "settle", "", "with --find-max-rate: load sent before each step's measurement, left out of it (default 2s)")
	fs.VarP(rateValue{&o.startRate}, "start-rate", "", "with --find-max-rate: the first rate probed (default 10)")
	fs.StringVar(&p.precision, "precision", "5%", "with --find-max-rate: stop when the last rate that held and the first that failed are within `PCT` of each other")
	fs.StringVar(&p.shard, "shard", "", "run shard `I/N` of a run split over N processes (I from 0): this one sends its share of -c, -n and -R so that together they send the single-host schedule; gowrk merge combines their reports")
	fs.StringVar(&p.startAt, "start-at", "", "start the load at `TIME` (RFC 3339, or unix seconds): one start barrier for every shard")
	fs.StringVar(&p.percentiles, "percentiles", "", "the percentiles to report, a `LIST` such as 50,90,99,99.9,99.99")
	fs.BoolVarP(&o.version, "version", "v", false, "print the version and exit")
	fs.BoolP("help", "h", false, "print this help and exit")
	return fs
}

// parsed holds flag values before they become a Config.
type parsed struct {
	threads, conns uint64
	duration       time.Duration
	durationSet    bool
	headers        []string
	method, body   string
	bodyFile       string
	insecure       bool
	script         string
	scriptArgs     []string
	h2c            bool
	streams        uint64
	cacert, cert   string
	key, sni       string
	tlsMin         string
	timeoutAction  string
	pipeline       uint64
	failOn         []string
	shard, startAt string
	percentiles    string
	slos           []string
	precision      string
	route          routeFlags
	targets        targetFlags
}

// parseArgs turns the command line into options. Every error names the
// flag or value at fault and what is allowed.
func parseArgs(ctx context.Context, args []string) (*options, error) {
	o := &options{}
	p := &parsed{}
	fs := newFlagSet(o, p)
	if err := quietWithNumber(args); err != nil {
		return nil, err
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return nil, errHelp
		}
		return nil, err
	}
	if h, _ := fs.GetBool("help"); h {
		return nil, errHelp
	}
	if o.version {
		return o, nil
	}
	if err := checkFormat(o.format); err != nil {
		return nil, err
	}
	args = fs.Args()
	if dash := fs.ArgsLenAtDash(); dash >= 0 {
		if p.script == "" && len(args) > dash {
			return nil, errors.New("arguments after -- are for a --script's init(args); there is no --script")
		}
		args, p.scriptArgs = args[:dash], args[dash:]
	}
	ts, args, err := targetsFirst(p, args)
	if err != nil {
		return nil, err
	}
	if err := oneURL(args); err != nil {
		return nil, err
	}
	u, err := parseURL(args[0])
	if err != nil {
		return nil, err
	}
	if p.threads > 10000 {
		return nil, fmt.Errorf("--threads %d: at most 10000", p.threads)
	}
	if p.conns > 10_000_000 {
		return nil, fmt.Errorf("--connections %d: at most 10M", p.conns)
	}
	if !fs.Changed("threads") && fs.Changed("connections") && p.conns < p.threads {
		p.threads = p.conns // wrk would want -t; -t's default needs more connections
		if !o.quiet {
			o.notes = append(o.notes, fmt.Sprintf("-c %d without -t: running %d thread (-t defaults to %d, and each thread needs a connection)", p.conns, p.threads, defaultThreads))
		}
	}
	cfg := &o.cfg
	cfg.Threads, cfg.Connections = int(p.threads), int(p.conns)
	cfg.Duration = p.duration
	if sh := cfg.Shape; sh != nil {
		if !p.durationSet {
			cfg.Duration = time.Duration(sh.Length() * float64(time.Second)) // the whole shape
		}
		if !fs.Changed("interval") {
			cfg.Interval = time.Duration(sh.StepLength() * float64(time.Second)) // per-step figures
		}
	}
	if p.durationSet && p.duration < minDuration {
		return nil, fmt.Errorf("--duration %s: at least %s (a shorter run measures nothing)", p.duration, minDuration)
	}
	if cfg.Requests > 0 && !p.durationSet {
		cfg.Duration = 0 // -n alone: no time limit
	}
	t := &cfg.Target
	t.URL = u
	if t.Headers, err = parseHeaders(p.headers); err != nil {
		return nil, err
	}
	t.Headers = userinfoHeader(u, t.Headers)
	if t.Body, err = readBody(p, fs.Changed("body")); err != nil {
		return nil, err
	}
	// Methods are case-sensitive (RFC 9110): send what was given.
	t.Method = p.method
	if t.Method == "" {
		t.Method = "GET"
		if len(t.Body) > 0 {
			t.Method = "POST"
		}
	}
	if strings.ContainsAny(t.Method, " \t\r\n:/") {
		return nil, fmt.Errorf("--method %q: want a method name such as GET, POST, PUT", p.method)
	}
	if err := shardOptions(o, p); err != nil {
		return nil, err
	}
	if p.script != "" {
		if err := scriptOptions(ctx, o, p); err != nil {
			return nil, err
		}
	}
	switch p.timeoutAction {
	case "wait":
		cfg.TimeoutAction = loadgen.TimeoutWait
	case "abort":
		cfg.TimeoutAction = loadgen.TimeoutAbort
	default:
		return nil, fmt.Errorf("--timeout-action %q: want wait or abort", p.timeoutAction)
	}
	if cfg.ConnectTimeout == 0 {
		cfg.ConnectTimeout = max(defaultConnectTimeout, cfg.Timeout)
	}
	if err := protocolOptions(o, p); err != nil {
		return nil, err
	}
	if err := engineOptions(o, p); err != nil {
		return nil, err
	}
	if err := scriptThreads(o, p); err != nil {
		return nil, err
	}
	if err := routeOptions(o, &p.route); err != nil {
		return nil, err
	}
	if err := targetOptions(o, p, fs, ts); err != nil {
		return nil, err
	}
	cfg.Engine = engineNames(o)
	o.intervalAuto = !fs.Changed("interval")
	if err := liveOptions(o, p, fs.Changed("interval") || cfg.Shape != nil); err != nil {
		return nil, err
	}
	if err := targetThresholds(o); err != nil {
		return nil, err
	}
	if sh := cfg.Shape; sh != nil {
		w, d := cfg.Warmup.Seconds(), cfg.Duration.Seconds()
		cfg.Rate = (sh.N(w+d) - sh.N(w)) / d // the mean target, for the verdicts
		if cfg.Rate <= 0 {
			return nil, fmt.Errorf("--rate %s: no request is due in the run", sh)
		}
	}
	if err := searchOptions(o, p, fs); err != nil {
		return nil, err
	}
	if !o.findMax { // (a capacity search sets a rate per step)
		if err := report.ThresholdsApply(o.thresholds, cfg, "this run"); err != nil {
			return nil, err
		}
	}
	if p.insecure && u.Scheme == "http" && !anyHTTPS(o) && !o.quiet {
		o.notes = append(o.notes, "warning: -k (--insecure) ignored: it applies to https:// URLs only, and this one is http://")
	}
	if t.TLS, err = tlsOptions(p, u.Scheme == "https" || anyHTTPS(o)); err != nil {
		return nil, err
	}
	originTLS(o, t.TLS)
	if u.Scheme != "https" {
		t.TLS = nil // (an https:// origin's alone)
	}
	if err := cfg.Validate(); err != nil {
		return nil, flagError(err)
	}
	if err := checkLogOptions(o, fs); err != nil {
		return nil, err
	}
	if err := distinctOutputs([]outputFile{{"-o", o.output}, {"--html", o.html}, {"--hdr-log", o.hdrLog}, {"--log", o.reqLog.path}}); err != nil {
		return nil, err
	}
	return o, nil
}

// quietWithNumber refuses -q followed by a number: hey's and oha's -q is a
// rate, gowrk's is --quiet (and the number would be taken for the URL).
func quietWithNumber(args []string) error {
	for i, a := range args {
		if a == "--" {
			return nil
		}
		if (a == "-q" || a == "--quiet") && i+1 < len(args) {
			if _, err := strconv.ParseFloat(args[i+1], 64); err == nil {
				return fmt.Errorf("-q %s: -q is --quiet here (no progress line); the rate is -R: -R %s", args[i+1], args[i+1])
			}
		}
	}
	return nil
}

// minDuration is the shortest -d: below it a run ends before its first
// connection is up.
const minDuration = 10 * time.Millisecond

// configFlags are the flags that set loadgen.Config's fields, for
// loadgen's errors, which name fields ({Threads}), never flags.
var configFlags = map[string]string{
	"Threads": "--threads", "Connections": "--connections", "Streams": "--streams",
	"Duration": "-d/--duration", "Requests": "-n/--requests", "Warmup": "--warmup",
	"Timeout": "--timeout", "Hooks": "--script", "Shard": "--shard", "Rate": "-R/--rate",
	"AllowMixed": "--allow-mixed", "Engine": "--engine", "Targets": "--targets", "Pipeline": "-P/--pipeline",
}

// userError is err as a user reads it: a *loadgen.FatalError with its
// remedy in the flags' words (report.ErrorText), a *loadgen.ConfigError
// with the flags' names (flagError).
func userError(err error) string {
	var f *loadgen.FatalError
	if errors.As(err, &f) {
		return report.ErrorText(err)
	}
	return flagError(err).Error()
}

// flagError words a *loadgen.ConfigError with the command line's flags.
func flagError(err error) error {
	var ce *loadgen.ConfigError
	if !errors.As(err, &ce) {
		return err
	}
	return errors.New(ce.Names(func(field string) string {
		if f, ok := configFlags[field]; ok {
			return f
		}
		return field
	}))
}
