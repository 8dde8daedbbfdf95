package loadgen

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Thresholds behind the verdicts, documented in the README.
const (
	// RateShortfall: sending fewer than this share of the requests due is reported.
	RateShortfall = 0.99
	// TimerLagLimit: a p99 timer lateness above this means the generator
	// itself fell behind its schedule (CPU saturated or descheduled).
	TimerLagLimit = 10 * time.Millisecond
	// CPUSaturated: gowrk using more than this share of its threads' CPU
	// time means the generator itself may be the bottleneck.
	CPUSaturated = 0.9
	// TroubleShare: errors above this share of ended requests get a hint line.
	TroubleShare = 0.10
	// QueueShortfall: under a schedule with everything sent, answers below
	// this share of the sending rate (leaving out the final in-flight
	// tail) mean the server's queue grew.
	QueueShortfall = 0.9
)

// AchievedRate is, under a schedule, the requests per second that went out
// on schedule and did not fail: those answered plus those still waiting
// for their answer at the stop (the last service time's worth of a run is
// always in flight, and is no shortfall).
func (r *Result) AchievedRate() float64 {
	return perSec(r.Counts.Completed+r.Counts.InFlight, r.Duration)
}

// Due is, under a schedule, how many requests were due before the stop:
// sent, lost to a failed dial, or never sent.
func (r *Result) Due() uint64 {
	c := &r.Counts
	return c.Sent + c.Connect + c.Ports + c.Unsent
}

// RateVerdict explains a constant-rate run that missed its schedule, in one
// line with the likely cause and the fix; "" when the run held its schedule
// or was not a constant-rate run. It compares what was sent with what was
// due, and what was answered with what was sent.
func (r *Result) RateVerdict() string {
	target := r.Config.Rate
	if target <= 0 || r.Duration <= 0 {
		return ""
	}
	c := &r.Counts
	timerP99 := time.Duration(r.TimerLag.ValueAtQuantile(99)) * time.Microsecond
	if timerP99 > TimerLagLimit {
		return fmt.Sprintf("gowrk fell behind its own schedule: p99 timer lateness %s with idle connections (generator CPU saturated?); use more --threads, a lower --rate, or run gowrk on a less loaded machine",
			durText(timerP99))
	}
	if c.Errors() > 0 && c.Completed == 0 {
		return fmt.Sprintf("no request completed (%d errors); check the target", c.Errors())
	}
	meanSvc := time.Duration(r.Service.Mean()) * time.Microsecond
	due, sent := r.Due(), perSec(c.Sent, r.Duration)
	if due == 0 || float64(c.Sent) >= RateShortfall*float64(due) {
		if r.queueGrew(meanSvc) {
			return fmt.Sprintf("every request went out on schedule, but the server could not keep up: it answered %.1f of the %.1f requests/s sent, and %d were still waiting at the stop (mean service time %s); the latency figures include the wait",
				r.RequestsPerSec(), sent, c.InFlight, durText(meanSvc))
		}
		return ""
	}
	behind := fmt.Sprintf("sent %.1f of %s requests/s (%d of %d due were not sent)", sent, rateText(target), due-c.Sent, due)
	if busy := r.CPUBusy(); busy > CPUSaturated {
		return fmt.Sprintf("%s: gowrk's CPU is saturated (%.0f%% of %d threads busy), so it, not only the server, limits the rate; use more --threads (and cores), or run the server on other cores",
			behind, 100*busy, r.Config.Threads)
	}
	need := int(target*meanSvc.Seconds()*1.5) + 1
	if slots := r.Config.slots(); need > slots {
		return fmt.Sprintf("%s: too few connections for rate x latency (%s/s x %s mean service time needs about %d concurrent requests; have %d); try -c %d",
			behind, rateText(target), durText(meanSvc), need, slots, (need+r.Config.streams()-1)/r.Config.streams())
	}
	return fmt.Sprintf("%s: the server could not keep up (mean service time %s, max send lag %s); the latency figures include the wait",
		behind, durText(meanSvc), durText(time.Duration(r.SendLag.Max())*time.Microsecond))
}

// queueGrew reports whether the server answered clearly fewer requests
// than were sent, over the run less its final service time (whose requests
// are in flight at the stop whatever the server does).
func (r *Result) queueGrew(meanSvc time.Duration) bool {
	c := &r.Counts
	if c.InFlight == 0 || c.Sent == 0 {
		return false
	}
	window := r.Duration - min(meanSvc, r.Duration/2)
	answered := perSec(c.Completed+c.Failed(), window)
	return answered < QueueShortfall*perSec(c.Sent, r.Duration)
}

// rateText formats a rate without inventing precision: "30", "0.2", "2.5k" stays "2500".
func rateText(r float64) string { return strconv.FormatFloat(r, 'g', 6, 64) }

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
	trouble := r.TroubleHint()
	if r.Aborted != "" {
		trouble = "" // the reason for the stop is the one that matters
	}
	for _, w := range []string{r.Aborted, r.RateVerdict(), r.StreamsHint(), trouble, r.GeneratorHint()} {
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
	if c.ConnectTimeout > 0 && float64(c.ConnectTimeout) >= TroubleShare*float64(c.Connect) {
		return fmt.Sprintf("%d connection attempts timed out after --connect-timeout %s with no answer to the connect: the server's listen backlog is probably full (it accepts connections more slowly than -c %d opens them); use fewer connections, raise the server's backlog (and net.core.somaxconn), or a longer --connect-timeout",
			c.ConnectTimeout, durText(r.Config.ConnectTimeout), r.Config.Connections)
	}
	ended := c.Completed + c.Failed()
	if ended == 0 {
		if c.Connect > 0 && r.Aborted == "" {
			return fmt.Sprintf("all %d connection attempts failed (%s); check that the server is listening at %s",
				c.Connect, r.firstMessage("connect"), r.Config.Target.URL.Host)
		}
		if c.LateInFlight > 0 {
			return fmt.Sprintf("no response came: all %d requests were still waiting at the stop, %d of them longer than --timeout %s", c.InFlight, c.LateInFlight, durText(r.Config.Timeout))
		}
		return ""
	}
	if to := c.TimedOut(); to > 0 && float64(to) >= TroubleShare*float64(c.Sent) {
		return r.timeoutHint()
	}
	if bad := c.Failed() - c.Timeout; float64(bad) >= TroubleShare*float64(ended) {
		return fmt.Sprintf("%d of %d requests failed with read, write or HTTP/2 errors (%s); the server closed or reset connections or streams under load",
			bad, ended, r.firstMessage(""))
	}
	if c.Status > 0 && c.Status == c.Completed {
		also := ""
		if r.StatusCodes[400] == c.Completed && r.Config.Target.URL.Scheme == "http" {
			also = " (a 400 to every request is what an HTTPS port answers to plain HTTP: try https://)"
		}
		return fmt.Sprintf("every one of the %d responses had a status of 400 or more (%s); check the URL's path, the method and the headers%s", c.Completed, statusText(r.StatusCodes), also)
	}
	return ""
}

// timeoutHint explains a run where many requests passed --timeout.
func (r *Result) timeoutHint() string {
	c := &r.Counts
	slots := r.Config.slots()
	what := fmt.Sprintf("%d of %d requests sent passed --timeout %s", c.TimedOut(), c.Sent, durText(r.Config.Timeout))
	if r.Config.TimeoutAction == TimeoutAbort {
		return fmt.Sprintf("%s and were abandoned (--timeout-action abort): each closed its connection and the next request went out at once on a new one; a server that cannot cancel work it has queued (a thread pool) kept serving the abandoned requests, so the %.1f requests/s answered measure gowrk's retries as much as the server; the default, --timeout-action wait, keeps the load unchanged",
			what, r.RequestsPerSec())
	}
	return fmt.Sprintf("%s: %d were answered late (in the latency figures at their true latency), %d were still waiting at the stop; the server answered %.1f requests/s with up to %d requests waiting at once: if that is its capacity, fewer connections give the same rate with less waiting",
		what, c.Late, c.LateInFlight, r.RequestsPerSec(), slots)
}

// GeneratorHint says when, in closed loop, gowrk's own CPU was saturated:
// then gowrk, not only the server, set the pace. (Under a schedule the
// rate verdict says it.)
func (r *Result) GeneratorHint() string {
	if r.Config.Rate > 0 || r.Counts.Completed == 0 {
		return ""
	}
	if busy := r.CPUBusy(); busy > CPUSaturated {
		return fmt.Sprintf("gowrk's own CPU was saturated (%.0f%% of %d threads busy): it, not only the server, may have been the bottleneck; add -t (with the cores to run them), or run the server on other cores",
			100*busy, r.Config.Threads)
	}
	return ""
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
