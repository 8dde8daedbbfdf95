package loadgen

import (
	"errors"
	"net"
	"os"
	"sync"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// Histogram geometry shared by every latency histogram: microseconds from
// 1 µs to 1 hour at 3 significant digits (about 190 KB each). A value above
// the range is recorded as the maximum and counted in Counts.Clipped.
const (
	HistLowest  = 1
	HistHighest = int64(time.Hour / time.Microsecond)
	HistSigFigs = 3
)

// NewHistogram returns an empty histogram of gowrk's geometry.
func NewHistogram() *hdrhistogram.Histogram {
	return hdrhistogram.New(HistLowest, HistHighest, HistSigFigs)
}

const (
	// batchSize is how many samples a worker keeps before flushing; a
	// thread with many slots (HTTP/2 streams: -c x --streams) keeps fewer
	// each, so that its batches stay small in all.
	batchSize = 64
	// minBatch and batchSamples bound that: at least minBatch samples per
	// slot, and about batchSamples per thread (7 MB at 112 bytes each).
	minBatch     = 8
	batchSamples = 1 << 16
	// flushEvery bounds how stale a worker's batch may get, so that the
	// Req/Sec sampler sees recent counts.
	flushEvery = 20 * time.Millisecond
	// rateSampleEvery is wrk's RECORD_INTERVAL_MS: how often each thread's
	// requests per second are sampled for the Req/Sec statistics.
	rateSampleEvery = 100 * time.Millisecond
	// maxErrorMessages is how many distinct error messages are kept.
	maxErrorMessages = 5
)

// Counts are the counters of a run. Every request sent is accounted for:
// Sent = Completed + Failed() + InFlight + Resent, where Failed() is Read +
// Write + Timeout + GoAway + Reset + Protocol + IdleClosed. Under a
// schedule every request due before the stop is too: due = SentOnce() +
// Connect + Ports + Unsent.
type Counts struct {
	// Sent counts requests whose first byte was handed to the connection.
	Sent uint64 `json:"sent"`
	// Completed counts whole responses read, whatever their status. Late of
	// them arrived after Config.Timeout (TimeoutWait): they are in the
	// latency figures at their true latency.
	Completed uint64 `json:"completed"`
	Late      uint64 `json:"late"`
	// InFlight counts requests sent but neither answered nor failed when the
	// run stopped; LateInFlight of them had waited longer than Config.Timeout.
	InFlight     uint64 `json:"in_flight_at_stop"`
	LateInFlight uint64 `json:"late_in_flight_at_stop"`
	// Unsent counts scheduled requests that were due before the run stopped
	// but never sent (their connection was busy, or the stop came first).
	Unsent uint64 `json:"unsent_at_stop"`
	// ConnectPending counts connections still being opened when the run
	// stopped (a full listen backlog): no request went on them, and none
	// is counted elsewhere.
	ConnectPending uint64 `json:"connects_pending_at_stop"`
	// Reconnects counts requests sent again on a new connection because
	// the server had closed their idle keep-alive connection (not errors).
	Reconnects uint64 `json:"reconnects"`
	// Resent counts writes whose request's outcome is counted by another
	// write or as a connect error: the first writes of those requests (in
	// Sent twice), and requests written on a new connection that the
	// server ended before answering (Slot.RefusedFresh). The server may
	// have parsed them (a restart, a reset after reading), so they stay in
	// Sent; SentOnce leaves them out.
	Resent uint64 `json:"resent"`
	// Opened counts connections opened (Slot.Opened): -c at least
	// when every connection opened, one per request without keep-alive.
	Opened uint64 `json:"opened_connections"`
	// IdleClosed counts non-idempotent requests lost to such a close.
	IdleClosed uint64 `json:"idle_closed"`
	// Connect counts failed dials (no request was sent on them). Ports
	// counts those that failed because the machine had no ephemeral port
	// left (EADDRNOTAVAIL); they are not in Connect.
	Connect uint64 `json:"connect"`
	Ports   uint64 `json:"ports"`
	// ConnectTimeout counts the connect errors that were timeouts (no
	// answer within Config.ConnectTimeout); they are in Connect.
	ConnectTimeout uint64 `json:"connect_timeout"`
	// Read, Write and Timeout count requests that failed in that phase;
	// Timeout counts requests abandoned at their timeout (TimeoutAbort, or
	// the wait limit of a run without an end).
	Read    uint64 `json:"read"`
	Write   uint64 `json:"write"`
	Timeout uint64 `json:"timeout"`
	// GoAway, Reset and Protocol count HTTP/2 requests that failed because
	// of a GOAWAY, an RST_STREAM, or a protocol error.
	GoAway   uint64 `json:"goaway"`
	Reset    uint64 `json:"reset"`
	Protocol uint64 `json:"protocol"`
	// Status counts responses with status >= 400 (wrk's "Non-2xx or 3xx").
	Status uint64 `json:"status"`
	// BytesRead and BytesWritten count bytes on the wire.
	BytesRead    uint64 `json:"bytes_read"`
	BytesWritten uint64 `json:"bytes_written"`
	// HeaderBytes* and DataBytes* split the bytes of HTTP/2 into header
	// blocks (HPACK-compressed, as on the wire) and DATA payload (padding
	// excluded); the rest of Bytes* is framing. Zero under HTTP/1.1.
	HeaderBytesRead    uint64 `json:"header_bytes_read"`
	HeaderBytesWritten uint64 `json:"header_bytes_written"`
	DataBytesRead      uint64 `json:"data_bytes_read"`
	DataBytesWritten   uint64 `json:"data_bytes_written"`
	// LatencyExcluded counts ended requests that are not in the latency
	// histogram: failed requests, and in closed-loop mode timed-out ones.
	LatencyExcluded uint64 `json:"latency_excluded"`
	// Clipped counts latency values above HistHighest, recorded as HistHighest.
	Clipped uint64 `json:"clipped"`
}

// Errors is the number of requests (and dials) that failed.
func (c *Counts) Errors() uint64 { return c.Connect + c.Ports + c.Failed() }

// Failed is the number of requests that were sent and failed.
// SentOnce counts the requests sent, each once however often it was
// written (Sent less Resent).
func (c *Counts) SentOnce() uint64 { return c.Sent - c.Resent }

func (c *Counts) Failed() uint64 {
	return c.Read + c.Write + c.Timeout + c.GoAway + c.Reset + c.Protocol + c.IdleClosed
}

// TimedOut is the number of requests that passed Config.Timeout, wrk's
// "timeout": abandoned, answered late, or still waiting at the stop.
func (c *Counts) TimedOut() uint64 { return c.Timeout + c.Late + c.LateInFlight }

// count adds one failed request of class.
func (c *Counts) count(class ErrorClass) {
	switch class {
	case ClassConnect:
		c.Connect++
	case ClassPorts:
		c.Ports++
	case ClassWrite:
		c.Write++
	case ClassTimeout:
		c.Timeout++
	case ClassGoAway:
		c.GoAway++
	case ClassReset:
		c.Reset++
	case ClassProtocol:
		c.Protocol++
	case ClassIdleClosed:
		c.IdleClosed++
	default:
		c.Read++
	}
}

// sub subtracts o from c, counter by counter (o must not exceed c).
func (c *Counts) sub(o *Counts) {
	neg := *o
	c.addSigned(&neg, -1)
}

func (c *Counts) add(o *Counts) { c.addSigned(o, 1) }

// Add adds o's counters to c (for observers summing intervals).
func (c *Counts) Add(o *Counts) { c.addSigned(o, 1) }

// addSigned adds (sign 1) or subtracts (sign -1) every counter of o.
func (c *Counts) addSigned(o *Counts, sign int) {
	for _, f := range Counters {
		if sign > 0 {
			*f.Of(c) += *f.Of(o)
		} else {
			*f.Of(c) -= *f.Of(o)
		}
	}
}

// ErrorMessage is one distinct error text and how often it was seen.
type ErrorMessage struct {
	Class   string `json:"class"`
	Message string `json:"message"`
	Count   uint64 `json:"count"`
}

// maxStatus bounds the status codes counted one by one; others count as 0.
const maxStatus = 1000

// Recorder holds the histograms and counters of one thread group. Its
// workers flush batches into it under mu; the group's rate sampler reads it
// under mu. It is never shared between groups.
type Recorder struct {
	mu       sync.Mutex
	latency  *hdrhistogram.Histogram // corrected: end - due
	censored *hdrhistogram.Histogram // lower bounds (stop - due) of requests due that never completed
	service  *hdrhistogram.Histogram // uncorrected: end - send
	lag      *hdrhistogram.Histogram // send - due (constant rate only)
	timerLag *hdrhistogram.Histogram // timer lateness while idle (constant rate only)
	reqRate  *hdrhistogram.Histogram // Req/Sec samples of this group
	phases   Phases                  // each made on its first value
	counts   Counts
	status   [maxStatus]uint64
	messages []ErrorMessage
	// iv, when intervals are on, holds the figures since the last snapshot.
	iv *intervalFigures
	// steps, under a rate shape (stepLen > 0), hold each step's figures,
	// by the step the requests were due in.
	stepLen time.Duration
	steps   []*StepFigures
	// targets, under Targets, hold each target's figures, by number.
	targets []TargetFigures
	// log, when the run keeps a request log (Config.Log), takes this
	// thread's records at each flush; logRec is the one record handed to
	// it (a field, so that passing it allocates nothing); thread is the
	// thread's index; logKeep the sampling threshold (logKeeps).
	log     RecordWriter
	logRec  LogRecord
	logKeep uint64
	thread  int
	// completed at the last rate sample, and when that was.
	sampledCompleted uint64
	sampledAt        time.Time
}

// figures is a view of the Recorder's figures as a Result (its lock held;
// the histograms are the Recorder's own).
func (r *Recorder) figures() *Result {
	codes := make(map[int]uint64)
	for code, n := range r.status {
		if n > 0 {
			codes[code] = n
		}
	}
	return &Result{Latency: r.latency, Censored: r.censored, Service: r.service, SendLag: r.lag, TimerLag: r.timerLag, ReqRate: r.reqRate,
		Counts: r.counts, StatusCodes: codes, ErrorMessages: r.messages, Targets: r.targets, Phases: r.phases}
}

func newRecorder(start time.Time) *Recorder {
	return &Recorder{
		latency:   NewHistogram(),
		censored:  NewHistogram(),
		service:   NewHistogram(),
		lag:       NewHistogram(),
		timerLag:  NewHistogram(),
		reqRate:   hdrhistogram.New(1, 1<<40, HistSigFigs),
		sampledAt: start,
	}
}

// flush records a worker's batch and counter deltas. The caller's slices and
// counts are reset.
func (r *Recorder) flush(batch []sample, delta *Counts) {
	r.mu.Lock()
	for i := range batch {
		s := &batch[i]
		if s.latency >= 0 {
			if s.kind == kindInFlight {
				r.record(r.censored, s.latency)
			} else {
				r.record(r.latency, s.latency)
			}
		}
		if s.service >= 0 {
			r.record(r.service, s.service)
		}
		if s.lag >= 0 {
			r.record(r.lag, s.lag)
		}
		if s.timer >= 0 {
			r.record(r.timerLag, s.timer)
		}
		r.requestPhases(s)
		if s.status > 0 {
			st := s.status
			if st >= maxStatus {
				st = 0
			}
			r.status[st]++
		}
	}
	if r.iv != nil {
		r.iv.add(batch)
	}
	if r.stepLen > 0 {
		r.addSteps(batch)
	}
	if r.targets != nil {
		r.addTargets(batch)
	}
	if r.log != nil {
		r.logBatch(batch)
	}
	r.counts.add(delta)
	r.mu.Unlock()
	*delta = Counts{}
}

// record adds v to h, clipping and counting values out of range.
func (r *Recorder) record(h *hdrhistogram.Histogram, v int64) {
	if v < 0 {
		v = 0
	}
	if v > HistHighest {
		v = HistHighest
		r.counts.Clipped++
	}
	_ = h.RecordValue(v) // in range by construction
}

// sampleRate records this group's requests per second since the last sample,
// as wrk's record_rate does: only when requests were completed.
func (r *Recorder) sampleRate(now time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := r.counts.Completed - r.sampledCompleted
	if n == 0 {
		return
	}
	el := now.Sub(r.sampledAt)
	if el <= 0 {
		return
	}
	_ = r.reqRate.RecordValue(int64(float64(n) * ReqRateScale / el.Seconds()))
	r.sampledCompleted = r.counts.Completed
	r.sampledAt = now
}

// noteError keeps the first few distinct error messages.
func (r *Recorder) noteError(class ErrorClass, err error) {
	m := ErrorMessage{Class: class.String(), Message: errorText(err), Count: 1}
	r.mu.Lock()
	r.messages = addMessage(r.messages, m)
	r.mu.Unlock()
}

// addMessage counts m into list: onto the same class and text if present,
// else as a new entry while fewer than maxErrorMessages are kept.
func addMessage(list []ErrorMessage, m ErrorMessage) []ErrorMessage {
	for i := range list {
		if list[i].Class == m.Class && list[i].Message == m.Message {
			list[i].Count += m.Count
			return list
		}
	}
	if len(list) < maxErrorMessages {
		list = append(list, m)
	}
	return list
}

// errorText strips addresses and ports from network errors so that the same
// failure on different connections reads the same.
func errorText(err error) string {
	var ce *ClassError
	if errors.As(err, &ce) {
		err = ce.Err
	}
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return "i/o timeout"
	}
	var op *net.OpError
	if errors.As(err, &op) && op.Err != nil {
		var sys *os.SyscallError
		if errors.As(op.Err, &sys) {
			return op.Op + ": " + sys.Err.Error()
		}
		return op.Op + ": " + op.Err.Error()
	}
	return err.Error()
}
