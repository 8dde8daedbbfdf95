package h3

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gowrk/gowrk/loadgen"
	"github.com/gowrk/gowrk/loadgen/netdial"
	"github.com/quic-go/quic-go"
	"github.com/quic-go/quic-go/http3"
)

// qconn is one QUIC connection and its HTTP/3 client connection, on the
// engine's shared UDP socket (socket.go). Its streams use it from their
// workers' goroutines; quic-go makes that safe.
type qconn struct {
	qc *quic.Conn
	cc *http3.ClientConn

	handshake time.Duration
	going     atomic.Bool // a GOAWAY came: no new streams on it
	answered  atomic.Bool // a response came on one of its streams (set once)
	forgotten atomic.Bool // a stream met the server's stateless reset
	closed    sync.Once

	mu         sync.Mutex // guards the bytes credited so far, read by its streams
	sent, recv uint64
}

// usable says whether a new stream may go on q.
func (q *qconn) usable() bool { return !q.dead() && !q.going.Load() }

func (q *qconn) dead() bool { return q.qc.Context().Err() != nil }

// credit returns the wire bytes (QUIC packets, retransmissions included)
// the connection sent and received since the last call, for the stream
// that asks: each byte is credited once.
func (q *qconn) credit() (in, out int64) {
	st := q.qc.ConnectionStats()
	q.mu.Lock()
	in, out = int64(st.BytesReceived-q.recv), int64(st.BytesSent-q.sent)
	q.recv, q.sent = st.BytesReceived, st.BytesSent
	q.mu.Unlock()
	return in, out
}

// close ends the connection (H3_NO_ERROR) and its socket, and adds its
// figures to the engine's. Safe to call more than once.
func (q *qconn) close(e *Engine) {
	q.closed.Do(func() {
		st := q.qc.ConnectionStats()
		q.qc.CloseWithError(quic.ApplicationErrorCode(http3.ErrCodeNoError), "")
		e.mu.Lock()
		e.stats.addConn(st)
		e.mu.Unlock()
		e.release()
	})
}

// dial opens a QUIC connection and its HTTP/3 control stream.
func (e *Engine) dial(ctx context.Context) (*qconn, error) {
	first := e.first.CompareAndSwap(false, true)
	tr, udp, err := e.transport()
	if err != nil {
		return nil, err
	}
	start := time.Now()
	pctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	if first { // a closed UDP port says so at once; quic-go would wait
		go func() {
			if probeUDP(pctx, e.raddr) != nil {
				cancel(errNoUDP)
			}
		}()
	}
	hctx, stop := context.WithTimeout(pctx, e.opts.DialTimeout)
	defer stop()
	qc, err := tr.Dial(hctx, e.raddr, e.tls, e.qconf)
	took := time.Since(start)
	if err != nil {
		e.release()
		if errors.Is(context.Cause(pctx), errNoUDP) {
			return nil, &loadgen.FatalError{Err: fmt.Errorf("%s: nothing listens on UDP port %s (ICMP port unreachable), so the server has no HTTP/3 there", e.target.URL.Host, e.port()), Fix: loadgen.FixEnableHTTP3}
		}
		return nil, e.dialError(ctx, err, first)
	}
	q := &qconn{qc: qc, handshake: took}
	q.cc = e.h3.NewClientConn(qc)
	bufs := udpBuffers(udp)
	e.mu.Lock()
	e.stats.addHandshake(took, bufs)
	if first || e.info.TLSVersion == "" {
		cs := qc.ConnectionState()
		e.info.TLSVersion = tls.VersionName(cs.TLS.Version)
		e.info.CipherSuite = tls.CipherSuiteName(cs.TLS.CipherSuite)
	}
	e.mu.Unlock()
	return q, nil
}

// TLS alerts as QUIC carries them: CRYPTO_ERROR 0x100 + the alert.
const (
	cryptoError    = 0x100
	alertInternal  = 80
	alertNoProto   = 120
	alertHandshake = 40
)

// dialError is a failed dial as the run counts it: what no retry fixes is
// a *loadgen.FatalError (a certificate, ALPN); on the run's first dial, a
// handshake that never completes is one too, saying what to change.
func (e *Engine) dialError(ctx context.Context, err error, first bool) error {
	host := e.target.URL.Host
	var te *quic.TransportError
	if errors.As(err, &te) && te.Remote && te.ErrorCode >= cryptoError && te.ErrorCode < cryptoError+256 {
		alert := tls.AlertError(uint8(te.ErrorCode - cryptoError))
		err = fmt.Errorf("TLS handshake: %w (%w)", alert, err)
		if alert == alertNoProto {
			return &loadgen.FatalError{Err: fmt.Errorf("%s did not negotiate HTTP/3: ALPN offered h3, the server refused it", host), Fix: loadgen.FixDropHTTP3}
		}
		if (alert == alertInternal || alert == alertHandshake) && net.ParseIP(e.tls.ServerName) != nil {
			return &loadgen.FatalError{Err: fmt.Errorf("%s refused the QUIC handshake (TLS alert: %s): the URL names an IP address, so no server name (SNI) was sent", host, alertName(alert)), Fix: loadgen.FixSNIName}
		}
	}
	if fatal := netdial.TLSFailure(err, e.tls, nil); fatal != nil {
		return fatal
	}
	var ht *quic.HandshakeTimeoutError
	timeout := errors.As(err, &ht) || (errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil)
	if timeout {
		if first {
			return &loadgen.FatalError{Err: fmt.Errorf("%s: no QUIC handshake within %s: nothing answers HTTP/3 on UDP port %s (a server without HTTP/3, or a firewall dropping UDP)", host, e.opts.DialTimeout, e.port()), Fix: loadgen.FixEnableHTTP3}
		}
		return &loadgen.ClassError{Class: loadgen.ClassConnect, Err: fmt.Errorf("no QUIC handshake within %s: %w", e.opts.DialTimeout, os.ErrDeadlineExceeded)}
	}
	return &loadgen.ClassError{Class: loadgen.ClassConnect, Err: cleanError(err)}
}

func (e *Engine) port() string { return fmt.Sprint(e.raddr.Port) }

func alertName(a tls.AlertError) string {
	s := a.Error()
	if len(s) > 5 && s[:5] == "tls: " {
		return s[5:]
	}
	return s
}
