package h3

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/gowrk/gowrk/loadgen"
	"github.com/quic-go/quic-go"
	"github.com/quic-go/quic-go/http3"
)

// stream is one stream slot's handle on a QUIC connection (loadgen.Conn):
// one request at a time, each on a new HTTP/3 request stream. It is used
// by its worker's goroutine; Interrupt may come from another.
type stream struct {
	e   *Engine
	q   *qconn
	buf []byte // response body bytes are read into it and dropped (4 KiB: -c1000 --streams 10 holds 40 MB of them)

	ctx    context.Context // cancelled by Interrupt
	cancel context.CancelFunc

	mu      sync.Mutex // guards rs and stopped, for Interrupt
	rs      *http3.RequestStream
	stopped bool

	dialled    bool // DialStream opened q for this handle
	keep       bool // a script's response() wants the response
	khdr, kept []byte
}

func newStream(e *Engine, q *qconn, dialled bool) *stream {
	s := &stream{e: e, q: q, buf: make([]byte, 4<<10), dialled: dialled}
	s.ctx, s.cancel = context.WithCancel(q.qc.Context())
	return s
}

// Do implements loadgen.Conn: the target's request on a new stream.
func (s *stream) Do(deadline time.Time, res *loadgen.Response) error {
	return s.exchange(s.e.req, s.e.body, deadline, res)
}

// exchange sends req (and body) on a new request stream and reads the
// whole response, giving up at deadline. A connection found gone before
// the request went (closed, idled out, draining after GOAWAY) is
// loadgen.ErrStale: the server never saw the request.
func (s *stream) exchange(req *http.Request, body []byte, deadline time.Time, res *loadgen.Response) error {
	*res = loadgen.Response{}
	ctx := s.ctx
	if !deadline.IsZero() {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, deadline)
		defer cancel()
	}
	q := s.q
	if !q.usable() {
		return loadgen.ErrStale
	}
	rs, err := q.cc.OpenRequestStream(ctx)
	if err != nil {
		return s.notSent(err)
	}
	s.mu.Lock()
	s.rs = rs
	stopped := s.stopped
	s.mu.Unlock()
	if stopped {
		return s.fail(rs, errTimedOut)
	}
	rs.SetDeadline(deadline)
	if err := rs.SendRequestHeader(req); err != nil {
		if q.dead() {
			s.clear()
			return loadgen.ErrStale
		}
		return s.fail(rs, err)
	}
	// A server may answer before it reads the body, and stop the
	// request's side (STOP_SENDING): the write or the FIN then fails while
	// the response comes. The response, or its failure, is the outcome.
	if len(body) > 0 {
		rs.Write(body)
	}
	rs.Close()
	resp, err := rs.ReadResponse()
	res.First = time.Now() // the response's header frame, as quic-go hands it over
	if err != nil {
		if errors.As(err, new(*quic.StatelessResetError)) {
			// The server had forgotten the connection (it idled out
			// there): it never saw the request, as with a keep-alive
			// connection closed while idle.
			q.forgotten.Store(true)
			s.clear()
			return loadgen.ErrStale
		}
		return s.fail(rs, err)
	}
	if s.keep {
		s.keepHeaders(resp)
	}
	if _, err := s.drain(rs); err != nil {
		return s.fail(rs, err)
	}
	s.clear()
	if !q.answered.Load() {
		q.answered.Store(true)
	}
	res.Status = resp.StatusCode
	res.BytesIn, res.BytesOut = q.credit()
	// A connection draining after the server's GOAWAY takes no new
	// stream: the next request goes on a new one, without a stale.
	res.Close = !q.usable()
	return nil
}

// notSent is the outcome of a request whose stream could not be opened:
// the stop or its deadline (waiting for the server's stream limit), or a
// connection that is gone or going (ErrStale: it was never sent).
func (s *stream) notSent(err error) error {
	s.mu.Lock()
	stopped := s.stopped
	s.mu.Unlock()
	q := s.q
	switch {
	case stopped || (isDeadline(err) && !q.dead()):
		return &loadgen.ClassError{Class: loadgen.ClassTimeout, Err: errTimedOut}
	case !q.dead():
		q.going.Store(true) // the server's GOAWAY: no new streams here
	}
	return loadgen.ErrStale
}

// fail ends rs (the server sees the stream cancelled) and classes err.
func (s *stream) fail(rs *http3.RequestStream, err error) error {
	rs.CancelRead(quic.StreamErrorCode(http3.ErrCodeRequestCanceled))
	rs.CancelWrite(quic.StreamErrorCode(http3.ErrCodeRequestCanceled))
	s.clear()
	s.mu.Lock()
	stopped := s.stopped
	s.mu.Unlock()
	if stopped {
		return &loadgen.ClassError{Class: loadgen.ClassTimeout, Err: errTimedOut}
	}
	return s.class(err)
}

func (s *stream) clear() {
	s.mu.Lock()
	s.rs = nil
	s.mu.Unlock()
}

var errTimedOut = errors.New("i/o timeout")

// class is the error class of a request that failed after it was sent:
// the server reset its stream (reset), the connection ended under it
// (read: closed by the server with an error, idled out, a stateless
// reset), or its deadline passed (timeout).
func (s *stream) class(err error) error {
	if isDeadline(err) {
		return &loadgen.ClassError{Class: loadgen.ClassTimeout, Err: errTimedOut}
	}
	var se *quic.StreamError
	if errors.As(err, &se) && se.Remote {
		return &loadgen.ClassError{Class: loadgen.ClassReset, Err: cleanError(err)}
	}
	var he *http3.Error
	if errors.As(err, &he) && he.Remote && !errors.As(err, new(*quic.ApplicationError)) {
		return &loadgen.ClassError{Class: loadgen.ClassReset, Err: cleanError(err)}
	}
	return &loadgen.ClassError{Class: loadgen.ClassRead, Err: cleanError(err)}
}

func isDeadline(err error) bool {
	var ne net.Error
	return errors.Is(err, os.ErrDeadlineExceeded) || errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout())
}

// drain reads the response body to its end, counting it.
func (s *stream) drain(rs *http3.RequestStream) (int64, error) {
	var n int64
	for {
		k, err := rs.Read(s.buf)
		n += int64(k)
		if s.keep && k > 0 {
			s.kept = loadgen.KeepBody(s.kept, s.buf[:k])
		}
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return n, err
		}
	}
}

// Phases implements loadgen.Phased: the QUIC handshake of the connection
// this handle dialled (counted once per connection: Dialled).
func (s *stream) Phases() loadgen.ConnPhases {
	ph := loadgen.NoPhases
	if s.dialled {
		ph.QUIC = s.q.handshake
	}
	return ph
}

// Dialled implements loadgen.StreamConn.
func (s *stream) Dialled() bool { return s.dialled }

// Answered implements loadgen.StreamConn: a response came on the
// connection, or it died of an idle timeout or a stateless reset (the
// server no longer knows it). Unlike TCP's accept, QUIC's handshake is the
// server's own act, so a connection it forgot unused was accepted and
// then forgotten (stale), not refused.
func (s *stream) Answered() bool {
	if s.q.answered.Load() || s.q.forgotten.Load() {
		return true
	}
	cause := context.Cause(s.q.qc.Context())
	var idle *quic.IdleTimeoutError
	var reset *quic.StatelessResetError
	return errors.As(cause, &idle) || errors.As(cause, &reset)
}

// Close implements loadgen.Conn: it ends the stream in progress, if any.
// The connection is the Shared's: the engine closes it.
func (s *stream) Close() error {
	s.mu.Lock()
	rs := s.rs
	s.rs = nil
	s.mu.Unlock()
	if rs != nil {
		rs.CancelRead(quic.StreamErrorCode(http3.ErrCodeRequestCanceled))
		rs.CancelWrite(quic.StreamErrorCode(http3.ErrCodeRequestCanceled))
	}
	s.cancel()
	return nil
}

// Interrupt implements loadgen.Conn.
func (s *stream) Interrupt() {
	s.mu.Lock()
	s.stopped = true
	if s.rs != nil {
		s.rs.SetDeadline(time.Unix(1, 0))
	}
	s.mu.Unlock()
	s.cancel()
}
