package loadgen

import (
	"fmt"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// Result is everything a run measured; every report renders one. Histograms
// hold microseconds and have the geometry of NewHistogram.
type Result struct {
	// Config is the configuration the run used.
	Config Config
	// Start and End bound the run; Duration is End - Start on the monotonic clock.
	Start, End time.Time
	Duration   time.Duration
	// Interrupted is true when the run was stopped early (SIGINT, SIGTERM).
	Interrupted bool
	Counts      Counts
	// StatusCodes counts responses by status code (0: a code above 999).
	StatusCodes map[int]uint64
	// ErrorMessages are the first few distinct error texts, by class.
	ErrorMessages []ErrorMessage
	// Latency is end of response minus intended start: under a rate schedule
	// the intended (due) time, in closed loop the send time. Timed-out requests
	// are in it under a schedule (at their timeout), not in closed loop.
	Latency *hdrhistogram.Histogram
	// Service is end of response minus actual send (wrk2's uncorrected latency).
	Service *hdrhistogram.Histogram
	// SendLag is actual send minus due time, for scheduled requests.
	SendLag *hdrhistogram.Histogram
	// TimerLag is how late the send timer fired for requests whose connection
	// was idle before they were due: the generator's own lateness.
	TimerLag *hdrhistogram.Histogram
	// Conn is what the first connection negotiated (protocol, TLS).
	Conn ConnInfo
	// CPU is the CPU time (user + system) gowrk's process used during the
	// run; 0 where it is not measured.
	CPU time.Duration
	// ReqRate holds the per-thread requests-per-second samples (wrk's Req/Sec),
	// one every 100 ms per thread.
	ReqRate *hdrhistogram.Histogram
}

// CPUBusy is the share of the threads' available CPU time that gowrk used:
// 1 means every thread was busy all the time.
func (r *Result) CPUBusy() float64 {
	if r.Duration <= 0 || r.Config.Threads <= 0 {
		return 0
	}
	return r.CPU.Seconds() / (r.Duration.Seconds() * float64(r.Config.Threads))
}

// RequestsPerSec is completed responses per second (wrk's Requests/sec).
func (r *Result) RequestsPerSec() float64 { return perSec(r.Counts.Completed, r.Duration) }

// BytesReadPerSec is bytes read per second (wrk's Transfer/sec).
func (r *Result) BytesReadPerSec() float64 { return perSec(r.Counts.BytesRead, r.Duration) }

// BytesWrittenPerSec is bytes written per second.
func (r *Result) BytesWrittenPerSec() float64 { return perSec(r.Counts.BytesWritten, r.Duration) }

func perSec(n uint64, d time.Duration) float64 {
	if d <= 0 {
		return 0
	}
	return float64(n) / d.Seconds()
}

// Thresholds behind the verdicts, documented in the README.
const (
	// RateShortfall: an achieved rate below this share of the target is reported.
	RateShortfall = 0.99
	// TimerLagLimit: a p99 timer lateness above this means the generator
	// itself fell behind its schedule (CPU saturated or descheduled).
	TimerLagLimit = 10 * time.Millisecond
	// CPUSaturated: gowrk using more than this share of its threads' CPU
	// time means the generator itself may be the bottleneck.
	CPUSaturated = 0.9
	// TroubleShare: errors above this share of ended requests get a hint line.
	TroubleShare = 0.10
)

// RateVerdict explains a constant-rate run that missed its schedule, in one
// line with the likely cause and the fix; "" when the run held its schedule
// or was not a constant-rate run.
func (r *Result) RateVerdict() string {
	target := r.Config.Rate
	if target <= 0 || r.Duration <= 0 {
		return ""
	}
	achieved := r.RequestsPerSec()
	timerP99 := time.Duration(r.TimerLag.ValueAtQuantile(99)) * time.Microsecond
	if timerP99 > TimerLagLimit {
		return fmt.Sprintf("gowrk fell behind its own schedule: p99 timer lateness %s with idle connections (generator CPU saturated?); use more --threads, a lower --rate, or run gowrk on a less loaded machine",
			timerP99)
	}
	if achieved >= RateShortfall*target {
		return ""
	}
	if busy := r.CPUBusy(); busy > CPUSaturated {
		return fmt.Sprintf("achieved %.1f of %.0f requests/s: gowrk's CPU is saturated (%.0f%% of %d threads busy), so it, not only the server, limits the rate; use more --threads (and cores), or run the server on other cores",
			achieved, target, 100*busy, r.Config.Threads)
	}
	meanSvc := time.Duration(r.Service.Mean()) * time.Microsecond
	need := int(target*meanSvc.Seconds()*1.5) + 1
	if r.Counts.Errors() > 0 && r.Counts.Completed == 0 {
		return fmt.Sprintf("achieved %.1f of %.0f requests/s: no request completed (%d errors); check the target", achieved, target, r.Counts.Errors())
	}
	if slots := r.Config.slots(); need > slots {
		return fmt.Sprintf("achieved %.1f of %.0f requests/s: too few connections for rate x latency (%.0f/s x %s mean service time needs about %d concurrent requests; have %d); try -c %d",
			achieved, target, target, meanSvc, need, slots, (need+r.Config.streams()-1)/r.Config.streams())
	}
	return fmt.Sprintf("achieved %.1f of %.0f requests/s: the server could not keep up (mean service time %s, max send lag %s); the latency figures include the wait",
		achieved, target, meanSvc, time.Duration(r.SendLag.Max())*time.Microsecond)
}

// StreamsHint says when the server allows fewer concurrent streams per
// connection than --streams asked for; "" otherwise.
func (r *Result) StreamsHint() string {
	m := r.Conn.MaxStreams
	if m == 0 || r.Config.Streams <= int(m) {
		return ""
	}
	return fmt.Sprintf("the server allows %d concurrent streams per connection (SETTINGS_MAX_CONCURRENT_STREAMS), fewer than --streams %d: the other requests waited on their connection, so concurrency was %d, not %d; use --streams %d and more connections",
		m, r.Config.Streams, r.Config.Connections*int(m), r.Config.slots(), m)
}

// Warnings are every one-line verdict and hint about the run, in order.
func (r *Result) Warnings() []string {
	var out []string
	for _, w := range []string{r.RateVerdict(), r.StreamsHint(), r.TroubleHint()} {
		if w != "" {
			out = append(out, w)
		}
	}
	return out
}

// TroubleHint explains, in one line, a run where timeouts or errors were a
// large share of the requests: what happened and what to try. "" otherwise.
func (r *Result) TroubleHint() string {
	c := &r.Counts
	if c.Ports > 0 {
		return fmt.Sprintf("%d connection attempts failed because this machine ran out of ephemeral ports (EADDRNOTAVAIL): the server closes connections and they wait in TIME_WAIT; let the server keep connections alive, widen net.ipv4.ip_local_port_range, or set net.ipv4.tcp_tw_reuse=1",
			c.Ports)
	}
	ended := c.Completed + c.Failed()
	if ended == 0 {
		if c.Connect > 0 {
			return fmt.Sprintf("all %d connection attempts failed (%s); check that the server is listening at %s",
				c.Connect, r.firstMessage("connect"), r.Config.Target.URL.Host)
		}
		return ""
	}
	if c.Timeout > 0 && float64(c.Timeout) >= TroubleShare*float64(ended) {
		cover := fmt.Sprintf("the latency figures cover the %d that completed", c.Completed)
		if r.Config.Rate > 0 {
			cover = "the corrected latency figures include them at the time they waited"
		}
		return fmt.Sprintf("%d of %d requests timed out after %s; %s; the server answered about %.0f requests/s with %d connections waiting; try --timeout %s or fewer connections",
			c.Timeout, ended, r.Config.Timeout, cover, r.RequestsPerSec(), r.Config.Connections, suggestTimeout(r.Config.Timeout))
	}
	if bad := c.Failed() - c.Timeout; float64(bad) >= TroubleShare*float64(ended) {
		return fmt.Sprintf("%d of %d requests failed with read, write or HTTP/2 errors (%s); the server closed or reset connections or streams under load",
			bad, ended, r.firstMessage(""))
	}
	return ""
}

func (r *Result) firstMessage(class string) string {
	for _, m := range r.ErrorMessages {
		if class == "" || m.Class == class {
			return m.Message
		}
	}
	return "no message"
}

func suggestTimeout(cur time.Duration) time.Duration {
	if cur < 30*time.Second {
		return 30 * time.Second
	}
	return cur * 2
}
