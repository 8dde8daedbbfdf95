package report

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"strings"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
	"github.com/gowrk/gowrk/loadgen"
)

// Text writes wrk's report, line for line, so that scripts that parse wrk's
// output keep working. gowrk's own lines (protocol, accounting, rate, hints)
// come between wrk's error lines and its last two lines (Requests/sec,
// Transfer/sec), which stay last.
func Text(w io.Writer, r *loadgen.Result, o Options) error {
	b := bufio.NewWriter(w)
	cfg := &r.Config
	fmt.Fprintf(b, "Running %s test @ %s\n", runWhat(cfg, r.Duration), RedactURL(cfg.Target.URL))
	fmt.Fprintf(b, "  %d threads and %d connections", cfg.Threads, cfg.Connections)
	if cfg.Origins > 1 {
		fmt.Fprintf(b, " to each of %d origins", cfg.Origins)
	}
	if cfg.Streams > 1 {
		fmt.Fprintf(b, ", %d streams each", cfg.Streams)
	}
	b.WriteString("\n")
	fmt.Fprintf(b, "  Thread Stats%6s%11s%8s%12s\n", "Avg", "Stdev", "Max", "+/- Stdev")
	statsRow(b, "Latency", summarize(r.Latency), formatTimeUs)
	rs, rmax := rateSummary(r.ReqRate)
	statsRowF(b, "Req/Sec", rs, rmax, formatMetric)
	if o.Latency {
		fmt.Fprintf(b, "  Latency Distribution\n")
		for _, p := range []float64{50, 75, 90, 99} {
			v := "-" // no request completed
			if r.Latency.TotalCount() > 0 {
				v = formatTimeUs(float64(r.Latency.ValueAtQuantile(p)))
			}
			fmt.Fprintf(b, "%7.0f%%%s\n", p, padUnits(v, 10))
		}
		hdrBlock(b, r.Latency, "Recorded Latency", o.percentiles())
	}
	if o.ServiceTime {
		hdrBlock(b, r.Service, "Uncorrected Latency (measured without taking delayed starts into account)", o.percentiles())
	}
	c := &r.Counts
	fmt.Fprintf(b, "  %d requests in %s, %sB read\n", c.Completed, formatTimeUs(float64(r.Duration.Microseconds())), formatBinary(float64(c.BytesRead)))
	if isH2(r) {
		// h2load's traffic line: what came in, split.
		fmt.Fprintf(b, "  traffic: %sB total, %sB headers, %sB data; sent %sB, %sB headers, %sB data\n",
			formatBinary(float64(c.BytesRead)), formatBinary(float64(c.HeaderBytesRead)), formatBinary(float64(c.DataBytesRead)),
			formatBinary(float64(c.BytesWritten)), formatBinary(float64(c.HeaderBytesWritten)), formatBinary(float64(c.DataBytesWritten)))
	}
	// wrk's line, counting what wrk counts: timeout is the requests that
	// passed --timeout and were answered late or abandoned during the run;
	// those still waiting at the stop are on gowrk's own Timeouts line.
	if wrkTimeouts := c.Late + c.Timeout; c.Connect+c.Ports+c.Read+c.Write+wrkTimeouts > 0 {
		fmt.Fprintf(b, "  Socket errors: connect %d, read %d, write %d, timeout %d", c.Connect, c.Read, c.Write, wrkTimeouts)
		if c.Ports > 0 {
			fmt.Fprintf(b, ", ports %d", c.Ports)
		}
		fmt.Fprintln(b)
	}
	if c.Status > 0 {
		fmt.Fprintf(b, "  Non-2xx or 3xx responses: %d\n", c.Status)
	}
	if c.GoAway+c.Reset+c.Protocol > 0 {
		fmt.Fprintf(b, "  HTTP/2 errors: goaway %d, reset %d, protocol %d\n", c.GoAway, c.Reset, c.Protocol)
	}
	extraLines(b, r)
	// wrk's last two lines stay last, for the scripts that read them.
	fmt.Fprintf(b, "Requests/sec: %9.2f\n", r.RequestsPerSec())
	fmt.Fprintf(b, "Transfer/sec: %10sB\n", formatBinary(r.BytesReadPerSec()))
	return b.Flush()
}

// isH2 reports whether r ran over HTTP/2, where bytes split into header
// blocks and DATA.
func isH2(r *loadgen.Result) bool { return r.Conn.Protocol == "h2" || r.Conn.Protocol == "h2c" }

// runWhat says what the run was set to do, for wrk's "Running ... test"
// line: its duration as wrk writes it ("30s", "2m", "1.5s", "300ms"), or
// its request count for -n alone ("1000 requests").
func runWhat(cfg *loadgen.Config, took time.Duration) string {
	switch {
	case cfg.Duration > 0:
		return formatRunFor(cfg.Duration)
	case cfg.Requests > 0:
		return fmt.Sprintf("%d requests", cfg.Requests)
	}
	return formatRunFor(took)
}

// RunLabel is what a run is set to do, as wrk's "Running ... test" line
// says it, for the start line the CLI prints before the run.
func RunLabel(cfg *loadgen.Config) string { return runWhat(cfg, 0) }

// formatRunFor formats a run's length as wrk does ("30s", "2m"), or as a
// Go duration rounded to the millisecond when it is not whole seconds
// ("300ms", "1.5s").
func formatRunFor(d time.Duration) string {
	if d%time.Second != 0 {
		if d >= time.Millisecond {
			d = d.Round(time.Millisecond)
		}
		return strings.ReplaceAll(d.String(), "µs", "us")
	}
	return formatTimeS(math.Round(d.Seconds()))
}

func statsRow(b *bufio.Writer, name string, s summary, f func(float64) string) {
	statsRowF(b, name, s, float64(s.Max), f)
}

// pendingCause is what may hold connections in the opening at the stop:
// the TCP connect alone in cleartext HTTP/1.1; a handshake too over TLS or
// HTTP/2, which a server can accept and never answer.
func pendingCause(r *loadgen.Result) string {
	if r.Config.Target.URL != nil && r.Config.Target.URL.Scheme == "https" || isH2(r) {
		return "a full listen backlog, or a server that accepted and never answered the handshake?"
	}
	return "listen backlog full?"
}

// statsRowF prints one row of wrk's Thread Stats; a row with no sample (no
// completed request, or Req/Sec of a run shorter than its sampling
// interval) prints "-" in each column, not figures of 0.
func statsRowF(b *bufio.Writer, name string, s summary, maxV float64, f func(float64) string) {
	if s.Count == 0 {
		fmt.Fprintf(b, "    %-10s%s%s%s%9s\n", name, padUnits("-", 8), padUnits("-", 10), padUnits("-", 9), "-")
		return
	}
	fmt.Fprintf(b, "    %-10s%s%s%s%8.2f%%\n", name, padUnits(f(s.Mean), 8), padUnits(f(s.Stdev), 10), padUnits(f(maxV), 9), s.WithinStdev)
}

// hdrBlock prints wrk2's percentile tail and detailed spectrum.
func hdrBlock(b *bufio.Writer, h *hdrhistogram.Histogram, what string, ps []float64) {
	fmt.Fprintf(b, "  Latency Distribution (HdrHistogram - %s)\n", what)
	for _, p := range append(append([]float64{}, ps...), 100) {
		fmt.Fprintf(b, "%7.3f%%%s\n", p, padUnits(formatTimeUs(float64(h.ValueAtQuantile(p))), 10))
	}
	fmt.Fprintf(b, "\n  Detailed Percentile spectrum:\n")
	spectrum(b, h)
	fmt.Fprintf(b, "----------------------------------------------------------\n")
}

// spectrum prints the histogram in HdrHistogram's classic percentile format,
// values in milliseconds, as wrk2 does.
func spectrum(b *bufio.Writer, h *hdrhistogram.Histogram) {
	fmt.Fprintf(b, "%12s %12s %12s %12s\n\n", "Value", "Percentile", "TotalCount", "1/(1-Percentile)")
	if h.TotalCount() > 0 {
		for _, br := range h.CumulativeDistributionWithTicks(5) {
			q := br.Quantile / 100
			inv := fmt.Sprintf("%12.2f", 1/(1-q))
			if q >= 1 {
				inv = fmt.Sprintf("%12s", "inf")
			}
			fmt.Fprintf(b, "%12.3f %12.6f %12d %s\n", float64(br.ValueAt)/1000, q, br.Count, inv)
		}
	}
	fmt.Fprintf(b, "#[Mean    = %12.3f, StdDeviation   = %12.3f]\n", h.Mean()/1000, h.StdDev()/1000)
	fmt.Fprintf(b, "#[Max     = %12.3f, Total count    = %12d]\n", float64(h.Max())/1000, h.TotalCount())
}

// stepTable prints the per-step figures of a rate shape: each step's
// requests are those due in it. p50, p99 and p99.9 are of its completed
// requests; the "due" ones over every request due in it, the censored (in
// flight or unsent at the stop) at their lower bound.
func stepTable(b *bufio.Writer, r *loadgen.Result) {
	fmt.Fprintf(b, "Steps of %s (requests by the step they were due in; p50-p99.9 of completed requests, due pNN over every due request, >= a lower bound):\n  %8s %10s %10s %10s %10s %10s %8s %9s", r.Config.Shape, "at", "target/s", "achieved/s", "p50", "p99", "p99.9", "errors", "in flight")
	for _, h := range stepDueHeads() {
		fmt.Fprintf(b, " %11s", h)
	}
	fmt.Fprintln(b)
	for k := range r.Steps {
		st := &r.Steps[k]
		fmt.Fprintf(b, "  %8s %10s %10.1f %10s %10s %10s %8d %9d", formatRunFor(st.Start),
			RateText(r.Config.TargetBetween(st.Start, st.Start+st.Duration)), st.AchievedPerSec(),
			formatTimeUs(float64(st.Latency.ValueAtQuantile(50))), formatTimeUs(float64(st.Latency.ValueAtQuantile(99))),
			formatTimeUs(float64(st.Latency.ValueAtQuantile(99.9))), st.Failed, st.InFlight)
		for _, c := range stepDueCells(st) {
			fmt.Fprintf(b, " %11s", c)
		}
		fmt.Fprintln(b)
	}
}

// extraLines prints what wrk does not: accounting of requests left out of
// the figures, the rate verdict and the hint for troubled runs.
func extraLines(b *bufio.Writer, r *loadgen.Result) {
	c := &r.Counts
	if r.Conn.Protocol != "" {
		fmt.Fprintf(b, "Protocol: %s", r.Conn.Protocol)
		if r.Conn.TLSVersion != "" {
			fmt.Fprintf(b, " over %s (%s)", r.Conn.TLSVersion, r.Conn.CipherSuite)
		}
		if r.Config.Engine != "" {
			fmt.Fprintf(b, ", engine %s", r.Config.Engine)
		}
		if r.Config.Pipeline > 1 {
			fmt.Fprintf(b, ", %d requests pipelined per connection", r.Config.Pipeline)
		}
		fmt.Fprintln(b)
	}
	quicLine(b, r.Conn.QUIC)
	phaseBlock(b, r)
	shardLines(b, r)
	if w := r.Warmup; w != nil {
		fmt.Fprintf(b, "Warm-up: %s, %d requests, %d errors (left out of every figure here)\n", formatRunFor(w.Duration), w.Counts.Completed, w.Counts.Errors())
	}
	if r.Interrupted {
		fmt.Fprintln(b, InterruptedText(r))
	}
	if r.Aborted != "" {
		fmt.Fprintf(b, "Stopped early after %s: %s\n", r.Duration.Round(time.Millisecond), Aborted(r))
	}
	if c.InFlight > 0 {
		fmt.Fprintf(b, "In flight at stop: %d (sent, neither answered nor failed when the run ended)\n", c.InFlight)
	}
	if c.Unsent > 0 {
		fmt.Fprintf(b, "Unsent at stop: %d (due under the schedule before the stop, never sent)\n", c.Unsent)
	}
	if l := dueLine(r, textPercentiles); l != "" {
		fmt.Fprintln(b, l)
	}
	if c.ConnectPending > 0 {
		fmt.Fprintf(b, "Connects pending at stop: %d (connections still being opened when the run ended: %s)\n", c.ConnectPending, pendingCause(r))
	}
	if to := c.TimedOut(); to > 0 {
		fmt.Fprintf(b, "Timeouts: %d passed --timeout %s: %d answered late (in the latency figures), %d still waiting at the stop, %d abandoned\n",
			to, strings.ReplaceAll(r.Config.Timeout.String(), "µs", "us"), c.Late, c.LateInFlight, c.Timeout)
	}
	if l := openedLine(r); l != "" {
		fmt.Fprintln(b, l)
	}
	if c.Reconnects > 0 {
		fmt.Fprintf(b, "Reconnects: %d (the server had closed idle keep-alive connections; those requests went out again on new ones, and their first writes count in sent)\n", c.Reconnects)
	}
	if c.IdleClosed > 0 {
		fmt.Fprintf(b, "Idle-closed: %d %s requests met a keep-alive connection the server had closed, and were not sent again (not idempotent)\n", c.IdleClosed, r.Config.Target.Method)
	}
	for _, m := range r.ErrorMessages {
		fmt.Fprintf(b, "Error: %s: %s (%d)\n", m.Class, m.Message, m.Count)
	}
	if c.LatencyExcluded > 0 {
		fmt.Fprintf(b, "Latency excludes: %d failed or timed-out requests\n", c.LatencyExcluded)
	}
	if c.Clipped > 0 {
		fmt.Fprintf(b, "Latency clipped: %d values above 1h recorded as 1h\n", c.Clipped)
	}
	if r.Config.Shape != nil {
		stepTable(b, r)
	}
	if len(r.Targets) > 0 {
		targetTable(b, r)
	}
	if r.Config.Rate > 0 {
		fmt.Fprintf(b, "Rate: target %s/s, achieved %.2f/s (answered %.2f/s, the rest in flight at the stop), sent %d of %d due, max send lag %s, gowrk CPU %.0f%% of %d threads%s\n",
			RateText(r.Config.Rate), r.AchievedRate(), r.RequestsPerSec(), c.Sent, r.Due(),
			formatTimeUs(float64(r.SendLag.Max())), 100*r.CPUBusy(), r.Config.Threads, machineText(r.MachineBusy))
		if r.TimerLag.TotalCount() > 0 {
			fmt.Fprintf(b, "Timer lateness: p50 %s, p99 %s (gowrk's own wake-up delay for idle connections; part of the latency above)\n",
				formatTimeUs(float64(r.TimerLag.ValueAtQuantile(50))), formatTimeUs(float64(r.TimerLag.ValueAtQuantile(99))))
		}
		if r.Counts.Timeout > 0 {
			fmt.Fprintf(b, "Latency includes: %d abandoned requests, each at its time waited (at least %s)\n", c.Timeout, r.Config.Timeout)
		}
	}
	if r.Sampled() {
		fmt.Fprintf(b, "Sampled: %s\n", SampleText(r.Sample))
	}
	for _, w := range FindingWarnings(r) { // (why it stopped early is above: an error)
		fmt.Fprintf(b, "Warning: %s\n", w)
	}
}

// quicLine prints what QUIC adds under HTTP/3 (QUICSummary).
func quicLine(b *bufio.Writer, q *loadgen.QUICInfo) {
	if q != nil {
		fmt.Fprintf(b, "QUIC: %s\n", QUICSummary(q))
	}
}

// QUICSummary says what QUIC adds under HTTP/3, for every report: the
// handshakes, the RTT and the losses quic-go measured, the UDP buffers in
// effect.
func QUICSummary(q *loadgen.QUICInfo) string {
	return fmt.Sprintf("%d handshakes (mean %s, max %s), smoothed RTT %s (max %s), %d of %d packets lost, UDP buffers %d/%d KiB (recv/send)",
		q.Handshakes, formatTimeUs(float64(q.HandshakeMeanUs)), formatTimeUs(float64(q.HandshakeMaxUs)),
		formatTimeUs(float64(q.SmoothedRTTUs)), formatTimeUs(float64(q.MaxRTTUs)), q.PacketsLost, q.PacketsSent,
		q.UDPRecvBuffer/1024, q.UDPSendBuffer/1024)
}
