package loadgen

import (
	"crypto/rand"
	"encoding/hex"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// Result is everything a run measured; every report renders one. Histograms
// hold microseconds and have the geometry of NewHistogram.
type Result struct {
	// Config is the configuration the run used.
	Config Config
	// RunID names one run: 16 random hex digits made once per Run; a
	// merged result (Merge) gets its own. Two reports with one RunID are
	// one run. "" in a result decoded from a report that predates it.
	RunID string
	// Start and End bound the run; Duration is End - Start on the monotonic clock.
	Start, End time.Time
	Duration   time.Duration
	// Interrupted is true when the run was stopped early (SIGINT, SIGTERM).
	Interrupted bool
	// Aborted says why gowrk stopped the run early by itself (a target that
	// refuses every connection, a server that speaks another protocol); ""
	// when it did not.
	Aborted string
	// Fatal is the error behind Aborted when it is a *FatalError (its Fix
	// is the remedy a report words); nil otherwise, and in a result read
	// back from a report, whose Aborted is already worded.
	Fatal  *FatalError
	Counts Counts
	// StatusCodes counts responses by status code (0: a code above 999).
	StatusCodes map[int]uint64
	// ErrorMessages are the first few distinct error texts, by class.
	ErrorMessages []ErrorMessage
	// Latency is end of response minus intended start: under a rate schedule
	// the intended (due) time, in closed loop the send time. Timed-out requests
	// are in it under a schedule (at their timeout), not in closed loop.
	// It holds the completed requests only: the "of completed requests"
	// figures.
	Latency *hdrhistogram.Histogram
	// Censored holds, for every request due in the measured window that
	// never completed (sent and still waiting at the stop; under a
	// schedule also due and never sent), its lower bound: stop - due (in
	// closed loop due is the send time). With Latency it makes the figures
	// over every due request (DuePercentiles). Nil in a result decoded
	// from a report that predates it (read as empty).
	Censored *hdrhistogram.Histogram
	// Service is end of response minus actual send (wrk2's uncorrected latency).
	Service *hdrhistogram.Histogram
	// SendLag is actual send minus due time, for scheduled requests.
	SendLag *hdrhistogram.Histogram
	// TimerLag is how late the send timer fired for requests whose connection
	// was idle before they were due: the generator's own lateness.
	TimerLag *hdrhistogram.Histogram
	// Phases are the distributions of the phases of the run's connections
	// and requests: DNS, connect, TLS or QUIC, first byte, body.
	Phases Phases
	// Conn is what the first connection negotiated (protocol, TLS).
	Conn ConnInfo
	// CPU is the CPU time (user + system) gowrk's process used during the
	// run; 0 where it is not measured.
	CPU time.Duration
	// MachineBusy is the share of the machine's CPU time (all cores, every
	// process: gowrk, a server on the same machine, anything else) that was
	// busy during the run, from 0 to 1; 0 where it is not measured (Linux
	// only: /proc/stat).
	MachineBusy float64
	// Warmup holds the figures of the requests due during Config.Warmup,
	// left out of every other figure here; nil without a warm-up.
	Warmup *Result
	// Steps are a rate shape's steps, by the step each request was due in.
	Steps []StepFigures
	// Targets are the figures of each target of a run with many targets
	// (Config.Targets), in the targets' order; nil without.
	Targets []TargetFigures
	// Intervals are the run's intervals when Config.Interval was set; they
	// add up exactly to the totals.
	Intervals []Interval
	// ReqRate holds the per-thread requests-per-second samples (wrk's Req/Sec),
	// in units of 1/ReqRateScale requests per second (so that 0.2/s is not 0),
	// one every 100 ms per thread.
	ReqRate *hdrhistogram.Histogram
	// BodyBytes is the length of the request body the run sent (a decoded
	// report has the length, not the body).
	BodyBytes int
	// Shard says which part of a sharded run this is (--shard); nil when
	// the run was not sharded.
	Shard *ShardInfo
	// Merged describes the parts of a merged result (gowrk merge); nil
	// for a run's own.
	Merged *MergeInfo
	// Sample, when in (0, 1), is the fraction of the run's requests whose
	// counts of ended requests, status codes and latencies this result
	// holds: a report rebuilt from a --log-sample log; the rest are the
	// whole run's. 0 (or 1): every request's.
	Sample float64
}

// Sampled reports whether r's request figures are a sample's (Sample).
func (r *Result) Sampled() bool { return r.Sample > 0 && r.Sample < 1 }

// ShardInfo is one shard of a run split over N processes (--shard I/N).
type ShardInfo struct {
	// Index is the shard's number, from 0; Count the number of shards.
	Index, Count int
	// StartAt is the start barrier (--start-at), zero when none; Late is how
	// far after it this shard's clock started the load.
	StartAt time.Time
	Late    time.Duration
	// Host is the machine's host name.
	Host string
}

// MergeInfo describes a merged result: its parts and what they say.
type MergeInfo struct {
	// Parts is how many results were merged; Shards are their shard
	// descriptions, in index order (empty when none was a shard).
	Parts  int
	Shards []ShardInfo
	// Count is the shards' N; Missing the indexes of 0..N-1 that no part
	// had. Incomplete when some are missing.
	Count      int
	Missing    []int
	Incomplete bool
	// Failed are the shards whose run stopped early or completed nothing
	// (their figures are in); they make the merge incomplete too.
	Failed []int
	// StartSpread is the latest shard start minus the earliest.
	StartSpread time.Duration
}

// ReqRateScale is how many ReqRate units make one request per second.
const ReqRateScale = 1000

// CPUBusy is the share of the threads' available CPU time that gowrk used
// over the window CPU was measured in (CPUWindow): 1 means every thread was
// busy all the time.
func (r *Result) CPUBusy() float64 {
	w := r.CPUWindow()
	if w <= 0 || r.Config.Threads <= 0 {
		return 0
	}
	return r.CPU.Seconds() / (w.Seconds() * float64(r.Config.Threads))
}

// CPUWindow is the time CPU was measured over: the run and its warm-up.
func (r *Result) CPUWindow() time.Duration {
	if r.Warmup != nil {
		return r.Duration + r.Warmup.Duration
	}
	return r.Duration
}

// cpuSaturated reports whether gowrk's own CPU was saturated
// (CPUSaturated), over a window long enough to say so (CPUEvidence).
func (r *Result) cpuSaturated() bool {
	return r.CPUBusy() > CPUSaturated && r.CPUWindow() >= CPUEvidence
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

// newRunID is a fresh Result.RunID: 64 random bits in 16 hex digits.
func newRunID() string {
	var b [8]byte
	rand.Read(b[:]) // never fails (crypto/rand panics rather than return an error)
	return hex.EncodeToString(b[:])
}
