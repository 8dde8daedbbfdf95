package netdial

import (
	"bufio"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/gowrk/gowrk/loadgen"
)

// Dialer opens a run's connections the way its loadgen.Route says: TCP to
// the target (or its --connect-to address), a unix socket, or through an
// HTTP proxy, from the route's local addresses in turn. It is built once
// per engine (New) and safe for concurrent use: the only state shared
// between connections is the turn of the local addresses, an atomic taken
// once per dial, never per request.
type Dialer struct {
	network string // "tcp" or "unix"
	addr    string // what is dialled: ip:port (the target, its mapping, the proxy) or a socket path

	// Through a proxy: tunnel says a CONNECT to authority comes first
	// (TLS and HTTP/2); absolute says plain HTTP/1.1 requests are sent to
	// the proxy in absolute form. auth is the Proxy-Authorization value.
	tunnel    bool
	absolute  bool
	authority string
	auth      string

	local []netip.Addr
	turn  atomic.Uint32
	d     net.Dialer

	// lookup is how long New's name lookup took; named says there was one.
	lookup time.Duration
	named  bool
}

// New builds the dialer of t's route and resolves what it dials once (as
// wrk resolves its target), so that DNS is part of no request. tunnel
// says the engine wants a byte stream to the origin through a proxy
// (TLS, HTTP/2); without it a proxy gets plain HTTP/1.1 requests in
// absolute form. timeout bounds each dial and a proxy's CONNECT.
func New(ctx context.Context, t loadgen.Target, tunnel bool, timeout time.Duration) (*Dialer, error) {
	r := &t.Route
	d := &Dialer{network: "tcp", local: r.Local}
	d.d.Timeout = timeout
	if len(r.Local) > 0 {
		d.d.Control = bindNoPort
	}
	switch {
	case r.Unix != "":
		d.network, d.addr = "unix", r.Unix
	case r.Proxy != nil:
		addr, err := d.resolve(ctx, r.Proxy)
		if err != nil {
			return nil, fmt.Errorf("proxy: %w", err)
		}
		d.addr = addr
		d.tunnel = tunnel || t.URL.Scheme == "https"
		d.absolute = !d.tunnel
		d.authority = hostPort(t.URL)
		if u := r.Proxy.User; u != nil {
			pass, _ := u.Password()
			d.auth = "Basic " + base64.StdEncoding.EncodeToString([]byte(u.Username()+":"+pass))
		}
	default:
		target := mapped(t.URL, r.ConnectTo)
		addr, err := d.resolve(ctx, target)
		if err != nil {
			return nil, err
		}
		d.addr = addr
	}
	return d, nil
}

// resolve is ResolveTimed, kept for Lookup.
func (d *Dialer) resolve(ctx context.Context, u *url.URL) (addr string, err error) {
	addr, d.lookup, d.named, err = ResolveTimed(ctx, u)
	return addr, err
}

// Lookup implements loadgen.Resolver for the engines built on d: how long
// the name lookup of New took, and false when the address was an IP
// address or a unix socket (no lookup).
func (d *Dialer) Lookup() (time.Duration, bool) { return d.lookup, d.named }

// DialTimed is Dial, saying how long the connect took (a CONNECT tunnel's
// included).
func (d *Dialer) DialTimed(ctx context.Context, addr string) (net.Conn, time.Duration, error) {
	t0 := time.Now()
	nc, err := d.DialAddr(ctx, addr)
	return nc, time.Since(t0), err
}

// Network and Addr are what a connection dials: "unix" and a socket path,
// or "tcp" and ip:port (the target's, its mapping's or the proxy's).
func (d *Dialer) Network() string { return d.network }
func (d *Dialer) Addr() string    { return d.addr }

// Absolute reports whether requests go to a proxy in absolute form, with
// ProxyAuth (when not "") as their Proxy-Authorization header.
func (d *Dialer) Absolute() bool    { return d.absolute }
func (d *Dialer) ProxyAuth() string { return d.auth }

// Local returns the source address of the next connection, in turn, and
// false when the route has none.
func (d *Dialer) Local() (netip.Addr, bool) {
	if len(d.local) == 0 {
		return netip.Addr{}, false
	}
	return d.local[int(d.turn.Add(1)-1)%len(d.local)], true
}

// Dial opens one connection: to the target, its socket or mapping, or
// through the proxy (a CONNECT tunnel to the origin when the dialer
// tunnels). The connection is the caller's.
func (d *Dialer) Dial(ctx context.Context) (net.Conn, error) {
	return d.DialAddr(ctx, d.addr)
}

// DialAddr is Dial to addr (a script's thread.addr) instead of the
// route's address; the route's local addresses and proxy still apply.
func (d *Dialer) DialAddr(ctx context.Context, addr string) (net.Conn, error) {
	dl := d.d
	if a, ok := d.Local(); ok {
		dl.LocalAddr = &net.TCPAddr{IP: a.AsSlice(), Zone: a.Zone()}
	}
	network := d.network
	if addr != d.addr {
		network = "tcp" // a script's thread.addr is host:port, whatever the route
	}
	nc, err := dl.DialContext(ctx, network, addr)
	if err != nil || !d.tunnel {
		return nc, err
	}
	if err := d.connect(ctx, nc); err != nil {
		nc.Close()
		return nil, err
	}
	return nc, nil
}

// maxProxyReply bounds a proxy's answer to CONNECT, in bytes.
const maxProxyReply = 16 << 10

// connect asks the proxy on nc for a tunnel to the origin and reads its
// answer byte by byte, so that nothing of the origin's is consumed. A
// proxy that refuses (407, 403, 502...) is a *loadgen.FatalError: every
// connection would be refused the same.
func (d *Dialer) connect(ctx context.Context, nc net.Conn) error {
	if dl, ok := ctx.Deadline(); ok {
		nc.SetDeadline(dl)
	} else if d.d.Timeout > 0 {
		nc.SetDeadline(time.Now().Add(d.d.Timeout))
	}
	defer nc.SetDeadline(time.Time{})
	req := "CONNECT " + d.authority + " HTTP/1.1\r\nHost: " + d.authority + "\r\n"
	if d.auth != "" {
		req += "Proxy-Authorization: " + d.auth + "\r\n"
	}
	if _, err := nc.Write([]byte(req + "\r\n")); err != nil {
		return fmt.Errorf("proxy CONNECT: %w", err)
	}
	br := bufio.NewReaderSize(byteReader{nc}, 16)
	line, err := br.ReadString('\n')
	if err != nil {
		return fmt.Errorf("proxy CONNECT to %s: no answer: %w", d.authority, err)
	}
	status := proxyStatus(line)
	n := len(line)
	for {
		l, err := br.ReadString('\n')
		n += len(l)
		if err != nil {
			return fmt.Errorf("proxy CONNECT to %s: the answer ended early: %w", d.authority, err)
		}
		if n > maxProxyReply {
			return &loadgen.FatalError{Err: fmt.Errorf("proxy CONNECT to %s: the answer's header is over %d bytes: is it an HTTP proxy?", d.authority, maxProxyReply)}
		}
		if l == "\r\n" || l == "\n" {
			break
		}
	}
	switch {
	case status >= 200 && status < 300:
		return nil
	case status == 407:
		return &loadgen.FatalError{Err: fmt.Errorf("the proxy refused CONNECT to %s: 407 Proxy Authentication Required", d.authority), Fix: loadgen.FixProxyCredentials}
	case status == 0:
		return &loadgen.FatalError{Err: fmt.Errorf("the proxy answered CONNECT to %s with no HTTP status line: is it an HTTP proxy?", d.authority)}
	}
	return &loadgen.FatalError{Err: fmt.Errorf("the proxy refused CONNECT to %s: status %d (a proxy may allow CONNECT to some ports only)", d.authority, status)}
}

// byteReader reads one byte at a time, so that a bufio.Reader over it
// never takes more than the proxy's answer.
type byteReader struct{ nc net.Conn }

func (b byteReader) Read(p []byte) (int, error) { return b.nc.Read(p[:min(len(p), 1)]) }

// proxyStatus is the status code of an HTTP/1.x status line; 0 for none.
func proxyStatus(line string) int {
	if len(line) < 12 || line[:5] != "HTTP/" {
		return 0
	}
	n, err := strconv.Atoi(line[9:12])
	if err != nil {
		return 0
	}
	return n
}

// hostPort is u's host:port, the port defaulting to the scheme's.
func hostPort(u *url.URL) string { return loadgen.HostPort(u) }

// mapped is u, or, when a mapping of maps matches u's host and port (an
// empty host or port matches any), u with the mapping's address; only
// the host and port are read from the result.
func mapped(u *url.URL, maps []loadgen.ConnectTo) *url.URL {
	host, port, _ := net.SplitHostPort(hostPort(u))
	r := loadgen.Route{ConnectTo: maps}
	h, p, ok := r.Map(host, port)
	if !ok {
		return u
	}
	to := *u
	to.Host = net.JoinHostPort(h, p)
	return &to
}

// bindNoPort sets IP_BIND_ADDRESS_NO_PORT on a socket about to be bound
// to a local address: the port is chosen at connect, per destination, so
// that each local address has the whole ephemeral range to each server.
func bindNoPort(network, _ string, c syscall.RawConn) error {
	var serr error
	err := c.Control(func(fd uintptr) { serr = setBindNoPort(int(fd)) })
	return errors.Join(err, serr)
}

// LocalAddrs are the route's source addresses, for an engine that binds
// its own sockets (the event loop) and takes its own turn over them.
func (d *Dialer) LocalAddrs() []netip.Addr { return d.local }
