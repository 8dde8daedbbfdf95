package h1

import (
	"bufio"
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
	"github.com/valyala/fasthttp"
)

// Conn is one HTTP/1.1 connection. Do is called by one goroutine at a time;
// Interrupt and Close may be called from any goroutine.
type Conn struct {
	nc          net.Conn      // what requests are written to (TLS or counter)
	tls         *tls.Conn     // nil without TLS
	counter     *countingConn // the TCP connection, counting wire bytes
	br          *bufio.Reader
	request     []byte
	head        bool
	used        int  // exchanges completed on this connection
	gotByte     bool // a byte of the current response has arrived
	hdr         fasthttp.ResponseHeader
	interrupted atomic.Bool

	// The exchange in progress: what is written, whether it is a HEAD
	// request, and whether the response is kept (a script's response()).
	out    []byte
	isHead bool
	keep   bool
	kept   []byte // the kept body
}

var _ loadgen.Conn = (*Conn)(nil)

var (
	errInterrupted = errors.New("interrupted")
	errNoBody      = errors.New("connection closed before the response was complete")
	errBadChunk    = errors.New("malformed chunked encoding")
	errBadStatus   = errors.New("malformed status code")
	errNotHTTP     = errors.New("the response is not HTTP/1.x")
)

// Do implements loadgen.Conn.
func (c *Conn) Do(deadline time.Time, res *loadgen.Response) error {
	c.out, c.isHead, c.keep = c.request, c.head, false
	return c.do(deadline, res)
}

// DoScript implements loadgen.ScriptConn.
func (c *Conn) DoScript(req []byte, keep bool, deadline time.Time, res *loadgen.Response) error {
	c.out, c.isHead, c.keep = req, bytes.HasPrefix(req, []byte("HEAD ")), keep
	c.kept = c.kept[:0]
	return c.do(deadline, res)
}

// Kept implements loadgen.ScriptConn: the last response's header block
// (as fasthttp holds it) and body.
func (c *Conn) Kept() (header, body []byte) { return c.hdr.Header(), c.kept }

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
	c.gotByte = false
	if err := c.nc.SetDeadline(deadline); err != nil {
		return &loadgen.ClassError{Class: loadgen.ClassWrite, Err: err}
	}
	if c.interrupted.Load() {
		return &loadgen.ClassError{Class: loadgen.ClassRead, Err: errInterrupted}
	}
	if _, err := c.nc.Write(c.out); err != nil {
		if c.used > 0 && closedByPeer(err) {
			return loadgen.ErrStale
		}
		return classify(loadgen.ClassWrite, err)
	}
	status, err := c.readHeader()
	if err != nil {
		if !c.gotByte && closedByPeer(err) {
			if c.used > 0 {
				return loadgen.ErrStale // not one byte of the response came
			}
		}
		return classify(loadgen.ClassRead, err)
	}
	res.Status = status
	res.Close = c.hdr.ConnectionClose()
	if c.isHead || status == 204 || status == 304 {
		return nil
	}
	switch n := c.hdr.ContentLength(); {
	case n >= 0:
		if err := c.skip(n); err != nil {
			return classify(loadgen.ClassRead, eofMeansShort(err))
		}
	case n == -1:
		if err := c.discardChunked(); err != nil {
			return classify(loadgen.ClassRead, err)
		}
	default: // identity: the body runs to the end of the connection
		res.Close = true
		var w io.Writer = io.Discard
		if c.keep {
			w = keepWriter{c}
		}
		if _, err := c.br.WriteTo(w); err != nil {
			return classify(loadgen.ClassRead, err)
		}
	}
	return nil
}

// readHeader reads the final response header, skipping 1xx interim ones.
func (c *Conn) readHeader() (int, error) {
	for {
		// fasthttp reports any failure on the first byte as EOF; peeking
		// first keeps the real cause (a TLS alert, a reset, a timeout).
		first, err := c.br.Peek(1)
		if err != nil {
			return 0, eofMeansShort(err)
		}
		c.gotByte = true
		if first[0] != 'H' {
			return 0, c.notHTTP()
		}
		if err := c.hdr.Read(c.br); err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return 0, err
		}
		s := c.hdr.StatusCode()
		if s < 100 || s > 999 {
			return 0, errBadStatus
		}
		if s >= 200 || s == 101 {
			return s, nil
		}
	}
}

// notHTTP explains a response that does not start as HTTP/1.x does.
func (c *Conn) notHTTP() error {
	b, _ := c.br.Peek(c.br.Buffered())
	return classifyNotHTTP(b)
}

// closedByPeer reports whether err says the peer had closed the connection:
// end-of-file, a reset or a broken pipe.
func closedByPeer(err error) bool {
	return err == errNoBody || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}

// discardChunked reads and drops a chunked body and its trailer.
func (c *Conn) discardChunked() error {
	for {
		line, err := c.br.ReadSlice('\n')
		if err != nil {
			return eofMeansShort(err)
		}
		size, ok := chunkSize(line)
		if !ok {
			return errBadChunk
		}
		if size == 0 {
			return c.discardTrailer()
		}
		if err := c.skip(int(size)); err != nil {
			return eofMeansShort(err)
		}
		crlf, err := c.br.Peek(2)
		if err != nil {
			return eofMeansShort(err)
		}
		if crlf[0] != '\r' || crlf[1] != '\n' {
			return errBadChunk
		}
		c.br.Discard(2)
	}
}

func (c *Conn) discardTrailer() error {
	for {
		line, err := c.br.ReadSlice('\n')
		if err != nil {
			return eofMeansShort(err)
		}
		if len(line) <= 2 && (len(line) == 1 || line[0] == '\r') {
			return nil
		}
	}
}

// chunkSize parses the hex size at the start of a chunk line.
func chunkSize(line []byte) (int64, bool) {
	var n int64
	digits := 0
	for _, b := range line {
		var d int64
		switch {
		case b >= '0' && b <= '9':
			d = int64(b - '0')
		case b >= 'a' && b <= 'f':
			d = int64(b-'a') + 10
		case b >= 'A' && b <= 'F':
			d = int64(b-'A') + 10
		default:
			ok := digits > 0 && (b == ';' || b == '\r' || b == '\n' || b == ' ' || b == '\t')
			return n, ok
		}
		if digits++; digits > 15 {
			return 0, false
		}
		n = n<<4 | d
	}
	return 0, false
}

func eofMeansShort(err error) error {
	if err == io.EOF {
		return errNoBody
	}
	return err
}

// classify turns an I/O error into a ClassError, recognising timeouts.
func classify(class loadgen.ErrorClass, err error) error {
	var ne net.Error
	if errors.Is(err, fasthttp.ErrTimeout) || (errors.As(err, &ne) && ne.Timeout()) {
		class = loadgen.ClassTimeout
	}
	return &loadgen.ClassError{Class: class, Err: err}
}

// Interrupt implements loadgen.Conn.
func (c *Conn) Interrupt() {
	c.interrupted.Store(true)
	c.nc.SetDeadline(time.Unix(1, 0))
}

// Usable implements loadgen.Conn: after an error an HTTP/1.1 connection is
// in an unknown state (a response may still be on its way) and is dropped.
func (c *Conn) Usable() bool { return false }

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

// skip reads n body bytes: dropped, or kept for a script's response() (up
// to loadgen.MaxKeptBody).
func (c *Conn) skip(n int) error {
	if !c.keep {
		_, err := c.br.Discard(n)
		return err
	}
	for n > 0 {
		b, err := c.br.Peek(min(n, c.br.Size()))
		c.keepBody(b)
		c.br.Discard(len(b))
		n -= len(b)
		if err != nil {
			return err
		}
	}
	return nil
}

func (c *Conn) keepBody(b []byte) { c.kept = loadgen.KeepBody(c.kept, b) }

// keepWriter keeps a body that runs to the connection's end.
type keepWriter struct{ c *Conn }

func (w keepWriter) Write(b []byte) (int, error) { w.c.keepBody(b); return len(b), nil }

// HooksPerConn implements loadgen.HookRunner: each connection has its own
// goroutine, so each has its own script thread.
func (e *Engine) HooksPerConn() bool { return true }
