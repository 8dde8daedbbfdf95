// Package h2 is gowrk's HTTP/2 engine, on golang.org/x/net/http2. Each Conn
// owns one TCP connection (h2c with prior knowledge for http:// URLs, TLS
// with ALPN h2 for https://) and one http2.ClientConn over it, which carries
// up to Config.Streams concurrent requests.
//
// Unlike the HTTP/1.1 engine this one allocates per request (x/net builds a
// request, a stream and its buffers each time); a leaner engine on
// http2.Framer and hpack can replace it behind the same loadgen.Engine.
//
// x/net marks its client Transport deprecated in favour of net/http's (from
// Go 1.27 it wraps net/http's implementation). The migration that keeps
// gowrk owning each TCP connection is net/http's Transport.NewClientConn with
// a DialContext that returns the counting connection.
package h2

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/gowrk/gowrk/loadgen"
	"github.com/gowrk/gowrk/loadgen/netdial"
	"golang.org/x/net/http2"
)

// Engine dials HTTP/2 connections to one target. It is safe for concurrent use.
type Engine struct {
	target  loadgen.Target
	addr    string
	tls     bool
	tr      *http2.Transport
	header  http.Header // shared read-only by every request
	host    string
	dialer  net.Dialer
	timeout time.Duration
}

var _ loadgen.Engine = (*Engine)(nil)

// New resolves t's host once and prepares the request template.
// dialTimeout bounds each dial, TLS handshake and h2c check.
func New(ctx context.Context, t loadgen.Target, dialTimeout time.Duration) (*Engine, error) {
	addr, err := netdial.Resolve(ctx, t.URL)
	if err != nil {
		return nil, err
	}
	e := &Engine{target: t, addr: addr, tls: t.URL.Scheme == "https", header: http.Header{}, host: t.URL.Host, timeout: dialTimeout}
	for _, h := range t.Headers {
		if strings.EqualFold(h.Name, "Host") {
			e.host = h.Value
			continue
		}
		e.header.Add(h.Name, h.Value)
	}
	e.dialer.Timeout = dialTimeout
	// Strict: past the server's SETTINGS_MAX_CONCURRENT_STREAMS a request
	// waits for a free stream on its own connection (h2load does the same);
	// CanTakeNewRequest then means only "not closed or going away".
	e.tr = &http2.Transport{AllowHTTP: true, DisableCompression: true, StrictMaxConcurrentStreams: true}
	if e.tls {
		// Offering http/1.1 too lets a server without HTTP/2 say what it
		// speaks, instead of failing the handshake; Dial then refuses it.
		e.tr.TLSClientConfig = netdial.TLSConfig(t, "h2", "http/1.1")
	}
	return e, nil
}

// Dial implements loadgen.Engine. A server that does not speak HTTP/2 (no
// ALPN h2, or no answer to an h2c PING) is a *loadgen.FatalError.
func (e *Engine) Dial(ctx context.Context) (loadgen.Conn, error) {
	raw, err := e.dialer.DialContext(ctx, "tcp", e.addr)
	if err != nil {
		return nil, err
	}
	counter := &countingConn{Conn: raw}
	c := &Conn{e: e, counter: counter, info: loadgen.ConnInfo{Protocol: "h2c"}}
	var nc net.Conn = counter
	hctx, cancel := context.WithTimeout(ctx, e.timeout)
	defer cancel()
	if e.tls {
		tc, err := netdial.Handshake(hctx, counter, e.tr.TLSClientConfig)
		if err != nil {
			raw.Close()
			return nil, err
		}
		if p := tc.ConnectionState().NegotiatedProtocol; p != "h2" {
			raw.Close()
			if p == "" {
				p = "none"
			}
			return nil, &loadgen.FatalError{Err: fmt.Errorf("%s did not negotiate HTTP/2: ALPN offered h2, the server chose %s; drop --http2 to use HTTP/1.1", e.target.URL.Host, p)}
		}
		nc, c.info = tc, netdial.Info("h2", tc)
	}
	cc, err := e.tr.NewClientConn(nc) //nolint:staticcheck // the one API that lets gowrk own each TCP connection
	if err != nil {
		raw.Close()
		return nil, err
	}
	// A PING answered proves the server speaks HTTP/2 (with prior
	// knowledge nothing was negotiated) and that its SETTINGS have arrived.
	if err := cc.Ping(hctx); err != nil {
		cc.Close()
		if ctx.Err() != nil || e.tls {
			return nil, err
		}
		return nil, &loadgen.FatalError{Err: fmt.Errorf("%s does not speak HTTP/2 over cleartext (h2c with prior knowledge): %v; drop --http2/--h2c to use HTTP/1.1, or use https:// for HTTP/2 over TLS", e.target.URL.Host, err)}
	}
	if m := cc.State().MaxConcurrentStreams; m < 1<<31-1 {
		c.info.MaxStreams = m
	}
	c.cc = cc
	c.base, c.cancel = context.WithCancel(context.Background())
	return c, nil
}

// Conn is one HTTP/2 connection. Do may be called by several goroutines at
// once (one per stream slot); Interrupt and Close from any goroutine.
type Conn struct {
	e       *Engine
	cc      *http2.ClientConn
	counter *countingConn
	info    loadgen.ConnInfo
	base    context.Context
	cancel  context.CancelFunc
	closing atomic.Bool
}

var (
	_ loadgen.Conn     = (*Conn)(nil)
	_ loadgen.Informer = (*Conn)(nil)
)

// Do implements loadgen.Conn. The bytes it reports are those that crossed
// the connection since the previous Do on it returned, so that their sum
// over all streams is the connection's total.
func (c *Conn) Do(deadline time.Time, res *loadgen.Response) error {
	if !c.cc.CanTakeNewRequest() {
		return loadgen.ErrNotSent
	}
	ctx, cancel := context.WithDeadline(c.base, deadline)
	defer cancel()
	resp, err := c.cc.RoundTrip(c.request(ctx))
	if err == nil {
		_, err = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		res.Status = resp.StatusCode
	}
	res.BytesIn, res.BytesOut = c.counter.in.Swap(0), c.counter.out.Swap(0)
	// After a GOAWAY the connection finishes its streams but takes no new
	// ones: the worker moves to a new connection.
	res.Close = !c.cc.CanTakeNewRequest()
	if err != nil {
		return classify(ctx, err)
	}
	return nil
}

func (c *Conn) request(ctx context.Context) *http.Request {
	t := &c.e.target
	req := &http.Request{Method: t.Method, URL: t.URL, Header: c.e.header, Host: c.e.host, Proto: "HTTP/2.0", ProtoMajor: 2}
	if len(t.Body) > 0 {
		req.Body = io.NopCloser(bytes.NewReader(t.Body))
		req.ContentLength = int64(len(t.Body))
	} else {
		req.Body = http.NoBody
	}
	return req.WithContext(ctx)
}

// classify sorts an HTTP/2 failure into gowrk's error classes.
func classify(ctx context.Context, err error) error {
	var (
		se   http2.StreamError
		ce   http2.ConnectionError
		gae  http2.GoAwayError
		ne   net.Error
		cl   = loadgen.ClassRead
		text = err.Error()
	)
	switch {
	case errors.Is(err, context.DeadlineExceeded) || ctx.Err() == context.DeadlineExceeded || (errors.As(err, &ne) && ne.Timeout()):
		cl = loadgen.ClassTimeout
	case strings.Contains(text, "client conn not usable") || strings.Contains(text, "graceful shutdown GOAWAY"):
		return loadgen.ErrNotSent // refused before it was sent; retried elsewhere
	case errors.As(err, &gae) || strings.Contains(text, "GOAWAY"):
		cl = loadgen.ClassGoAway
	case errors.As(err, &se):
		cl = loadgen.ClassReset
	case errors.As(err, &ce) || strings.Contains(text, "protocol error"):
		cl = loadgen.ClassProtocol
	}
	return &loadgen.ClassError{Class: cl, Err: err}
}

// Usable implements loadgen.Conn: a stream error (a reset, a timeout that
// cancelled the stream) leaves the connection in use.
func (c *Conn) Usable() bool { return !c.closing.Load() && c.cc.CanTakeNewRequest() }

// Info implements loadgen.Informer.
func (c *Conn) Info() loadgen.ConnInfo { return c.info }

// Interrupt implements loadgen.Conn: every stream on the connection ends now.
func (c *Conn) Interrupt() {
	c.closing.Store(true)
	c.cancel()
	c.cc.Close()
}

// Close implements loadgen.Conn. It lets the streams still running on the
// connection finish (another stream slot may be mid-request after a GOAWAY),
// then closes it, without waiting.
func (c *Conn) Close() error {
	if c.closing.Swap(true) {
		return nil
	}
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), c.e.timeout)
		c.cc.Shutdown(ctx)
		cancel()
		c.cc.Close()
		c.cancel()
	}()
	return nil
}

// countingConn counts the bytes that cross a connection. x/net reads on its
// own goroutine and writes from the streams', so the counters are atomic;
// they are shared only by the streams of one connection.
type countingConn struct {
	net.Conn
	in, out atomic.Int64
}

func (c *countingConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.in.Add(int64(n))
	return n, err
}

func (c *countingConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	c.out.Add(int64(n))
	return n, err
}
