// Package h2 is gowrk's HTTP/2 engine, built on golang.org/x/net/http2's
// Framer (every frame gowrk writes) and hpack (both directions). It runs
// whole threads (loadgen.ThreadEngine): h2c on one epoll loop per thread
// (Linux), TLS on one goroutine per connection, each driving all of that
// connection's streams, one Slot per stream, with no hand-off between
// goroutines per response. The request's header block is
// HPACK-encoded twice per connection (the second time every field is in
// the dynamic table) and the second block is sent for every later request;
// responses are parsed in place from one read buffer per connection, DATA
// counted and skipped without a copy, and only :status decoded from the
// response headers. h2c with prior knowledge for http:// URLs, TLS with
// ALPN h2 for https://.
//
// Frames are parsed by this package rather than by Framer.ReadFrame, which
// allocates a frame per HEADERS and needs the whole frame at once: a read
// may end anywhere, and a DATA payload is counted as it arrives.
package h2

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/gowrk/gowrk/loadgen"
	"github.com/gowrk/gowrk/loadgen/netdial"
	"golang.org/x/net/http2/hpack"
)

// DefaultWindow is the receive window gowrk advertises per stream and per
// connection unless told otherwise: 2^30-1 bytes, h2load's default (-w 30,
// -W 30), so that flow control never paces a benchmark.
const DefaultWindow = 1<<30 - 1

// MaxWindow is the largest window HTTP/2 allows (RFC 9113, 6.9.1).
const MaxWindow = 1<<31 - 1

// minWindow is HTTP/2's initial window, the least gowrk advertises.
const minWindow = 65535

// Options tune the engine.
type Options struct {
	// Window is the stream-level receive window advertised in
	// SETTINGS_INITIAL_WINDOW_SIZE, in bytes; 0: DefaultWindow.
	Window uint32
	// ConnWindow is the connection-level receive window, in bytes (a
	// WINDOW_UPDATE on stream 0 right after the preface raises HTTP/2's
	// initial 65,535 to it); 0: DefaultWindow.
	ConnWindow uint32
	// DialTimeout bounds each dial, TLS handshake and the wait for the
	// server's SETTINGS.
	DialTimeout time.Duration
	// Goroutines runs h2c on a goroutine per connection, as TLS runs,
	// instead of an event loop per thread (for comparisons).
	Goroutines bool
}

// Driver names what runs a thread's connections, for the reports: "loop",
// one epoll loop per thread (h2c on Linux unless opts.Goroutines), or
// "goroutine", a goroutine per connection (TLS, whose crypto/tls wants a
// blocking connection; h2c elsewhere or when told).
func Driver(tls bool, opts Options) string {
	if tls || opts.Goroutines || !loopSupported {
		return "goroutine"
	}
	return "loop"
}

// Engine runs HTTP/2 load against one target. It is safe for concurrent
// use by all threads; its connections are each owned by one goroutine.
type Engine struct {
	target loadgen.Target
	route  *netdial.Dialer // the route: address, socket, CONNECT tunnel, local addresses
	tls    *tls.Config     // nil for h2c
	opts   Options
	fields []hpack.HeaderField // the request's header fields, in order
	body   []byte

	mu      sync.Mutex
	info    loadgen.ConnInfo // from the first handshake
	infoSet bool
	wakes   uint64 // timer wakes of finished threads
}

var _ loadgen.FirstDialer = (*Engine)(nil)

// New resolves t's host once and prepares the request's header fields.
func New(ctx context.Context, t loadgen.Target, opts Options) (*Engine, error) {
	// Through a proxy HTTP/2 always tunnels: a proxy forwards no h2c.
	route, err := netdial.New(ctx, t, true, opts.DialTimeout)
	if err != nil {
		return nil, err
	}
	if opts.Window == 0 {
		opts.Window = DefaultWindow
	}
	if opts.ConnWindow == 0 {
		opts.ConnWindow = DefaultWindow
	}
	opts.Window = min(max(opts.Window, 1), MaxWindow)
	opts.ConnWindow = min(max(opts.ConnWindow, minWindow), MaxWindow)
	e := &Engine{target: t, route: route, opts: opts, body: t.Body, info: loadgen.ConnInfo{Protocol: "h2c"}}
	scheme := "http"
	if t.URL.Scheme == "https" {
		scheme = "https"
		e.info.Protocol = "h2"
		// Offering http/1.1 too lets a server without HTTP/2 say what it
		// speaks, instead of failing the handshake; the dial refuses it.
		e.tls = netdial.TLSConfig(t, "h2", "http/1.1")
	}
	e.fields = RequestFields(t, scheme)
	return e, nil
}

// RequestFields are the header fields of t's request under HTTP/2: the
// pseudo-headers, then t's headers with lower-case names, without those
// HTTP/2 forbids (connection-specific ones; Host becomes :authority).
func RequestFields(t loadgen.Target, scheme string) []hpack.HeaderField {
	authority := t.URL.Host
	var rest []hpack.HeaderField
	for _, h := range t.Headers {
		name := strings.ToLower(h.Name)
		switch name {
		case "host":
			authority = h.Value
			continue
		case "connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade":
			continue
		case "te":
			if !strings.EqualFold(h.Value, "trailers") {
				continue
			}
		}
		rest = append(rest, hpack.HeaderField{Name: name, Value: h.Value})
	}
	path := t.URL.RequestURI()
	fields := []hpack.HeaderField{
		{Name: ":method", Value: t.Method},
		{Name: ":scheme", Value: scheme},
		{Name: ":authority", Value: authority},
		{Name: ":path", Value: path},
	}
	fields = append(fields, rest...)
	if len(t.Body) > 0 {
		fields = append(fields, hpack.HeaderField{Name: "content-length", Value: itoa(len(t.Body))})
	}
	return fields
}

func itoa(n int) string {
	var b [20]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			return string(b[i:])
		}
	}
}

// Info implements loadgen.Engine: the protocol, and what the first
// handshake negotiated (TLS, the server's SETTINGS_MAX_CONCURRENT_STREAMS).
func (e *Engine) Info() loadgen.ConnInfo {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.info
}

func (e *Engine) noteInfo(s *session) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.infoSet {
		return
	}
	e.infoSet = true
	if tc, ok := s.nc.(*tls.Conn); ok {
		e.info = netdial.Info("h2", tc)
	}
	if s.maxStreams < 1<<31-1 {
		e.info.MaxStreams = s.maxStreams
	}
}

// Lookup implements loadgen.Resolver: the one lookup of New.
func (e *Engine) Lookup() (time.Duration, bool) { return e.route.Lookup() }

// DialFirst implements loadgen.FirstDialer: the run's first connection,
// handshaken, for thread 0 to adopt.
//
// A server that allows no stream on it (SETTINGS_MAX_CONCURRENT_STREAMS=0
// until the connect timeout) stops the run before it starts
// (*loadgen.FatalError): it takes no request.
func (e *Engine) DialFirst(ctx context.Context) (any, error) {
	s, err := e.dial(ctx, nil, "")
	if errors.Is(err, errZeroStreams) {
		return nil, &loadgen.FatalError{Err: fmt.Errorf("%s: %w: it takes no request over HTTP/2", e.target.URL.Host, err)}
	}
	if err != nil {
		return nil, err
	}
	return s, nil
}

// RunThread implements loadgen.ThreadEngine. h2c runs the thread's
// connections on one event loop (loop_linux.go) where it can; TLS, which
// crypto/tls drives over a blocking net.Conn, one goroutine per connection.
func (e *Engine) RunThread(ctx context.Context, th *loadgen.Thread) {
	first, _ := th.First.(*session)
	n := th.Streams
	conns := make([]*conn, 0, th.Connections())
	var live []*conn
	for i := range th.Connections() {
		c := newConn(e, th, th.Slots[i*n:(i+1)*n])
		if h := th.HooksFor(i); h != nil {
			c.feed, c.capture = &loadgen.ScriptFeed{Hooks: h}, h.WantsResponse()
		}
		conns = append(conns, c)
		if first != nil && c.addr() == "" { // (a thread.addr elsewhere dials its own)
			c.s, c.opened, first = first, true, nil
			c.st[0].slot.Opened(c.s.phases)
		}
		if c.active == 0 {
			c.drop()
			c.finish()
			continue
		}
		live = append(live, c)
	}
	if first != nil {
		first.close()
	}
	if Driver(e.tls != nil, e.opts) == "loop" {
		e.runLoop(ctx, th, live)
	} else {
		runGoroutines(ctx, live)
	}
	var wakes uint64
	for _, c := range conns {
		wakes += c.wakes
	}
	e.mu.Lock()
	e.wakes += wakes
	e.mu.Unlock()
}

// runGoroutines runs each connection on a goroutine of its own until all
// are over.
func runGoroutines(ctx context.Context, conns []*conn) {
	var wg sync.WaitGroup
	for _, c := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.run(ctx)
		}()
	}
	wg.Wait()
}

// TimerWakes is how many times the engine's connections woke from a read
// at its deadline (a due request, a timeout, the end) in the runs that
// have finished: each costs the *net.OpError that net.Conn.Read returns.
func (e *Engine) TimerWakes() uint64 {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.wakes
}
