package cli

import (
	"context"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gowrk/gowrk/loadgen"
	"github.com/gowrk/gowrk/loadgen/h1"
	"github.com/gowrk/gowrk/report"
	"net/url"
)

// FuzzFlagValues: sizes, rates and durations either parse to a value in
// range or fail with an error; they never panic, and accepted values
// survive a round trip through String.
func FuzzFlagValues(f *testing.F) {
	for _, s := range []string{"10", "1k", "1.5M", "0.5", "2G", "-1", "1e400", "NaN", "10s", "500ms", "2h", "1m30s", "", "k", " 3 "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var n uint64
		if err := (metricValue{&n}).Set(s); err == nil {
			if n < 1 || n > 1e12 {
				t.Fatalf("metric %q = %d, out of range", s, n)
			}
			var m uint64
			if err := (metricValue{&m}).Set(metricValue{&n}.String()); err != nil || m != n {
				t.Fatalf("metric %q = %d does not round-trip: %d, %v", s, n, m, err)
			}
		}
		var r float64
		if err := (rateValue{&r}).Set(s); err == nil && !(r > 0 && r <= 1e9 && !math.IsInf(r, 0)) {
			t.Fatalf("rate %q = %v, out of range", s, r)
		}
		var d time.Duration
		if err := (durationValue{d: &d}).Set(s); err == nil && d <= 0 {
			t.Fatalf("duration %q = %v, not positive", s, d)
		}
	})
}

// FuzzHeaders: a header either parses into a clean name and value or is
// refused with a message that never shows its value.
func FuzzHeaders(f *testing.F) {
	for _, s := range []string{"Host: x", "Authorization: Bearer t", "NoColon", ": v", "A:\r\nB: c", "X-Y:  spaced  "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		hs, err := parseHeaders([]string{s})
		if err != nil {
			// The message may show the first word (the name, quoted), and
			// nothing of what follows it.
			msg := strings.TrimPrefix(err.Error(), "--header starting ")
			if q, err := strconv.QuotedPrefix(msg); err == nil {
				msg = msg[len(q):]
			}
			if _, value, ok := strings.Cut(s, ":"); ok && len(strings.TrimSpace(value)) > 3 && strings.Contains(msg, strings.TrimSpace(value)) {
				t.Fatalf("error %q shows the value of %q", err, s)
			}
			return
		}
		h := hs[0]
		if h.Name == "" || strings.ContainsAny(h.Name, " \t\r\n:") || strings.ContainsAny(h.Value, "\r\n") {
			t.Fatalf("parseHeaders(%q) = %+v", s, h)
		}
	})
}

// FuzzURL: an accepted URL is http(s) with a host, and the request built
// from it has one request line with no injected line breaks.
func FuzzURL(f *testing.F) {
	for _, s := range []string{"http://127.0.0.1:8080/", "https://[::1]/p?q=1", "http://h/%0d%0a", "http://u:p@h/", "ftp://x", "http://", "http://h/a b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		u, err := parseURL(s)
		if err != nil {
			return
		}
		if (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" {
			t.Fatalf("parseURL(%q) = %v", s, u)
		}
		req, err := h1.BuildRequest(loadgen.Target{URL: u, Method: "GET"})
		if err != nil {
			return
		}
		line, rest, _ := strings.Cut(string(req), "\r\n")
		if strings.ContainsAny(line, "\r\n") || !strings.HasPrefix(line, "GET /") || !strings.HasSuffix(line, " HTTP/1.1") || !strings.Contains(rest, "\r\n\r\n") {
			t.Fatalf("URL %q gives request %q", s, req)
		}
	})
}

// FuzzArgs: the whole command line parser never panics; what it accepts
// passes Config.Validate.
func FuzzArgs(f *testing.F) {
	for _, s := range []string{"-t2 -c10 -d1s http://127.0.0.1/", "-R 1k -n 5 http://h/", "--http2 --streams 4 https://h/", "-c -1 x", "--tls-min 1.3 -k https://h/", "-H a:b -H c http://h/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		o, err := parseArgs(context.Background(), strings.Fields(s))
		if err != nil || o.version {
			return
		}
		if err := o.cfg.Validate(); err != nil {
			t.Fatalf("parseArgs(%q) accepted an invalid config: %v", s, err)
		}
	})
}

// FuzzThreshold: a --fail-on expression either parses, and then checks a
// run without panicking, or is refused with a message naming the flag.
func FuzzThreshold(f *testing.F) {
	for _, s := range []string{"p99<250ms", "errors<1%", "errors=0", "rps>=1000", "rate_achieved>=99%", "p99.9<=1s", "max>0s", "p<1", "x=", "=="} {
		f.Add(s)
	}
	res := sampleResult()
	f.Fuzz(func(t *testing.T, s string) {
		th, err := report.ParseThreshold(s)
		if err != nil {
			if !strings.Contains(err.Error(), "--fail-on") {
				t.Fatalf("%q: error %q does not name the flag", s, err)
			}
			return
		}
		th.Check(res)
	})
}

// sampleResult is a small finished run for checks that need one.
func sampleResult() *loadgen.Result {
	u, _ := url.Parse("http://127.0.0.1:8080/")
	r := &loadgen.Result{Config: loadgen.Config{Threads: 1, Connections: 1, Rate: 10, Target: loadgen.Target{URL: u, Method: "GET"}},
		Duration: time.Second, StatusCodes: map[int]uint64{200: 9, 503: 1},
		Latency: loadgen.NewHistogram(), Service: loadgen.NewHistogram(), SendLag: loadgen.NewHistogram(), TimerLag: loadgen.NewHistogram()}
	r.Counts.Sent, r.Counts.Completed, r.Counts.Status = 10, 10, 1
	for i := range 10 {
		r.Latency.RecordValue(int64(1000 * (i + 1)))
	}
	return r
}
