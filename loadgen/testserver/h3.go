package testserver

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/quic-go/quic-go"
	"github.com/quic-go/quic-go/http3"
)

// H3Behaviour is what the in-process HTTP/3 server (quic-go's own http3
// server) does. Its zero value answers every request 200 with a small body.
type H3Behaviour struct {
	// ResetEvery n > 0: every nth request's stream is reset
	// (H3_INTERNAL_ERROR) instead of answered.
	ResetEvery int64
	// CloseAfter n > 0: the nth request closes its QUIC connection with an
	// application error (H3_EXCESSIVE_LOAD) instead of being answered.
	CloseAfter int64
	// StallAfter n > 0: every request after the nth is never answered
	// (the server stops answering mid-run).
	StallAfter int64
	// IdleTimeout, when set, is the server's QUIC idle timeout.
	IdleTimeout time.Duration
	// ALPN, when set, replaces h3 as the only protocol the server speaks.
	ALPN string
	// Silent: a UDP socket that reads and never answers (the handshake
	// never completes).
	Silent bool
}

// H3Server is the in-process HTTP/3 server on a loopback UDP port.
type H3Server struct {
	// Requests counts the requests the handler was given (the server's
	// truth, as Server.Requests for HTTP/1.1).
	Requests atomic.Int64
	// Conns counts the QUIC connections the server accepted.
	Conns atomic.Int64
	b     H3Behaviour
	udp   *net.UDPConn
	srv   *http3.Server
	tr    *quic.Transport
	stop  chan struct{}
	once  sync.Once
}

type connKey struct{}

// StartH3 starts an HTTP/3 server behaving as b, over TLS with cfg (its
// certificate; NextProtos is set here).
func StartH3(b H3Behaviour, cfg *tls.Config) (*H3Server, error) {
	udp, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		return nil, err
	}
	s := &H3Server{b: b, udp: udp, stop: make(chan struct{})}
	if b.Silent {
		go s.discard()
		return s, nil
	}
	tc := http3.ConfigureTLSConfig(cfg.Clone())
	if b.ALPN != "" {
		tc.NextProtos = []string{b.ALPN}
	}
	qc := &quic.Config{MaxIdleTimeout: b.IdleTimeout}
	// A stateless reset key: a packet for a connection the server has
	// forgotten (idled out) is answered with a stateless reset, as real
	// servers do.
	var key quic.StatelessResetKey
	rand.Read(key[:])
	s.tr = &quic.Transport{Conn: udp, StatelessResetKey: &key}
	ln, err := s.tr.ListenEarly(tc, qc)
	if err != nil {
		udp.Close()
		return nil, err
	}
	s.srv = &http3.Server{Handler: http.HandlerFunc(s.serve),
		ConnContext: func(ctx context.Context, c *quic.Conn) context.Context {
			s.Conns.Add(1)
			return context.WithValue(ctx, connKey{}, c)
		}}
	go s.srv.ServeListener(ln)
	return s, nil
}

func (s *H3Server) discard() {
	buf := make([]byte, 2048)
	for {
		if _, _, err := s.udp.ReadFrom(buf); err != nil {
			return
		}
	}
}

func (s *H3Server) serve(w http.ResponseWriter, r *http.Request) {
	n := s.Requests.Add(1)
	b := &s.b
	switch {
	case b.CloseAfter > 0 && n%b.CloseAfter == 0:
		if c, ok := r.Context().Value(connKey{}).(*quic.Conn); ok {
			c.CloseWithError(quic.ApplicationErrorCode(http3.ErrCodeExcessiveLoad), "closing")
			return
		}
	case b.ResetEvery > 0 && n%b.ResetEvery == 0:
		panic(http.ErrAbortHandler)
	case b.StallAfter > 0 && n > b.StallAfter:
		select {
		case <-s.stop:
		case <-r.Context().Done():
		}
		return
	}
	body := "ok " + strconv.FormatInt(n, 10)
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	w.Write([]byte(body))
}

// URL is the server's https:// URL (127.0.0.1 and its port).
func (s *H3Server) URL() string { return "https://" + s.udp.LocalAddr().String() + "/" }

// Close stops the server.
func (s *H3Server) Close() {
	s.once.Do(func() {
		close(s.stop)
		if s.srv != nil {
			s.srv.Close()
			s.tr.Close()
		}
		s.udp.Close()
	})
}
