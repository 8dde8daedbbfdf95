package loadgen

import (
	"context"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"
	"testing/synctest"
	"time"
)

// stallExpectation returns the corrected latency at percentile q of a run at
// a constant rate for d with one stall of p: a share p/d of the requests was
// due during the stall and waited for its end, so their latencies spread
// evenly from p down to 0; the rest took the service time svc.
func stallExpectation(q float64, d, p, svc time.Duration) time.Duration {
	f := p.Seconds() / d.Seconds()
	below := 1 - f
	if q/100 <= below {
		return svc
	}
	return time.Duration((q/100-below)/f*float64(p)) + svc
}

// TestStallCorrectedLatency runs the constant-rate schedule against a fake
// server that stalls for 1 s, on synctest's exact clock, and checks the
// corrected percentiles against the stall's arithmetic.
func TestStallCorrectedLatency(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const (
			d   = 4 * time.Second
			p   = time.Second
			svc = 100 * time.Microsecond
		)
		cfg := fakeConfig()
		cfg.Rate = 1000
		eng := &fakeEngine{service: svc}
		eng.stallFrom = time.Now().Add(1500 * time.Millisecond)
		eng.stallTo = eng.stallFrom.Add(p)
		res, err := Run(context.Background(), cfg, eng)
		if err != nil {
			t.Fatal(err)
		}
		if got := res.Counts.Completed; got != 4000 {
			t.Fatalf("completed %d, want 4000 (1000/s for 4s)", got)
		}
		// The tolerance: HTTP/1.1 has one request in flight per connection,
		// so after the stall each of the 20 connections sends its backlog of
		// p x 50/s = 50 requests one service time apart: the j-th waits j x svc
		// more than the ideal, at most 50 x 100 us = 5 ms; plus one service
		// time and HdrHistogram's 0.1%. p75 is left out: it falls exactly on
		// the edge between the stalled quarter and the rest.
		const tol = 50*svc + svc
		for _, q := range []float64{50, 90, 99, 99.9} {
			want := stallExpectation(q, d, p, svc)
			got := time.Duration(res.Latency.ValueAtQuantile(q)) * time.Microsecond
			if absDiff(got, want) > tol+want/1000 {
				t.Errorf("corrected p%v = %s, want %s ± %s", q, got, want, tol)
			}
		}
		if max := time.Duration(res.Latency.Max()) * time.Microsecond; absDiff(max, p+svc) > tol+p/1000 {
			t.Errorf("corrected max = %s, want %s", max, p+svc)
		}
		// The naive (service time) view hides the stall: only one request
		// per connection (20 of 4000) saw it.
		if u99 := time.Duration(res.Service.ValueAtQuantile(99)) * time.Microsecond; u99 > 2*svc {
			t.Errorf("uncorrected p99 = %s, want about the service time %s", u99, svc)
		}
		if res.SendLag.Max() < (p - 100*time.Millisecond).Microseconds() {
			t.Errorf("max send lag %d us, want close to the stall %s", res.SendLag.Max(), p)
		}
		if v, ok := res.RateFinding(); ok {
			t.Errorf("verdict %+v for a run that achieved its rate", v)
		}
	})
}

// TestRateTooFewConnections: at 1000/s with 2 connections and a 10 ms
// service time the most possible is 200/s; the verdict names connections.
func TestRateTooFewConnections(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfg := fakeConfig()
		cfg.Rate, cfg.Connections, cfg.Threads, cfg.Duration = 1000, 2, 1, 2*time.Second
		res, err := Run(context.Background(), cfg, &fakeEngine{service: 10 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		if got := res.RequestsPerSec(); got < 190 || got > 201 {
			t.Errorf("achieved %.1f/s, want about 200", got)
		}
		if v, _ := res.RateFinding(); v.Kind != RateTooFewConnections || v.Need <= v.Have || v.Have != 2 {
			t.Errorf("verdict %+v, want too few connections", v)
		}
	})
}

// TestRateTimeoutsCounted: under a schedule, timed-out requests are in the
// corrected histogram at no less than the timeout.
func TestRateTimeoutsCounted(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfg := fakeConfig()
		cfg.Rate, cfg.Duration, cfg.Timeout = 100, 3*time.Second, 500*time.Millisecond
		cfg.TimeoutAction = TimeoutAbort
		res, err := Run(context.Background(), cfg, &fakeEngine{never: true})
		if err != nil {
			t.Fatal(err)
		}
		c := res.Counts
		if c.Timeout == 0 || int64(c.Timeout) != res.Latency.TotalCount() {
			t.Fatalf("timeouts %d, corrected histogram holds %d", c.Timeout, res.Latency.TotalCount())
		}
		// Min is quantized down to its HdrHistogram bucket (0.1%).
		if min := res.Latency.Min(); !res.Latency.ValuesAreEquivalent(min, cfg.Timeout.Microseconds()) && min < cfg.Timeout.Microseconds() {
			t.Errorf("smallest corrected latency %d us, below the timeout", min)
		}
		if c.Sent != c.Timeout+c.InFlight {
			t.Errorf("accounting: %+v", c)
		}
	})
}

// TestRateTimeoutWait: under TimeoutWait (the default) a request that takes
// longer than --timeout is answered, counted late, and in the figures at its
// true latency; the schedule and the server's load are unchanged.
func TestRateTimeoutWait(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfg := fakeConfig()
		cfg.Rate, cfg.Duration, cfg.Timeout = 100, 3*time.Second, 100*time.Millisecond
		eng := &fakeEngine{service: 150 * time.Millisecond}
		res, err := Run(context.Background(), cfg, eng)
		if err != nil {
			t.Fatal(err)
		}
		c := res.Counts
		if c.Timeout != 0 || c.Late == 0 || c.Late != c.Completed {
			t.Fatalf("want every completed request late and none abandoned: %+v", c)
		}
		if c.TimedOut() != c.Late+c.LateInFlight {
			t.Errorf("timed out %d, late %d, late in flight %d", c.TimedOut(), c.Late, c.LateInFlight)
		}
		if got := eng.requests.Load(); got != int64(c.Sent) || c.Sent != c.Completed+c.InFlight {
			t.Errorf("server saw %d, accounting %+v", got, c)
		}
		if min := res.Latency.Min(); min < 149_000 {
			t.Errorf("smallest latency %d us, below the 150 ms service time", min)
		}
		// 100/s for 3 s, with 15 requests in flight at the stop: nothing
		// due was left unsent, and the verdict sees no shortfall.
		if c.Sent+c.Unsent < 299 || c.Unsent > 1 {
			t.Errorf("sent %d, unsent %d: want 300 due, all sent", c.Sent, c.Unsent)
		}
		if v, ok := res.RateFinding(); ok {
			t.Errorf("verdict %+v, want none: the server kept up", v)
		}
	})
}

// TestClosedLoopFixedService: with no schedule, 20 connections and a 1 ms
// service time make 20000 requests/s, each with latency = service time.
func TestClosedLoopFixedService(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfg := fakeConfig()
		cfg.Duration = time.Second
		res, err := Run(context.Background(), cfg, &fakeEngine{service: time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		if got := res.Counts.Completed; got < 19980 || got > 20000 {
			t.Errorf("completed %d, want 20000", got)
		}
		if p := res.Latency.ValueAtQuantile(99.99); p != 1000 {
			t.Errorf("p99.99 = %d us, want 1000", p)
		}
		if res.SendLag.TotalCount() != 0 {
			t.Error("send lag recorded in closed loop")
		}
		if c := res.Counts; c.Sent != c.Completed+c.InFlight {
			t.Errorf("accounting: %+v", c)
		}
		// Req/Sec: 10 samples per thread, each about 10000/s.
		if m := res.ReqRate.Mean() / ReqRateScale; m < 9000 || m > 11000 {
			t.Errorf("Req/Sec mean %.0f, want about 10000", m)
		}
	})
}

// TestPortsExhausted: dials failing with EADDRNOTAVAIL are their own class.
func TestPortsExhausted(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfg := fakeConfig()
		cfg.Duration, cfg.Requests = 0, 50
		res, err := Run(context.Background(), cfg, refusingEngine{&net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.EADDRNOTAVAIL)}})
		if err != nil {
			t.Fatal(err)
		}
		// Every first dial failed: the run stops after one dial per
		// worker (20) plus the run's own first one.
		if c := res.Counts; c.Ports != 21 || c.Connect != 0 || c.Sent != 0 {
			t.Errorf("counts %+v, want 21 ports errors", c)
		}
		if !strings.Contains(res.Aborted, "no ephemeral port") {
			t.Errorf("aborted %q", res.Aborted)
		}
		if h, _ := res.troubleFinding(); h.Kind != PortsExhausted || h.Count != 21 {
			t.Errorf("finding %+v", h)
		}
	})
}
