package loadgen

import (
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// Phases are the distributions of a request's phases, in microseconds,
// each an HdrHistogram of gowrk's geometry (NewHistogram), nil when the
// phase never happened in the run (no TLS, no name to look up, no QUIC
// but under HTTP/3). The connection phases hold one value per connection
// opened (DNS: one per lookup, made once per engine, as wrk resolves
// once); the request phases one per completed request whose first byte
// the engine saw. Like every figure they are merged by Result.Add. A
// Recorder's are filled under its lock; a Result's are its own.
type Phases struct {
	// DNS is the lookup of the target's (or its route's) host name,
	// from the query to the answer. Empty when the host is an IP address
	// or the route is a unix socket.
	DNS *hdrhistogram.Histogram
	// Connect is from the start of the dial (the socket's connect) to the
	// connection being usable by TCP: the handshake's SYN to its ACK, and
	// through a proxy with CONNECT, to the proxy's 2xx.
	Connect *hdrhistogram.Histogram
	// TLS is the TLS handshake, from the ClientHello to the handshake's end.
	TLS *hdrhistogram.Histogram
	// QUIC is HTTP/3's QUIC handshake (TLS 1.3 within it), from the first
	// packet to the handshake's end.
	QUIC *hdrhistogram.Histogram
	// FirstByte is from a request's send to the first byte of its response
	// (HTTP/2: its stream's first HEADERS frame; HTTP/3: its response's
	// header frame, as quic-go hands it over).
	FirstByte *hdrhistogram.Histogram
	// Body is from that first byte to the end of the response.
	Body *hdrhistogram.Histogram
}

// ConnPhases is how long one connection took to open, as its engine
// measured it: each phase's duration, or < 0 when the connection did not
// go through it (no TLS, no QUIC; Connect < 0 when unknown). NoPhases has
// none.
type ConnPhases struct {
	Connect, TLS, QUIC time.Duration
}

// NoPhases is a connection whose phases were not measured.
var NoPhases = ConnPhases{Connect: -1, TLS: -1, QUIC: -1}

// A Phased is a Conn that says how long it took to open; a connection
// that is not one is counted opened with NoPhases.
type Phased interface {
	Phases() ConnPhases
}

// PhasesOf is c's ConnPhases, or NoPhases.
func PhasesOf(c any) ConnPhases {
	if p, ok := c.(Phased); ok {
		return p.Phases()
	}
	return NoPhases
}

// A Resolver is an Engine that looked its host's name up (once, when it
// was built): Lookup says how long that took, and false when there was no
// name to look up (an IP address, a unix socket).
type Resolver interface {
	Lookup() (time.Duration, bool)
}

// PhaseKeys name the phases, in the order of a request's life and of
// Hists: the JSON report's keys, the CSV's column prefixes, Prometheus's
// phase label.
var PhaseKeys = [6]string{"dns", "connect", "tls", "quic", "first_byte", "body"}

// Hists are the phases' histograms in PhaseKeys' order (nil: not measured).
func (p *Phases) Hists() [6]*hdrhistogram.Histogram {
	return [6]*hdrhistogram.Histogram{p.DNS, p.Connect, p.TLS, p.QUIC, p.FirstByte, p.Body}
}

// all are the phases' fields, in PhaseKeys' order.
func (p *Phases) all() [6]**hdrhistogram.Histogram {
	return [6]**hdrhistogram.Histogram{&p.DNS, &p.Connect, &p.TLS, &p.QUIC, &p.FirstByte, &p.Body}
}

// Set sets the phase named key (PhaseKeys) to h; false for no such phase.
func (p *Phases) Set(key string, h *hdrhistogram.Histogram) bool {
	for i, k := range PhaseKeys {
		if k == key {
			*p.all()[i] = h
			return true
		}
	}
	return false
}

// Add adds o's phases to p, histogram by histogram (a nil one is empty).
func (p *Phases) Add(o *Phases) {
	dst, src := p.all(), o.all()
	for i, h := range src {
		if *h == nil || (*h).TotalCount() == 0 {
			continue
		}
		if *dst[i] == nil {
			*dst[i] = NewHistogram()
		}
		(*dst[i]).Merge(*h)
	}
}

// Empty reports whether no phase was measured.
func (p *Phases) Empty() bool {
	for _, h := range p.all() {
		if *h != nil && (*h).TotalCount() > 0 {
			return false
		}
	}
	return true
}

// recordPhase adds v µs to *h, made on first use, clipping as record does.
func (r *Recorder) recordPhase(h **hdrhistogram.Histogram, v int64) {
	if *h == nil {
		*h = NewHistogram() // once per run and phase: off the per-request path
	}
	r.record(*h, v)
}

// opened records the phases of one connection opened. Its lock is taken
// once per connection, never per request of a keep-alive connection.
func (r *Recorder) opened(ph ConnPhases) {
	if ph.Connect < 0 && ph.TLS < 0 && ph.QUIC < 0 {
		return
	}
	r.mu.Lock()
	if ph.Connect >= 0 {
		r.recordPhase(&r.phases.Connect, micros(ph.Connect))
	}
	if ph.TLS >= 0 {
		r.recordPhase(&r.phases.TLS, micros(ph.TLS))
	}
	if ph.QUIC >= 0 {
		r.recordPhase(&r.phases.QUIC, micros(ph.QUIC))
	}
	r.mu.Unlock()
}

// requestPhases records a completed request's first byte and body
// transfer; its lock is held (flush).
func (r *Recorder) requestPhases(s *sample) {
	if s.kind != kindCompleted || s.firstByte < 0 || s.service < 0 {
		return
	}
	r.recordPhase(&r.phases.FirstByte, s.firstByte)
	r.recordPhase(&r.phases.Body, max(s.service-s.firstByte, 0))
}

// lookupPhase records the engine's name lookup, if it made one, in res.
func lookupPhase(res *Result, eng Engine) {
	rv, ok := eng.(Resolver)
	if !ok {
		return
	}
	if d, named := rv.Lookup(); named {
		if res.Phases.DNS == nil {
			res.Phases.DNS = NewHistogram()
		}
		_ = res.Phases.DNS.RecordValue(min(max(micros(d), 0), HistHighest))
	}
}
