package testserver

import (
	"crypto/tls"
	"net"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// listener accepts connections on a loopback address and serves each on a
// goroutine of its own, keeping track of them so that Close and Restart can
// end them all. Both test servers embed it.
type listener struct {
	// Conns counts connections accepted.
	Conns  atomic.Int64
	addr   string
	handle func(net.Conn)
	connMu sync.Mutex
	ln     net.Listener // guarded by connMu
	conns  map[net.Conn]struct{}
	wg     sync.WaitGroup
	closed atomic.Bool
	// tlsConf, when set, serves every connection over TLS (the handshake
	// runs on the connection's first read or write).
	tlsConf *tls.Config
}

// listen starts accepting on addr ("127.0.0.1:0" for a free port, or the
// path of a unix socket to create: one starting with "/").
func (l *listener) listen(addr string, handle func(net.Conn)) error {
	network := "tcp"
	if strings.HasPrefix(addr, "/") {
		network = "unix"
		os.Remove(addr) // a restart's, or a stale one
	}
	ln, err := net.Listen(network, addr)
	if err != nil {
		return err
	}
	l.connMu.Lock()
	l.addr, l.handle, l.ln = ln.Addr().String(), handle, ln
	if l.conns == nil {
		l.conns = map[net.Conn]struct{}{}
	}
	l.connMu.Unlock()
	l.wg.Add(1)
	go l.accept(ln)
	return nil
}

func (l *listener) accept(ln net.Listener) {
	defer l.wg.Done()
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		l.Conns.Add(1)
		if l.tlsConf != nil {
			c = tls.Server(c, l.tlsConf)
		}
		l.connMu.Lock()
		l.conns[c] = struct{}{}
		l.connMu.Unlock()
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			defer func() {
				l.connMu.Lock()
				delete(l.conns, c)
				l.connMu.Unlock()
				c.Close()
			}()
			l.handle(c)
		}()
	}
}

// Accepted is how many connections the server has accepted.
func (l *listener) Accepted() int64 { return l.Conns.Load() }

// URL is the server's base URL: https:// when it serves TLS.
func (l *listener) URL() string {
	if strings.HasPrefix(l.addr, "/") {
		return unixURL(l.tlsConf != nil)
	}
	if l.tlsConf != nil {
		return "https://" + l.addr + "/"
	}
	return "http://" + l.addr + "/"
}

// resetOnClose makes c's close a TCP reset (SO_LINGER 0), under TLS too.
func resetOnClose(c net.Conn) {
	if nc, ok := c.(interface{ NetConn() net.Conn }); ok {
		c = nc.NetConn()
	}
	if tc, ok := c.(*net.TCPConn); ok {
		tc.SetLinger(0)
	}
}

// Addr is the listening address.
func (l *listener) Addr() string { return l.addr }

// Close stops the server and waits for its connections to end.
func (l *listener) Close() {
	l.closed.Store(true)
	l.drop()
	l.wg.Wait()
}

// drop closes the listener and every connection.
func (l *listener) drop() {
	l.connMu.Lock()
	l.ln.Close()
	for c := range l.conns {
		c.Close()
	}
	l.connMu.Unlock()
}

// Restart simulates a server restart: every connection is closed, nothing
// listens for down, then the server listens again on the same address.
func (l *listener) Restart(down time.Duration) error {
	l.drop()
	time.Sleep(down)
	return l.listen(l.addr, l.handle)
}
