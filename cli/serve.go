package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gowrk/gowrk/report"
	"github.com/gowrk/gowrk/serve"
	"github.com/spf13/pflag"
)

// serveOptions is the parsed command line of gowrk serve.
type serveOptions struct {
	cfg      serve.Config
	tls      bool
	certOut  string
	delay    string
	duration time.Duration
	status   uint64
	body     uint64
	workers  uint64
}

func newServeFlagSet(o *serveOptions) *pflag.FlagSet {
	fs := pflag.NewFlagSet("gowrk serve", pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.SortFlags = false
	o.cfg.Addr, o.body, o.status = "127.0.0.1:8080", 100, 200
	o.certOut = filepath.Join(os.TempDir(), "gowrk-serve.pem")
	fs.StringVarP(&o.cfg.Addr, "listen", "l", o.cfg.Addr, "loopback `ADDR` to listen on (port 0: any free port)")
	fs.StringVar(&o.delay, "delay", "", "service time per request: `D` fixed (10ms), a range 5ms..15ms (uniform) or exp:10ms (exponential)")
	fs.VarP(metricValue{&o.workers}, "workers", "w", "serve at most N requests at once, the others queue first come first served (a thread pool's known capacity: N / delay)")
	fs.VarP(metricValue{&o.status}, "status", "s", "status code of every response")
	fs.Var(metricValue{&o.body}, "body-size", "response body size in bytes (SI suffixes: 1k, 1M)")
	fs.BoolVar(&o.tls, "tls", false, "serve HTTPS (HTTP/1.1 and h2) with a new self-signed certificate")
	fs.StringVar(&o.certOut, "cert-out", o.certOut, "with --tls, write the certificate (PEM) to `FILE`, for gowrk --cacert")
	fs.VarP(durationValue{&o.duration, nil}, "duration", "d", "stop by itself after T (default: until Ctrl-C)")
	fs.BoolP("help", "h", false, "print this help and exit")
	return fs
}

func serveUsage() string {
	var o serveOptions
	return "Usage: gowrk serve [flags]\n\nA built-in target on loopback: HTTP/1.1 and h2c (HTTPS with --tls), with a known\n" +
		"service time and capacity. When stopped it prints its own request count and\n" +
		"service-time percentiles on stdout; GET " + serve.StatsPath + " returns the counts as JSON.\n\n" +
		flagUsages(newServeFlagSet(&o))
}

func parseServeArgs(args []string) (*serveOptions, error) {
	o := &serveOptions{}
	fs := newServeFlagSet(o)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return nil, errHelp
		}
		return nil, err
	}
	if h, _ := fs.GetBool("help"); h {
		return nil, errHelp
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("gowrk serve takes no arguments, got %d; see gowrk serve --help", fs.NArg())
	}
	if o.delay != "" {
		d, err := serve.ParseDelay(o.delay)
		if err != nil {
			return nil, err
		}
		o.cfg.Delay = d
	}
	if o.status < 200 || o.status > 999 {
		return nil, fmt.Errorf("--status %d: want a final status code from 200 to 999", o.status)
	}
	if o.body > 1<<30 {
		return nil, fmt.Errorf("--body-size %d: at most 1G", o.body)
	}
	if o.workers > 1_000_000 {
		return nil, fmt.Errorf("--workers %d: at most 1M", o.workers)
	}
	if fs.Changed("cert-out") && !o.tls {
		return nil, errors.New("--cert-out goes with --tls")
	}
	o.cfg.Status, o.cfg.BodySize, o.cfg.Workers = int(o.status), int(o.body), int(o.workers)
	return o, nil
}

// runServe is gowrk serve: it serves until ctx is done or --duration has
// passed, then prints its counts on stdout. Progress goes to stderr.
func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	o, err := parseServeArgs(args)
	if errors.Is(err, errHelp) {
		fmt.Fprint(stdout, serveUsage())
		return exitOK
	}
	if err != nil {
		fmt.Fprintf(stderr, "gowrk serve: %v\n", err)
		return exitBadInput
	}
	scheme, protos := "http", "HTTP/1.1 and h2c"
	if o.tls {
		cfg, pem, err := serve.SelfSigned()
		if err != nil {
			fmt.Fprintf(stderr, "gowrk serve: generating a certificate: %v\n", err)
			return exitFailed
		}
		if err := os.WriteFile(o.certOut, pem, 0o644); err != nil {
			fmt.Fprintf(stderr, "gowrk serve: --cert-out: %v\n", err)
			return exitBadInput
		}
		o.cfg.TLS, scheme, protos = cfg, "https", "HTTP/1.1 and h2, certificate in "+o.certOut+" (gowrk --cacert "+o.certOut+")"
	}
	s, err := serve.Start(o.cfg)
	if err != nil {
		fmt.Fprintf(stderr, "gowrk serve: %v\n", err)
		if strings.Contains(err.Error(), "loopback only") {
			return exitBadInput
		}
		return exitFailed
	}
	started := time.Now()
	fmt.Fprintf(stderr, "gowrk serve: listening on %s://%s/ (%s)%s\n", scheme, s.Addr(), protos, describe(o))
	if o.duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, o.duration)
		defer cancel()
	}
	<-ctx.Done()
	s.Close()
	st := s.Stats()
	fmt.Fprintf(stdout, "gowrk serve: %d requests, %d responses in %s\n", st.Requests, st.Responses, time.Since(started).Round(time.Millisecond))
	if st.Responses > 0 {
		f := func(us int64) string { return report.FormatTimeUs(float64(us)) }
		fmt.Fprintf(stdout, "  service time (queue wait included): mean %s, p50 %s, p90 %s, p99 %s, max %s\n",
			report.FormatTimeUs(st.Mean), f(st.P50), f(st.P90), f(st.P99), f(st.Max))
	}
	return exitOK
}

// describe says what the server was told to do, for its start line.
func describe(o *serveOptions) string {
	var parts []string
	if d := o.cfg.Delay.String(); d != "" {
		parts = append(parts, "delay "+d)
	}
	if o.cfg.Workers > 0 {
		parts = append(parts, fmt.Sprintf("%d workers", o.cfg.Workers))
	}
	if o.cfg.Status != 200 {
		parts = append(parts, fmt.Sprintf("status %d", o.cfg.Status))
	}
	parts = append(parts, fmt.Sprintf("%d-byte bodies", o.cfg.BodySize))
	return "; " + strings.Join(parts, ", ") + "; Ctrl-C stops it"
}
