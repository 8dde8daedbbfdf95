package loadgen

import (
	"time"
)

// Thresholds behind the findings, documented in the README.
const (
	// RateShortfall: sending fewer than this share of the requests due is
	// a shortfall.
	RateShortfall = 0.99
	// TimerLagLimit: a p99 timer lateness at or below this is never
	// gowrk's shortfall. Above it, the lateness must also exceed the
	// server's mean service time and the schedule's period (1/rate) to
	// count as gowrk falling behind (see Result.generatorLate).
	TimerLagLimit = 10 * time.Millisecond
	// CPUSaturated: gowrk using more than this share of its threads' CPU
	// time means the generator itself may be the bottleneck.
	CPUSaturated = 0.9
	// CPUEvidence: a window shorter than this says nothing of saturation:
	// the dials and the threads' start weigh on it (a 5 ms -n run showed
	// 111% of its one thread).
	CPUEvidence = 500 * time.Millisecond
	// MachineBusyShare: the machine's CPUs (every process's, gowrk's and
	// the server's included) busy more than this share of the run mean
	// gowrk's lateness came from waiting for a CPU, not from its own work.
	MachineBusyShare = 0.9
	// TroubleShare: errors above this share of ended requests are a finding.
	TroubleShare = 0.10
	// QueueShortfall: under a schedule with everything sent, answers below
	// this share of the sending rate (leaving out the final in-flight
	// tail) mean the server's queue grew.
	QueueShortfall = 0.9
)

// FindingKind names what a Finding says about a run. Package report holds
// the sentence for each.
type FindingKind uint8

// The kinds of findings. The Rate* kinds are the verdict on a
// constant-rate run; a run has at most one of them.
const (
	_ FindingKind = iota
	// RateNoCompletion: under a schedule, errors and not one completion.
	RateNoCompletion
	// RateGeneratorCPU: short of the schedule with gowrk's own CPU saturated.
	RateGeneratorCPU
	// RateGeneratorLate: gowrk's timer ran late, against TimerLagLimit,
	// the server's service time and the period, on a machine with CPU to spare.
	RateGeneratorLate
	// RateMachineBusy: gowrk's timer ran late while the machine's CPUs were
	// busy (MachineBusyShare): gowrk waited for a CPU.
	RateMachineBusy
	// RateTooFewConnections: short, and rate x the fastest service time
	// needs more requests in flight than the connections (and streams) allow.
	RateTooFewConnections
	// RateServerShortfall: short, with enough connections: every one was
	// waiting on the server.
	RateServerShortfall
	// RateQueueGrew: everything went out on schedule, but the server
	// answered clearly fewer than were sent.
	RateQueueGrew
	// StreamsLimited: the server allowed fewer concurrent streams per
	// connection than the run asked for.
	StreamsLimited
	// PortsExhausted: dials failed for want of an ephemeral port.
	PortsExhausted
	// ConnectTimeouts: many dials timed out (a full listen backlog).
	ConnectTimeouts
	// ConnectsFailed: every dial failed and nothing else happened.
	ConnectsFailed
	// NoResponse: no request ended; all were waiting past the timeout at the stop.
	NoResponse
	// TimeoutsAbandoned: many requests passed the timeout and were abandoned.
	TimeoutsAbandoned
	// TimeoutsLate: many requests passed the timeout and were waited for.
	TimeoutsLate
	// TransportErrors: many requests failed with read, write or HTTP/2 errors.
	TransportErrors
	// AllStatusErrors: every response had a status of 400 or more.
	AllStatusErrors
	// GeneratorCPU: in closed loop, gowrk's own CPU was saturated.
	GeneratorCPU
	// CensoredTail: in closed loop, more requests were waiting at the stop
	// than the tail of CensoredTailQuantile (its percentile over every
	// due request is a lower bound).
	CensoredTail
	// UDPBuffersCapped: under HTTP/3, the kernel gave the UDP sockets
	// smaller buffers than quic-go asks for (Limit, in bytes: what was
	// granted; Need: what was wanted).
	UDPBuffersCapped
)

var findingNames = [...]string{
	RateNoCompletion: "rate_no_completion", RateGeneratorCPU: "rate_generator_cpu", RateGeneratorLate: "rate_generator_late",
	RateMachineBusy: "rate_machine_busy", RateTooFewConnections: "rate_too_few_connections", RateServerShortfall: "rate_server_shortfall",
	RateQueueGrew: "rate_queue_grew", StreamsLimited: "streams_limited", PortsExhausted: "ports_exhausted", ConnectTimeouts: "connect_timeouts",
	ConnectsFailed: "connects_failed", NoResponse: "no_response", TimeoutsAbandoned: "timeouts_abandoned", TimeoutsLate: "timeouts_late",
	TransportErrors: "transport_errors", AllStatusErrors: "all_status_errors", GeneratorCPU: "generator_cpu", CensoredTail: "censored_tail",
	UDPBuffersCapped: "udp_buffers_capped",
}

// String is the kind's stable identifier (the JSON report's "kind").
func (k FindingKind) String() string {
	if int(k) < len(findingNames) && findingNames[k] != "" {
		return findingNames[k]
	}
	return "unknown"
}

// Rate reports whether k is a verdict on a constant-rate run.
func (k FindingKind) Rate() bool { return k >= RateNoCompletion && k <= RateQueueGrew }

// Generator reports whether k puts a shortfall on gowrk's side of the
// wire (its CPU, its timer, or the machine it ran on), not the server's.
func (k FindingKind) Generator() bool {
	return k == RateGeneratorCPU || k == RateGeneratorLate || k == RateMachineBusy
}

// Finding is one fact about a run that a report states, with the figures
// that prove it. Which figures are set depends on Kind; the rest are zero.
type Finding struct {
	Kind FindingKind
	// Count is how many requests (or dials) the finding is about, Of what
	// they are out of: not sent of due, failed of ended, timed out of sent.
	Count, Of uint64
	// Target, Sent and Answered are rates in requests per second.
	Target, Sent, Answered float64
	// InFlight, Late and LateInFlight are the run's counts of those names.
	InFlight, Late, LateInFlight uint64
	// Service is the mean service time, ServiceMin the fastest, TimerP99
	// gowrk's p99 timer lateness, SendLagMax the largest send lag.
	Service, ServiceMin, TimerP99, SendLagMax time.Duration
	// CPUBusy is Result.CPUBusy, MachineBusy Result.MachineBusy.
	CPUBusy, MachineBusy float64
	// Need is the requests in flight a rate needs (rate x 1.5 x service
	// time), Have the connections' slots; Limit a server's per-connection
	// stream limit.
	Need, Have, Limit int
	// Message is the first error text of the finding's class, as recorded.
	Message string
}

// AchievedRate is, under a schedule, the requests per second that went out
// on schedule and did not fail: those answered plus those still waiting
// for their answer at the stop (the last service time's worth of a run is
// always in flight, and is no shortfall).
func (r *Result) AchievedRate() float64 {
	return perSec(r.Counts.Completed+r.Counts.InFlight, r.Duration)
}

// Due is, under a schedule, how many requests were due before the stop:
// sent (once, however often written), lost to a failed dial, or never sent.
func (r *Result) Due() uint64 {
	c := &r.Counts
	return c.SentOnce() + c.Connect + c.Ports + c.Unsent
}

// Findings are every finding about the run, in the order a report states
// them: the rate verdict, the stream limit, the trouble (left out when the
// run was aborted: its reason is the one that matters), gowrk's CPU.
func (r *Result) Findings() []Finding {
	var out []Finding
	if f, ok := r.RateFinding(); ok {
		out = append(out, f)
	}
	if f, ok := r.streamsFinding(); ok {
		out = append(out, f)
	}
	if f, ok := r.troubleFinding(); ok && r.Aborted == "" {
		out = append(out, f)
	}
	if f, ok := r.generatorFinding(); ok {
		out = append(out, f)
	}
	if f, ok := r.censoredFinding(); ok {
		out = append(out, f)
	}
	if q := r.Conn.QUIC; q != nil && q.UDPBufferCapped {
		out = append(out, Finding{Kind: UDPBuffersCapped, Limit: min(q.UDPRecvBuffer, q.UDPSendBuffer), Need: q.UDPBufferWanted})
	}
	return out
}

// streamsFinding: the server allowed fewer concurrent streams per
// connection than Config.Streams.
func (r *Result) streamsFinding() (Finding, bool) {
	m := r.Conn.MaxStreams
	if m == 0 || r.Config.Streams <= int(m) {
		return Finding{}, false
	}
	return Finding{Kind: StreamsLimited, Limit: int(m), Need: r.Config.slots(), Have: r.Config.Connections * int(m)}, true
}

// generatorFinding: in closed loop, gowrk's own CPU was saturated, so it,
// not only the server, set the pace. (Under a schedule the rate verdict
// says it.)
func (r *Result) generatorFinding() (Finding, bool) {
	if r.Config.Rate > 0 || r.Counts.Completed == 0 {
		return Finding{}, false
	}
	if r.cpuSaturated() {
		return Finding{Kind: GeneratorCPU, CPUBusy: r.CPUBusy(), MachineBusy: r.MachineBusy}, true
	}
	return Finding{}, false
}
