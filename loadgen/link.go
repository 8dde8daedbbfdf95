package loadgen

import (
	"context"
	"sync"
)

// link is one connection of the run, shared by its stream workers
// (Config.Streams of them; one for HTTP/1.1). It dials on demand and
// redials after the connection is dropped. Workers cache the Conn they got
// and come back here only to dial or to drop it, so the per-request path
// does not touch the link's lock.
type link struct {
	eng     ConnEngine
	addr    string // a script's thread.addr for this connection; "": the target's
	mu      sync.Mutex
	conn    Conn
	last    Conn // the last connection it had, for ConnInfo
	stopped bool
}

// get returns the current connection, dialling one if there is none. The
// first worker to find none dials while the others wait for its result.
func (l *link) get(ctx context.Context) (Conn, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.stopped {
		return nil, context.Canceled
	}
	if l.conn != nil {
		return l.conn, nil
	}
	var c Conn
	var err error
	if ad, ok := l.eng.(AddrDialer); ok && l.addr != "" {
		c, err = ad.DialAddr(ctx, l.addr)
	} else {
		c, err = l.eng.Dial(ctx)
	}
	if err != nil {
		return nil, err
	}
	if l.stopped { // interrupted while dialling
		c.Close()
		return nil, context.Canceled
	}
	l.conn, l.last = c, c
	return c, nil
}

// set installs a connection dialled elsewhere (the run's first one).
func (l *link) set(c Conn) {
	l.mu.Lock()
	l.conn, l.last = c, c
	l.mu.Unlock()
}

// drop closes c if it is still the link's connection; the next get redials.
func (l *link) drop(c Conn) {
	l.mu.Lock()
	if l.conn == c {
		l.conn = nil
	} else {
		c = nil // already dropped by another stream worker
	}
	l.mu.Unlock()
	if c != nil {
		c.Close()
	}
}

// interrupt stops the link: a request in progress on it returns at once and
// no new connection is dialled.
func (l *link) interrupt() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.stopped = true
	if l.conn != nil {
		l.conn.Interrupt()
	}
}

// close closes the connection at the end of the run.
func (l *link) close() {
	l.mu.Lock()
	c := l.conn
	l.conn = nil
	l.mu.Unlock()
	if c != nil {
		c.Close()
	}
}
