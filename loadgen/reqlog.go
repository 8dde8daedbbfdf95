package loadgen

import (
	"fmt"
	"math"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// A RequestLog takes a record of every request of a run's measured window
// (Config.Log; the warm-up's requests are not logged). Run calls Begin
// once, before the load, with the run's start (the records' times are
// offsets from it) and its number of threads, then Thread(i) once per
// thread. A thread's RecordWriter is used by that thread only, at each
// flush of its batches (every 64 requests or 20 ms) under the thread's own
// lock: never on the per-request path, never by two goroutines at once.
type RequestLog interface {
	Begin(start time.Time, threads int)
	Thread(i int) RecordWriter
}

// A RecordWriter takes one thread's records. Write must not keep rec: it
// is reused for the next record.
type RecordWriter interface {
	Write(rec *LogRecord)
}

// LogKind is what became of a logged request.
type LogKind uint8

// The kinds of a logged request: answered, failed (Class), still waiting
// at the stop, or due under a schedule and never sent before the stop.
const (
	LogCompleted LogKind = iota
	LogFailed
	LogInFlight
	LogUnsent
)

// LogRecord is one request of a run as its log keeps it. Times are whole
// microseconds from the run's start (its warm-up included).
type LogRecord struct {
	Kind LogKind
	// Seq is the request's number: under a schedule (and for LogUnsent)
	// its number in the run's plan when no request was lost to a dial,
	// otherwise its slot's count of ended requests, interleaved over the
	// slots as the plan numbers them. Sampling keeps requests by it.
	Seq uint64
	// Scheduled: the request had a due time of its own (-R); otherwise Due
	// is Send.
	Scheduled bool
	// Due, Send and End: when it was due, sent, and ended. LogInFlight and
	// LogUnsent end at the stop (their latency's lower bound is End - Due);
	// LogUnsent has no Send (-1). FirstByte is the offset from Send to the
	// first response byte; <0 unknown.
	Due, Send, End, FirstByte int64
	// BytesIn and BytesOut are the bytes its connection read and wrote for
	// it: since the connection's previous request ended (a new
	// connection's handshake goes with its first request); <0 unknown,
	// where a connection carries several requests at once (HTTP/2's
	// streams, pipelining) or none was sent.
	BytesIn, BytesOut int64
	// Status is the HTTP status (LogCompleted); Class the error (LogFailed).
	Status int
	Class  ErrorClass
	// Late: it waited longer than Config.Timeout (answered late, or still
	// waiting at the stop).
	Late bool
	// Thread and Slot name the connection: the slot's index in its thread
	// (slot / Config.Streams is the connection's).
	Thread, Slot int
	// Target is the request's target (Config.Targets), -1 without; Step
	// the rate shape's step it was due in, -1 without.
	Target, Step int
}

// LogKeeps reports whether a log sampled at fraction keeps the request
// numbered seq: the same requests on every rerun, spread evenly over the
// numbers (a fraction of 1 or more keeps all, of 0 none).
func LogKeeps(seq uint64, fraction float64) bool { return mix(seq) < keepBelow(fraction) }

// keepBelow is the threshold LogKeeps compares a request's hash with.
func keepBelow(fraction float64) uint64 {
	if fraction >= 1 {
		return math.MaxUint64
	}
	return uint64(max(fraction, 0) * (1 << 64))
}

// mix is splitmix64's finaliser: a request's number as an even hash.
func mix(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	return x ^ x>>31
}

// openLog gives each thread's recorder its writer (Config.Log).
func openLog(cfg *Config, start time.Time, threads []*Thread) {
	if cfg.Log == nil {
		return
	}
	cfg.Log.Begin(start, len(threads))
	keep := keepBelow(1)
	if cfg.LogSample > 0 {
		keep = keepBelow(cfg.LogSample)
	}
	for i, th := range threads {
		th.rec.log, th.rec.logKeep, th.rec.thread = cfg.Log.Thread(i), keep, i
	}
}

// logBatch writes a batch's kept samples to the log (r.mu held).
func (r *Recorder) logBatch(batch []sample) {
	for i := range batch {
		s := &batch[i]
		if r.logKeep != math.MaxUint64 && mix(s.seq) >= r.logKeep {
			continue
		}
		r.logRec = LogRecord{Kind: LogKind(s.kind), Seq: s.seq, Scheduled: s.sched, Due: s.due, Send: s.send, End: s.end,
			FirstByte: s.firstByte, BytesIn: s.bytesIn, BytesOut: s.bytesOut, Status: int(s.status), Class: s.class, Late: s.late, Thread: r.thread, Slot: int(s.slot),
			Target: int(s.target) - 1, Step: int(s.step)}
		r.log.Write(&r.logRec)
	}
}

// logUnsent writes slot s's request n, due at due and never sent before
// the stop at (µs), to the log (r.mu held).
func (r *Recorder) logUnsent(s *Slot, n uint64, due, at int64, step int32) {
	seq := s.seqBase + n*s.seqStride
	if r.logKeep != math.MaxUint64 && mix(seq) >= r.logKeep {
		return
	}
	r.logRec = LogRecord{Kind: LogUnsent, Seq: seq, Scheduled: true, Due: due, Send: -1, End: at, FirstByte: -1, BytesIn: -1, BytesOut: -1,
		Thread: r.thread, Slot: int(s.index), Target: -1, Step: int(step)}
	r.log.Write(&r.logRec)
}

// Replay rebuilds a run's per-request figures from its log's records, by
// the rules a run records them with (sampleOf, tally, censorOne): the
// latency, censored, service and send-lag histograms, the status codes and
// the counters of ended requests. Not safe for concurrent use.
type Replay struct {
	rec   *Recorder
	batch []sample
	delta Counts
}

// NewReplay returns an empty Replay.
func NewReplay() *Replay {
	return &Replay{rec: newRecorder(time.Time{}), batch: make([]sample, 0, batchSize)}
}

// Add counts one record; a record no run writes is an error naming it.
func (p *Replay) Add(rec *LogRecord) error {
	if rec.Kind > LogUnsent || (rec.Kind == LogFailed) != (rec.Class != 0) || rec.Class > ClassIdleClosed {
		return fmt.Errorf("record %d: kind %d with error class %d", rec.Seq, rec.Kind, rec.Class)
	}
	if rec.Kind == LogUnsent {
		p.delta.Unsent++
		p.rec.censorOne(rec.Due, rec.End, -1)
		return nil
	}
	sm := sampleOf(uint8(rec.Kind), rec.Class, rec.Scheduled, rec.Due, rec.Send, rec.End)
	sm.status, sm.late = int32(rec.Status), rec.Late
	p.delta.tally(&sm)
	p.batch = append(p.batch, sm)
	if len(p.batch) == cap(p.batch) {
		p.flush()
	}
	return nil
}

func (p *Replay) flush() {
	p.rec.flush(p.batch, &p.delta)
	p.batch = p.batch[:0]
}

// Into puts the rebuilt figures into res, a run's result whose
// per-request figures were taken out (WithoutPerRequest): the rest of it
// (connections, bytes, the Req/Sec samples, the send timer, error
// messages, warm-up, steps, targets, intervals) is the run's as it was.
func (p *Replay) Into(res *Result) {
	p.flush()
	r := p.rec
	res.Latency, res.Censored, res.Service, res.SendLag = r.latency, r.censored, r.service, r.lag
	res.StatusCodes = r.figures().StatusCodes
	res.Counts.add(&r.counts)
}

// WithoutPerRequest returns a copy of res without the figures a log's
// records rebuild (Replay): what a log keeps beside its records.
func WithoutPerRequest(res *Result) *Result {
	out := *res
	c := &out.Counts
	for _, f := range []*uint64{&c.Completed, &c.Late, &c.InFlight, &c.LateInFlight, &c.Unsent, &c.Read, &c.Write, &c.Timeout,
		&c.GoAway, &c.Reset, &c.Protocol, &c.IdleClosed, &c.Status, &c.LatencyExcluded, &c.Clipped} {
		*f = 0
	}
	empty := func() *hdrhistogram.Histogram { return NewHistogram() }
	out.Latency, out.Censored, out.Service, out.SendLag = empty(), empty(), empty(), empty()
	out.StatusCodes = map[int]uint64{}
	return &out
}
