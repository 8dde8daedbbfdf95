// Package serve is gowrk's built-in target: a small HTTP server on loopback
// with a known behaviour (a fixed or random service time, a status, a body
// size, a bounded pool of workers), so that a first run has something real
// to measure and gowrk's own overhead can be read off against a known
// service time. It speaks HTTP/1.1 and h2c on cleartext, and HTTP/1.1 and
// h2 over TLS with a self-signed certificate it generates.
//
// It counts what it serves; Stats is the truth a run can be checked
// against. Nothing here knows about the load generator.
package serve

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// Config says how the server answers. The zero value answers 200 with an
// empty body at once, on as many requests at a time as arrive.
type Config struct {
	// Addr is the loopback address to listen on ("127.0.0.1:8080";
	// port 0 picks a free one).
	Addr string
	// Delay is the service time of each request.
	Delay Delay
	// Status is the status code of every response (200 if 0).
	Status int
	// BodySize is the size of every response body, in bytes.
	BodySize int
	// Workers, when > 0, bounds how many requests are served at once:
	// the others wait, first come first served, as in a thread pool. A
	// request whose client has gone is still served (no server can cancel
	// work it has started), which is what makes timeouts matter.
	Workers int
	// TLS, when set, serves HTTPS (HTTP/1.1 and h2 by ALPN) with it.
	TLS *tls.Config
}

// StatsPath answers with the server's counts as JSON; it is not counted.
const StatsPath = "/__gowrk/stats"

// Server is a running built-in target.
type Server struct {
	cfg  Config
	ln   net.Listener
	srv  *http.Server
	body []byte
	// pool holds the free workers, each as the time it became free: a
	// request takes one (waiters are served in arrival order) and gives
	// it back with the time it let go.
	pool chan time.Time
	// Requests counts requests received, Responses responses written.
	Requests, Responses atomic.Int64
	// held counts requests that held a worker and let it go, busy the
	// time they held it, in nanoseconds (Stats.Busy).
	held, busy atomic.Int64
	mu         sync.Mutex
	service    *hdrhistogram.Histogram // microseconds, queue wait included
	done       chan struct{}
}

// Start listens on cfg.Addr, which must be a loopback address, and serves
// until Close.
func Start(cfg Config) (*Server, error) {
	if err := checkLoopback(cfg.Addr); err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return nil, err
	}
	if cfg.Status == 0 {
		cfg.Status = http.StatusOK
	}
	s := &Server{cfg: cfg, ln: ln, body: makeBody(cfg.BodySize), done: make(chan struct{}),
		service: hdrhistogram.New(1, int64(time.Hour/time.Microsecond), 3)}
	if cfg.Workers > 0 {
		s.pool = make(chan time.Time, cfg.Workers)
		for range cfg.Workers {
			s.pool <- time.Time{}
		}
	}
	s.srv = &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second, Protocols: new(http.Protocols)}
	s.srv.Protocols.SetHTTP1(true)
	if cfg.TLS != nil {
		s.srv.Protocols.SetHTTP2(true)
		s.srv.TLSConfig = cfg.TLS
		ln = tls.NewListener(ln, cfg.TLS.Clone())
	} else {
		s.srv.Protocols.SetUnencryptedHTTP2(true)
	}
	go func() {
		defer close(s.done)
		s.srv.Serve(ln)
	}()
	return s, nil
}

// checkLoopback refuses an address that is not on loopback: the built-in
// target is for this machine only.
func checkLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("--listen %q: want host:port, e.g. 127.0.0.1:8080", addr)
	}
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("--listen %q: gowrk serve listens on loopback only (127.0.0.1, ::1, localhost)", addr)
	}
	return nil
}

func makeBody(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = 'x'
	}
	if n > 0 {
		b[n-1] = '\n'
	}
	return b
}

// Addr is the address the server listens on.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == StatsPath {
		st := s.Stats()
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"requests":%d,"responses":%d,"held":%d,"busy_us":%d}`+"\n", st.Requests, st.Responses, st.Held, st.Busy.Microseconds())
		return
	}
	start := time.Now()
	s.Requests.Add(1)
	var from time.Time
	if s.pool != nil {
		// The worker is this request's from when it was free for it: its
		// arrival, or the previous request's release when it waited.
		from = <-s.pool // waiters are served in arrival order
		if from.Before(start) {
			from = start
		}
	}
	if d := s.cfg.Delay.Next(); d > 0 {
		time.Sleep(d)
	}
	if s.pool != nil {
		now := time.Now()
		s.busy.Add(int64(now.Sub(from)))
		s.held.Add(1)
		s.pool <- now
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(s.body)))
	w.WriteHeader(s.cfg.Status)
	w.Write(s.body)
	s.Responses.Add(1)
	us := time.Since(start).Microseconds()
	s.mu.Lock()
	_ = s.service.RecordValue(max(us, 1))
	s.mu.Unlock()
}

// Stats is what the server has done so far.
type Stats struct {
	Requests, Responses int64
	// Service is the service time from request to response written,
	// queue wait included, as percentiles in microseconds.
	P50, P90, P99, Max int64
	Mean               float64
	// With Workers: Held counts the requests that held a worker and let
	// it go, Busy the time they held one, each from when the worker was
	// free for it (its arrival, or the previous request's release when it
	// waited) to its release. Workers x Held / Busy is the pool's capacity
	// in requests per second as the server lived it: sleeps that overran
	// on a busy machine and the handoffs between waiters included, the
	// idle time between requests not.
	Held int64
	Busy time.Duration
}

// Stats returns the counts and service-time percentiles so far.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	h := s.service
	return Stats{Requests: s.Requests.Load(), Responses: s.Responses.Load(),
		P50: h.ValueAtQuantile(50), P90: h.ValueAtQuantile(90), P99: h.ValueAtQuantile(99), Max: h.Max(), Mean: h.Mean(),
		Held: s.held.Load(), Busy: time.Duration(s.busy.Load())}
}

// Close stops the server: connections are closed, requests being served
// are not waited for.
func (s *Server) Close() error {
	err := s.srv.Close()
	<-s.done
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// Shutdown stops accepting and waits up to ctx for requests in progress.
func (s *Server) Shutdown(ctx context.Context) error {
	err := s.srv.Shutdown(ctx)
	if err != nil {
		s.srv.Close()
	}
	<-s.done
	return err
}
