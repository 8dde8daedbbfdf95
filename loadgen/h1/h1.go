// Package h1 is gowrk's HTTP/1.1 engines: the event loop (LoopEngine, one
// epoll loop per thread, http:// on Linux) and the goroutine engine (Engine,
// one Conn and goroutine per connection: https://, and other systems). Both
// send the same request bytes, built once by fasthttp, and parse responses
// in place with one parser (parse.go, its limits in head.go), discarding
// bodies as they are read: memory stays bounded whatever the body size,
// nothing is allocated per request, and the two engines agree on every
// response by construction.
package h1

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/gowrk/gowrk/loadgen"
	"github.com/gowrk/gowrk/loadgen/netdial"
	"github.com/valyala/fasthttp"
)

// ReadBufferSize is a goroutine-engine connection's read buffer: one read
// takes up to this much (wrk's RECVBUF is the same size). A header block
// cut by a read is kept by the parser, up to MaxHeaderBytes.
const ReadBufferSize = 8192

// Engine dials HTTP/1.1 connections to one target. It is safe for
// concurrent use.
type Engine struct {
	dial    *netdial.Dialer // the route: address, socket, proxy, local addresses
	tls     *tls.Config     // nil for http
	request []byte          // the request bytes, shared read-only by all conns
	head    bool            // HEAD: responses carry no body
	noKeep  bool            // a new connection per request (Target.NoKeepAlive)
	timeout time.Duration

	probe    sync.Once
	h2OnlyIs bool // set once by h2Only's probe
}

var _ loadgen.ConnEngine = (*Engine)(nil)

// Info implements loadgen.Engine; each connection says more (its TLS).
func (e *Engine) Info() loadgen.ConnInfo { return loadgen.ConnInfo{Protocol: "http/1.1"} }

// Lookup implements loadgen.Resolver: the one lookup of New.
func (e *Engine) Lookup() (time.Duration, bool) { return e.dial.Lookup() }

// New builds the request bytes of t and resolves its host (or its route's
// address) once, as wrk does. dialTimeout bounds each dial, a proxy's
// CONNECT and TLS handshake.
func New(ctx context.Context, t loadgen.Target, dialTimeout time.Duration) (*Engine, error) {
	d, err := netdial.New(ctx, t, false, dialTimeout)
	if err != nil {
		return nil, err
	}
	req, err := routedRequest(t, d)
	if err != nil {
		return nil, err
	}
	e := &Engine{dial: d, request: req, head: strings.EqualFold(t.Method, "HEAD"), noKeep: t.NoKeepAlive, timeout: dialTimeout}
	if t.URL.Scheme == "https" {
		e.tls = netdial.TLSConfig(t, "http/1.1")
	}
	return e, nil
}

// h2Only reports whether the TLS server chooses h2 when a client offers
// only h2. It is asked once per run, on a connection of its own, when a
// handshake offering http/1.1 negotiated no protocol.
func (e *Engine) h2Only() bool {
	e.probe.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), e.timeout)
		defer cancel()
		raw, err := e.dial.Dial(ctx)
		if err != nil {
			return
		}
		defer raw.Close()
		cfg := e.tls.Clone()
		cfg.NextProtos = []string{"h2"}
		if tc, err := netdial.Handshake(ctx, raw, cfg); err == nil {
			e.h2OnlyIs = tc.ConnectionState().NegotiatedProtocol == "h2"
		}
	})
	return e.h2OnlyIs
}

// BuildRequest returns the bytes of t's request as sent on the wire.
func BuildRequest(t loadgen.Target) ([]byte, error) {
	var req fasthttp.Request
	req.Header.DisableNormalizing()
	// The request line carries the origin form (path and query) and the
	// Host header the URL's host, unless a -H Host: overrides it.
	req.Header.SetRequestURI(t.URL.RequestURI())
	req.Header.SetHost(t.URL.Host)
	req.Header.SetMethod(t.Method)
	for _, h := range t.Headers {
		if strings.EqualFold(h.Name, "Host") {
			req.Header.SetHost(h.Value)
			continue
		}
		req.Header.Add(h.Name, h.Value)
	}
	if t.NoKeepAlive && len(req.Header.Peek("Connection")) == 0 {
		req.Header.Set("Connection", "close")
	}
	if len(t.Body) > 0 {
		req.SetBody(t.Body)
	}
	var buf bytes.Buffer
	bw := bufio.NewWriter(&buf)
	if err := req.Write(bw); err != nil {
		return nil, fmt.Errorf("building the request: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Dial implements loadgen.ConnEngine. An untrusted certificate is a
// *loadgen.FatalError: no retry can fix it.
func (e *Engine) Dial(ctx context.Context) (loadgen.Conn, error) {
	return e.DialAddr(ctx, e.dial.Addr())
}

// DialAddr implements loadgen.AddrDialer: Dial to addr ("ip:port", a
// script's thread.addr) instead of the target's address.
func (e *Engine) DialAddr(ctx context.Context, addr string) (loadgen.Conn, error) {
	raw, took, err := e.dial.DialTimed(ctx, addr)
	if err != nil {
		return nil, err
	}
	c := newConn(raw, e.request, e.head)
	c.ps.noKeep = e.noKeep
	c.phases = loadgen.NoPhases
	c.phases.Connect = took
	if e.tls != nil {
		hctx, cancel := context.WithTimeout(ctx, e.timeout)
		t0 := time.Now()
		tc, err := netdial.Handshake(hctx, c.counter, e.tls)
		c.phases.TLS = time.Since(t0)
		cancel()
		if err != nil {
			raw.Close()
			var np *netdial.NoProtocolError
			if errors.As(err, &np) {
				if e.h2Only() {
					return nil, &loadgen.FatalError{Err: fmt.Errorf("%s speaks only HTTP/2 over TLS (ALPN offered http/1.1, the server refused it)", e.tls.ServerName), Fix: loadgen.FixHTTP2}
				}
				return nil, &loadgen.FatalError{Err: fmt.Errorf("%s speaks neither HTTP/1.1 nor HTTP/2 over TLS (ALPN offered http/1.1, then h2; the server refused both): is it an HTTP server?", e.tls.ServerName)}
			}
			return nil, err
		}
		// A server that picked no protocol may be one that speaks only
		// HTTP/2 and lets HTTP/1.1 clients through the handshake only to
		// close their connections unanswered (Go's, go.dev/issue/46310).
		if tc.ConnectionState().NegotiatedProtocol == "" && e.h2Only() {
			raw.Close()
			return nil, &loadgen.FatalError{Err: fmt.Errorf("%s speaks only HTTP/2 over TLS (it negotiated no protocol for http/1.1, and chose h2 when offered)", e.tls.ServerName), Fix: loadgen.FixHTTP2}
		}
		c.nc, c.tls, c.tlsCfg = tc, tc, e.tls
	}
	return c, nil
}
