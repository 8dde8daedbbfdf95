package loadgen

// sample is one ended request as a worker saw it. Times are microseconds;
// latency, service and lag are differences of the whole-microsecond
// offsets due, send and end (sampleOf), so that a request log, which keeps
// the offsets, rebuilds them exactly.
type sample struct {
	latency int64 // from due (closed loop: from send) to end; <0: not recorded; kindInFlight: stop - due, a lower bound
	service int64 // from send to end; <0: not recorded
	lag     int64 // send lag, from due to send; <0: not scheduled
	timer   int64 // lateness of the send timer when the connection was idle; <0: none
	// due, send and end are offsets from the run's start (its warm-up
	// included); end is the stop for kindInFlight.
	due, send, end int64
	firstByte      int64 // µs from send to the first response byte; <0 unknown
	// bytesIn and bytesOut are the bytes its connection read and wrote
	// for it (Slot.reqBytes); <0 unknown.
	bytesIn, bytesOut int64
	seq               uint64 // the request's number in the slot's order of ends (sampling, the log)
	status            int32  // HTTP status; 0 when the request failed
	step              int32  // the rate shape's step it was due in; <0: none
	slot              uint32 // the slot's index in its thread (the connection id, with the thread)
	kind              uint8  // kindCompleted, kindFailed or kindInFlight
	class             ErrorClass
	sched             bool   // on a schedule: due is its own time, not send's
	late              bool   // waited past Config.Timeout (Counts.Late, LateInFlight)
	target            uint16 // its target (Targets) + 1; 0 without
}

const (
	kindCompleted uint8 = iota
	kindFailed
	kindInFlight
)

// sampleOf is the one rule from a request's outcome to its figures: kind,
// class (kindFailed), whether it was on a schedule, and its due, send and
// end offsets in whole microseconds (kindInFlight: end is the stop).
// timer, status, step, target and the log's fields are the caller's.
func sampleOf(kind uint8, class ErrorClass, sched bool, due, send, end int64) sample {
	sm := sample{latency: -1, service: -1, lag: -1, timer: -1, firstByte: -1, bytesIn: -1, bytesOut: -1, due: due, send: send, end: end, kind: kind, class: class, sched: sched}
	if sched {
		sm.lag = send - due
	}
	switch {
	case kind == kindCompleted:
		sm.latency, sm.service = end-due, end-send
	case kind == kindInFlight, sched && class == ClassTimeout:
		// in flight: its lower bound; an abandoned timeout under a
		// schedule: it waited, so it is in the corrected latency
		sm.latency = end - due
	}
	return sm
}

// tally counts sm's outcome in d: the one rule from an outcome to the
// counters (a run's Slots, a log's replay).
func (d *Counts) tally(sm *sample) {
	switch sm.kind {
	case kindCompleted:
		d.Completed++
		if sm.status >= 400 {
			d.Status++
		}
		if sm.late {
			d.Late++ // waited past --timeout, answered: in the figures at its true latency
		}
	case kindFailed:
		d.count(sm.class)
		if sm.latency < 0 {
			d.LatencyExcluded++
		}
	case kindInFlight:
		d.InFlight++
		if sm.late {
			d.LateInFlight++
		}
	}
}
