package report

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/gowrk/gowrk/loadgen"
)

// Warnings are every one-line verdict and hint about the run, in order:
// why gowrk stopped it early (Aborted), then FindingWarnings. JSON's
// warnings and the HTML page's notes print these; text and the CLI's
// stderr print why it stopped as an error, apart.
func Warnings(r *loadgen.Result) []string {
	var out []string
	if r.Aborted != "" {
		out = append(out, Aborted(r))
	}
	if r.Sampled() {
		out = append(out, SampleText(r.Sample))
	}
	return append(out, FindingWarnings(r)...)
}

// SampleText says that a report's request figures are a sample's: it was
// rebuilt from a log that kept the share sample of the requests.
func SampleText(sample float64) string {
	return fmt.Sprintf("rebuilt from a log that keeps %g%% of the requests (--log-sample %g): the counts of ended requests, the status codes and the latencies are the sample's, the rest (sent, bytes, connections) the whole run's", sample*100, sample)
}

// InterruptedText is the sentence of a run that was interrupted (Ctrl-C,
// SIGTERM) before its end.
func InterruptedText(r *loadgen.Result) string {
	return fmt.Sprintf("Interrupted after %s: figures cover the run so far.", r.Duration.Round(time.Millisecond))
}

// FindingWarnings are the sentences of the run's findings (FindingText),
// redacted (a script's error may quote a secret).
func FindingWarnings(r *loadgen.Result) []string {
	var out []string
	for _, f := range r.Findings() {
		out = append(out, RedactText(FindingText(r, f)))
	}
	return out
}

// RateVerdict is the sentence of the run's rate verdict; "" when it has none.
func RateVerdict(r *loadgen.Result) string {
	if f, ok := r.RateFinding(); ok {
		return FindingText(r, f)
	}
	return ""
}

// FindingText is the one sentence for a finding: what happened, with the
// figures that show it, and what to do (with gowrk's flag names). It is
// the only place that words a loadgen.Finding.
func FindingText(r *loadgen.Result, f loadgen.Finding) string {
	cfg := &r.Config
	if f.Kind.Rate() {
		return rateVerdictText(r, f)
	}
	switch f.Kind {
	case loadgen.UDPBuffersCapped:
		return fmt.Sprintf("the kernel capped the UDP socket buffers at %d KiB, below the %d KiB that QUIC (quic-go) asks for: at high rates datagrams may be dropped and retransmitted, and count as QUIC losses; raise net.core.rmem_max and net.core.wmem_max (sysctl -w net.core.rmem_max=%d net.core.wmem_max=%d) or run as root",
			f.Limit/1024, f.Need/1024, f.Need, f.Need)
	case loadgen.StreamsLimited:
		return fmt.Sprintf("the server allows %d concurrent streams per connection (SETTINGS_MAX_CONCURRENT_STREAMS), fewer than --streams %d: the other requests waited on their connection, so concurrency was %d, not %d; use --streams %d and more connections",
			f.Limit, cfg.Streams, f.Have, f.Need, f.Limit)
	case loadgen.PortsExhausted:
		return fmt.Sprintf("%d connection attempts failed because this machine ran out of ephemeral ports (EADDRNOTAVAIL): the server closes connections and they wait in TIME_WAIT; let the server keep connections alive, widen net.ipv4.ip_local_port_range, or set net.ipv4.tcp_tw_reuse=1",
			f.Count)
	case loadgen.ConnectTimeouts:
		return fmt.Sprintf("%d connection attempts timed out after --connect-timeout %s with no answer to the connect: the server's listen backlog is probably full (it accepts connections more slowly than -c %d opens them); use fewer connections, raise the server's backlog (and net.core.somaxconn), or a longer --connect-timeout",
			f.Count, durText(cfg.ConnectTimeout), cfg.Connections)
	case loadgen.ConnectsFailed:
		return fmt.Sprintf("all %d connection attempts failed (%s); check that the server is listening at %s",
			f.Count, orNone(f.Message), cfg.Target.URL.Host)
	case loadgen.NoResponse:
		return fmt.Sprintf("no response came: all %d requests were still waiting at the stop, %d of them longer than --timeout %s", f.Count, f.LateInFlight, durText(cfg.Timeout))
	case loadgen.TimeoutsAbandoned:
		return fmt.Sprintf("%d of %d requests sent passed --timeout %s and were abandoned (--timeout-action abort): each closed its connection and the next request went out at once on a new one; a server that cannot cancel work it has queued (a thread pool) kept serving the abandoned requests, so the %.1f requests/s answered measure gowrk's retries as much as the server; the default, --timeout-action wait, keeps the load unchanged",
			f.Count, f.Of, durText(cfg.Timeout), f.Answered)
	case loadgen.TimeoutsLate:
		return fmt.Sprintf("%d of %d requests sent passed --timeout %s: %d were answered late (in the latency figures at their true latency), %d were still waiting at the stop; the server answered %.1f requests/s with up to %d requests waiting at once: if that is its capacity, fewer connections give the same rate with less waiting",
			f.Count, f.Of, durText(cfg.Timeout), f.Late, f.LateInFlight, f.Answered, f.Have)
	case loadgen.TransportErrors:
		return fmt.Sprintf("%d of %d requests failed with read, write or HTTP/2 errors (%s); the server closed or reset connections or streams under load",
			f.Count, f.Of, orNone(f.Message))
	case loadgen.AllStatusErrors:
		also := ""
		if r.StatusCodes[400] == f.Count && cfg.Target.URL.Scheme == "http" {
			also = " (a 400 to every request is what an HTTPS port answers to plain HTTP: try https://)"
		}
		return fmt.Sprintf("every one of the %d responses had a status of 400 or more (%s); check the URL's path, the method and the headers%s", f.Count, statusText(r.StatusCodes), also)
	case loadgen.CensoredTail:
		q := float64(loadgen.CensoredTailQuantile)
		dp := r.DuePercentiles(q)[0]
		return fmt.Sprintf("%d of %d requests due (%.1f%%) were still waiting at the stop, more than the %g%% tail a p%g describes: the p%g of completed requests (%s) leaves them out, and over every due request p%g is %s; run longer, or with fewer connections, to measure it",
			f.Count, f.Of, 100*float64(f.Count)/float64(max(f.Of, 1)), 100-q, q, q,
			formatTimeUs(float64(r.Latency.ValueAtQuantile(q))), q, dueText(dp.Value, dp.LowerBound))
	case loadgen.GeneratorCPU:
		return fmt.Sprintf("gowrk's own CPU was saturated (%.0f%% of %d threads busy): it, not only the server, may have been the bottleneck; add -t (with the cores to run them), or run the server on other cores",
			100*f.CPUBusy, cfg.Threads)
	}
	return f.Kind.String()
}

// rateVerdictText words a constant-rate run's verdict.
func rateVerdictText(r *loadgen.Result, f loadgen.Finding) string {
	cfg := &r.Config
	behind := fmt.Sprintf("sent %.1f of %s requests/s (%d of %d due were not sent)", f.Sent, RateText(f.Target), f.Count, f.Of)
	switch f.Kind {
	case loadgen.RateNoCompletion:
		return fmt.Sprintf("no request completed (%d errors); check the target", f.Count)
	case loadgen.RateGeneratorCPU:
		return fmt.Sprintf("%s: gowrk's CPU is saturated (%.0f%% of %d threads busy), so it, not only the server, limits the rate; use more --threads (and cores), or run the server on other cores",
			behind, 100*f.CPUBusy, cfg.Threads)
	case loadgen.RateMachineBusy:
		return fmt.Sprintf("the machine was busy: its CPUs were %.0f%% busy over the run (gowrk's own threads %.0f%% of %d), so gowrk waited for a CPU and its timer ran late (p99 %s, against a %s mean service time); the server on the same machine or other processes took the CPU: run gowrk and the server on separate cores or machines, or on a quieter machine",
			100*f.MachineBusy, 100*f.CPUBusy, cfg.Threads, durText(f.TimerP99), durText(f.Service))
	case loadgen.RateGeneratorLate:
		return fmt.Sprintf("gowrk fell behind its own schedule: p99 timer lateness %s, more than the %s mean service time and the %s between requests, with its CPU %.0f%% of %d threads%s (a pause in gowrk itself); use more --threads, or a lower --rate",
			durText(f.TimerP99), durText(f.Service), durText(time.Duration(float64(time.Second)/f.Target)), 100*f.CPUBusy, cfg.Threads, machineText(f.MachineBusy))
	case loadgen.RateQueueGrew:
		return fmt.Sprintf("every request went out on schedule, but the server could not keep up: it answered %.1f of the %.1f requests/s sent, and %d were still waiting at the stop (mean service time %s); the latency figures include the wait",
			f.Answered, f.Sent, f.InFlight, durText(f.Service))
	case loadgen.RateTooFewConnections:
		streams := max(cfg.Streams, 1)
		return fmt.Sprintf("%s: too few connections for rate x latency (%s/s x %s fastest service time needs about %d concurrent requests; have %d); try -c %d",
			behind, RateText(f.Target), durText(f.ServiceMin), f.Need, f.Have, (f.Need+streams-1)/streams)
	}
	return fmt.Sprintf("%s: the server could not keep up: it answered %.1f/s with every one of the %d connections waiting on it (mean service time %s, its fastest %s; max send lag %s; gowrk CPU %.0f%% of %d threads); more connections help only if the server has idle workers; the latency figures include the wait",
		behind, f.Answered, f.Have, durText(f.Service), durText(f.ServiceMin), durText(f.SendLagMax), 100*f.CPUBusy, cfg.Threads)
}

// jsonFinding is a finding in the JSON report: its kind, its sentence,
// and the figures that prove it (those its kind does not set are left out).
type jsonFinding struct {
	Kind          string  `json:"kind"`
	Text          string  `json:"text"`
	Count         uint64  `json:"count,omitempty"`
	Of            uint64  `json:"of,omitempty"`
	Target        float64 `json:"target_per_sec,omitempty"`
	Sent          float64 `json:"sent_per_sec,omitempty"`
	Answered      float64 `json:"answered_per_sec,omitempty"`
	InFlight      uint64  `json:"in_flight,omitempty"`
	Late          uint64  `json:"late,omitempty"`
	LateInFlight  uint64  `json:"late_in_flight,omitempty"`
	ServiceMeanUs int64   `json:"service_mean_us,omitempty"`
	ServiceMinUs  int64   `json:"service_min_us,omitempty"`
	TimerLagP99Us int64   `json:"timer_lag_p99_us,omitempty"`
	MaxSendLagUs  int64   `json:"max_send_lag_us,omitempty"`
	CPUBusy       float64 `json:"cpu_busy,omitempty"`
	MachineBusy   float64 `json:"machine_cpu_busy,omitempty"`
	Need          int     `json:"need,omitempty"`
	Have          int     `json:"have,omitempty"`
	Limit         int     `json:"limit,omitempty"`
}

func findingsOf(r *loadgen.Result) []jsonFinding {
	out := []jsonFinding{}
	for _, f := range r.Findings() {
		out = append(out, jsonFinding{Kind: f.Kind.String(), Text: FindingText(r, f), Count: f.Count, Of: f.Of,
			Target: f.Target, Sent: f.Sent, Answered: f.Answered, InFlight: f.InFlight, Late: f.Late, LateInFlight: f.LateInFlight,
			ServiceMeanUs: f.Service.Microseconds(), ServiceMinUs: f.ServiceMin.Microseconds(), TimerLagP99Us: f.TimerP99.Microseconds(), MaxSendLagUs: f.SendLagMax.Microseconds(),
			CPUBusy: f.CPUBusy, MachineBusy: f.MachineBusy, Need: f.Need, Have: f.Have, Limit: f.Limit})
	}
	return out
}

// machineText is ", the machine N% busy", or "" where it was not measured.
func machineText(busy float64) string {
	if busy <= 0 {
		return ""
	}
	return fmt.Sprintf(", the machine %.0f%% busy", 100*busy)
}

func orNone(m string) string {
	if m == "" {
		return "no message"
	}
	return m
}

// durText formats a duration for a message, rounded to what matters and
// with the reports' unit spelling ("us", never "µs").
func durText(d time.Duration) string {
	switch {
	case d >= time.Second:
		d = d.Round(10 * time.Millisecond)
	case d >= time.Millisecond:
		d = d.Round(10 * time.Microsecond)
	}
	return strings.ReplaceAll(d.String(), "µs", "us")
}

// statusText names the most frequent status codes: "404 x 990, 500 x 10".
func statusText(m map[int]uint64) string {
	codes := make([]int, 0, len(m))
	for code := range m {
		codes = append(codes, code)
	}
	sort.Slice(codes, func(i, j int) bool {
		return m[codes[i]] > m[codes[j]] || (m[codes[i]] == m[codes[j]] && codes[i] < codes[j])
	})
	var parts []string
	for i, code := range codes {
		if i == 3 {
			break
		}
		parts = append(parts, fmt.Sprintf("%d x %d", code, m[code]))
	}
	return strings.Join(parts, ", ")
}
