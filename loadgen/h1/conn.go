package h1

import (
	"bytes"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/gowrk/gowrk/loadgen"
	"github.com/gowrk/gowrk/loadgen/netdial"
)

// Conn is one HTTP/1.1 connection of the goroutine engine (https://, and
// any system without the loop). It reads responses into its own buffer and
// parses them with the loop's parser (parse.go), so that both engines
// judge the same bytes by the same rules. Do is called by one goroutine at
// a time; Interrupt and Close may be called from any goroutine.
type Conn struct {
	nc          net.Conn      // what requests are written to (TLS or counter)
	tls         *tls.Conn     // nil without TLS
	tlsCfg      *tls.Config   // the configuration it was dialled with; nil without TLS
	counter     *countingConn // the TCP connection, counting wire bytes
	rbuf        []byte        // one read's bytes (ReadBufferSize)
	ps          parser
	done        func(status int, close bool) // c.complete, bound once
	request     []byte
	head        bool
	used        int // exchanges completed on this connection
	interrupted atomic.Bool
	phases      loadgen.ConnPhases // how long it took to open (Dial)

	// The exchange in progress: what is written, and its response once
	// the parser ended it.
	out      []byte
	answered bool
	status   int
	close    bool
}

var _ loadgen.Conn = (*Conn)(nil)

var errInterrupted = errors.New("interrupted")

// newConn wraps raw (a dialled TCP connection) to send request.
func newConn(raw net.Conn, request []byte, head bool) *Conn {
	c := &Conn{counter: &countingConn{Conn: raw}, request: request, head: head, rbuf: make([]byte, ReadBufferSize)}
	c.nc = c.counter
	c.done = c.complete
	c.ps.reset(head)
	return c
}

// Do implements loadgen.Conn.
func (c *Conn) Do(deadline time.Time, res *loadgen.Response) error {
	c.out, c.ps.head, c.ps.capture = c.request, c.head, false
	return c.do(deadline, res)
}

// DoScript implements loadgen.ScriptConn.
func (c *Conn) DoScript(req []byte, keep bool, deadline time.Time, res *loadgen.Response) error {
	c.out, c.ps.head, c.ps.capture = req, bytes.HasPrefix(req, []byte("HEAD ")), keep
	c.ps.hdr, c.ps.body = c.ps.hdr[:0], c.ps.body[:0]
	return c.do(deadline, res)
}

// Kept implements loadgen.ScriptConn: the last response's final header
// block, status line included, and its body (de-chunked), as the loop
// hands them to response().
func (c *Conn) Kept() (header, body []byte) { return c.ps.hdr, c.ps.body }

func (c *Conn) do(deadline time.Time, res *loadgen.Response) error {
	in0, out0 := c.counter.in, c.counter.out
	err := c.exchange(deadline, res)
	res.BytesIn = c.counter.in - in0
	res.BytesOut = c.counter.out - out0
	if err == nil {
		c.used++
	}
	return err
}

func (c *Conn) exchange(deadline time.Time, res *loadgen.Response) error {
	c.answered = false
	if err := c.nc.SetDeadline(deadline); err != nil {
		return &loadgen.ClassError{Class: loadgen.ClassWrite, Err: err}
	}
	if c.interrupted.Load() {
		return &loadgen.ClassError{Class: loadgen.ClassRead, Err: errInterrupted}
	}
	if _, err := c.nc.Write(c.out); err != nil {
		if closedByPeer(err) {
			return &loadgen.UnansweredError{Err: bare(err)}
		}
		return classify(loadgen.ClassWrite, err)
	}
	if err := c.read(res); err != nil {
		return c.readFailed(err)
	}
	res.Status, res.Close = c.status, c.close
	return nil
}

// read reads until the parser ends the response. What follows it in the
// same read is parsed too, as the loop parses it; if that is malformed, or
// the connection ends after the response, the connection is not reused.
// res.First is set at the first read that brings bytes (one clock read
// per exchange).
func (c *Conn) read(res *loadgen.Response) error {
	for !c.answered {
		n, err := c.nc.Read(c.rbuf)
		if n > 0 {
			if res.First.IsZero() {
				res.First = time.Now()
			}
			if perr := c.ps.feed(c.rbuf[:n], c.done); perr != nil {
				if c.answered {
					c.close = true
					return nil
				}
				return perr
			}
		}
		switch {
		case err == nil:
		case c.answered:
			c.close = true
		case err == io.EOF:
			if c.ps.eof(c.done) {
				return nil // the body ran to the close
			}
			return errNoBody
		default:
			return err
		}
	}
	return nil
}

// complete is the parser's callback: a response ended. Only the first is
// the answer; one more in the same read answers nothing, as on the loop.
func (c *Conn) complete(status int, close bool) {
	if !c.answered {
		c.answered, c.status, c.close = true, status, close
	}
}

// readFailed classifies a read that ended before the response did: a
// keep-alive connection closed while idle (not one byte of the response
// came) is stale; a TLS server refusing the client's certificate, which
// under TLS 1.3 says so on the first read, is fatal, and a connect error:
// the connection was never established, and the request never read.
func (c *Conn) readFailed(err error) error {
	if c.tls != nil && c.used == 0 {
		if fatal := netdial.ClientCertRefused(err, c.tlsCfg); fatal != nil {
			return &loadgen.ClassError{Class: loadgen.ClassConnect, Err: fatal}
		}
	}
	if !c.ps.started && closedByPeer(err) {
		return &loadgen.UnansweredError{Err: bare(err), Written: true}
	}
	return classify(loadgen.ClassRead, err)
}

// closedByPeer reports whether err says the peer had closed the connection:
// end-of-file, a reset or a broken pipe.
func closedByPeer(err error) bool {
	return err == errNoBody || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}

// classify turns an I/O error into a ClassError, recognising timeouts. A
// system error is kept bare, as the loop gets it from the socket, so that
// both engines word the same failure the same.
func classify(class loadgen.ErrorClass, err error) error {
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		class = loadgen.ClassTimeout
	}
	return &loadgen.ClassError{Class: class, Err: bare(err)}
}

// bare is err as the loop gets it from the socket: a system error alone.
func bare(err error) error {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		return errno
	}
	return err
}

// Interrupt implements loadgen.Conn.
func (c *Conn) Interrupt() {
	c.interrupted.Store(true)
	c.nc.SetDeadline(time.Unix(1, 0))
}

// Phases implements loadgen.Phased.
func (c *Conn) Phases() loadgen.ConnPhases { return c.phases }

// Info implements loadgen.Informer.
func (c *Conn) Info() loadgen.ConnInfo { return netdial.Info("http/1.1", c.tls) }

// Close implements loadgen.Conn.
func (c *Conn) Close() error { return c.nc.Close() }

// countingConn counts the bytes that cross a connection. It is used by one
// goroutine at a time (the Conn's worker), so its counters are plain fields.
type countingConn struct {
	net.Conn
	in, out int64
}

func (c *countingConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.in += int64(n)
	return n, err
}

func (c *countingConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	c.out += int64(n)
	return n, err
}

// HooksPerConn implements loadgen.HookRunner: each connection has its own
// goroutine, so each has its own script thread.
func (e *Engine) HooksPerConn() bool { return true }
