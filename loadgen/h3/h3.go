// Package h3 is gowrk's HTTP/3 engine, on github.com/quic-go/quic-go: QUIC
// connections that gowrk dials and owns (all on one UDP socket, as a QUIC
// server's are: socket.go), and quic-go's http3 client pieces
// (ClientConn, RequestStream) for the requests.
//
// It is a loadgen.StreamEngine: the adapter runs one worker goroutine per
// stream slot (-c x --streams), and the workers of one connection share
// its QUIC connection through a loadgen.Shared. quic-go's calls block, so
// a stream slot's goroutine waits on its stream as an HTTP/1.1 worker
// waits on its socket; there is no goroutine per request.
package h3

import (
	"context"
	"crypto/tls"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gowrk/gowrk/loadgen"
	"github.com/gowrk/gowrk/loadgen/netdial"
	"github.com/quic-go/quic-go"
	"github.com/quic-go/quic-go/http3"
)

// Options tune the engine.
type Options struct {
	// DialTimeout bounds each QUIC handshake (quic.Config's
	// HandshakeIdleTimeout).
	DialTimeout time.Duration
}

// Engine runs HTTP/3 load against one target. It is safe for concurrent
// use by all workers.
type Engine struct {
	target loadgen.Target
	raddr  *net.UDPAddr
	tls    *tls.Config
	qconf  *quic.Config
	h3     http3.Transport // builds ClientConns (settings only; it dials nothing)
	req    *http.Request   // the request, read by every stream (never written)
	body   []byte
	opts   Options
	first  atomic.Bool // the first dial was made: later failures are counted, not fatal

	mu    sync.Mutex
	info  loadgen.ConnInfo
	stats stats // the connections closed so far

	// The shared UDP socket (socket.go), under mu.
	tr   *quic.Transport
	udp  *net.UDPConn
	refs int // connections open or dialling on it

	// lookup is how long New's name lookup took; named: there was one.
	lookup time.Duration
	named  bool
}

// Lookup implements loadgen.Resolver: the one lookup of New.
func (e *Engine) Lookup() (time.Duration, bool) { return e.lookup, e.named }

var (
	_ loadgen.StreamEngine = (*Engine)(nil)
	_ loadgen.ScriptConn   = (*stream)(nil)
)

// New resolves t's host once and prepares the request.
func New(ctx context.Context, t loadgen.Target, opts Options) (*Engine, error) {
	addr, took, named, err := netdial.ResolveTimed(ctx, t.URL)
	if err != nil {
		return nil, err
	}
	raddr, err := net.ResolveUDPAddr("udp", addr)
	if err != nil {
		return nil, err
	}
	if opts.DialTimeout <= 0 {
		opts.DialTimeout = 5 * time.Second
	}
	// gowrk reports the UDP buffers itself (udp.go), in one line of its own.
	if os.Getenv("QUIC_GO_DISABLE_RECEIVE_BUFFER_WARNING") == "" {
		os.Setenv("QUIC_GO_DISABLE_RECEIVE_BUFFER_WARNING", "true")
	}
	e := &Engine{target: t, raddr: raddr, body: t.Body, opts: opts, tls: netdial.TLSConfig(t, http3.NextProtoH3), lookup: took, named: named}
	e.qconf = &quic.Config{HandshakeIdleTimeout: opts.DialTimeout, MaxIdleTimeout: 30 * time.Second}
	e.h3.DisableCompression = true              // count the bytes the server sends, as the other engines do
	e.h3.Logger = slog.New(slog.DiscardHandler) // stderr is gowrk's: quic-go's own lines never reach it
	e.req, err = buildRequest(t)
	if err != nil {
		return nil, err
	}
	e.info = loadgen.ConnInfo{Protocol: "h3"}
	return e, nil
}

// buildRequest is t's request as quic-go's request writer reads it: the
// body is written by the stream (the writer refuses one), its length sent
// as content-length.
func buildRequest(t loadgen.Target) (*http.Request, error) {
	u := *t.URL
	req, err := http.NewRequest(t.Method, u.String(), nil)
	if err != nil {
		return nil, err
	}
	for _, h := range t.Headers {
		switch strings.ToLower(h.Name) {
		case "host":
			req.Host = h.Value
		case "connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade", "content-length":
		default:
			req.Header.Add(h.Name, h.Value)
		}
	}
	req.ContentLength = int64(len(t.Body))
	return req, nil
}

// Info implements loadgen.Engine: HTTP/3, what the first handshake
// negotiated, and what QUIC adds (handshakes, RTT, losses, UDP buffers)
// over the connections closed so far (all of them once the run is over).
func (e *Engine) Info() loadgen.ConnInfo {
	e.mu.Lock()
	defer e.mu.Unlock()
	info := e.info
	info.QUIC = e.stats.info()
	return info
}

// Dial implements loadgen.ConnEngine: a new QUIC connection and a stream
// handle on it. The run's first dial (the adapter's DialFirst) turns a
// server without HTTP/3 into a *loadgen.FatalError that says what to change.
func (e *Engine) Dial(ctx context.Context) (loadgen.Conn, error) {
	q, err := e.dial(ctx)
	if err != nil {
		return nil, err
	}
	return newStream(e, q, true), nil
}

// DialStream implements loadgen.StreamEngine.
func (e *Engine) DialStream(ctx context.Context, sh *loadgen.Shared) (loadgen.Conn, error) {
	gen := sh.Gen.Load()
	sh.Mu.Lock()
	defer sh.Mu.Unlock()
	g, _ := sh.Conn.(*group)
	if g == nil {
		g = &group{}
		sh.Conn = g
		if s, ok := sh.Seed.(*stream); ok {
			g.cur = s.q
		}
	}
	if g.cur != nil && g.cur.usable() {
		return newStream(e, g.cur, false), nil
	}
	if sh.Gen.Load() != gen && g.failed {
		return nil, loadgen.ErrSharedDialFailed
	}
	sh.Gen.Add(1)
	q, err := e.dial(ctx)
	g.failed = err != nil
	if err != nil {
		return nil, err
	}
	g.retire(e)
	g.cur = q
	return newStream(e, q, true), nil
}

// CloseShared implements loadgen.StreamEngine: the connection's end, once
// its workers are done.
func (e *Engine) CloseShared(sh *loadgen.Shared) {
	sh.Mu.Lock()
	defer sh.Mu.Unlock()
	g, _ := sh.Conn.(*group)
	if g == nil {
		g = &group{}
		if s, ok := sh.Seed.(*stream); ok {
			g.cur = s.q
		}
	}
	g.retire(e)
	for _, q := range g.old {
		q.close(e)
	}
	g.old = nil
}

// group is a Shared's connection: the current one, and those replaced
// while streams may still be open on them (a GOAWAY drains them).
type group struct {
	cur    *qconn
	old    []*qconn
	failed bool // the last dial failed
}

// retire moves the current connection to old; dead ones there are closed.
func (g *group) retire(e *Engine) {
	if g.cur != nil {
		g.old = append(g.old, g.cur)
		g.cur = nil
	}
	keep := g.old[:0]
	for _, q := range g.old {
		if q.dead() {
			q.close(e)
		} else {
			keep = append(keep, q)
		}
	}
	g.old = keep
}
