package h3

import (
	"context"
	"crypto/tls"
	"net/url"
	"testing"
	"time"

	"github.com/gowrk/gowrk/loadgen"
	"github.com/gowrk/gowrk/loadgen/testserver"
)

// serve starts the in-process HTTP/3 server behaving as b, and the target
// that trusts it.
func serve(t testing.TB, b testserver.H3Behaviour) (*testserver.H3Server, loadgen.Target) {
	t.Helper()
	ca, leaf := testserver.LoopbackCert(t)
	s, err := testserver.StartH3(b, &tls.Config{Certificates: []tls.Certificate{leaf}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	u, _ := url.Parse(s.URL())
	return s, loadgen.Target{URL: u, Method: "GET", TLS: &tls.Config{RootCAs: ca.Pool()}}
}

func run(t testing.TB, tg loadgen.Target, cfg loadgen.Config) *loadgen.Result {
	t.Helper()
	e, err := New(context.Background(), tg, Options{DialTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	cfg.Target = tg
	res, err := loadgen.Run(context.Background(), cfg, e)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// TestExactCount: -n requests over -c x --streams end exactly as the
// server counts them, on one QUIC connection per -c.
func TestExactCount(t *testing.T) {
	s, tg := serve(t, testserver.H3Behaviour{})
	res := run(t, tg, loadgen.Config{Threads: 2, Connections: 4, Streams: 5, Requests: 1000, Timeout: 5 * time.Second, ConnectTimeout: time.Second})
	if res.Counts.Completed != 1000 || s.Requests.Load() != 1000 {
		t.Errorf("completed %d, server counted %d; want 1000 each: %+v", res.Counts.Completed, s.Requests.Load(), res.Counts)
	}
	q := res.Conn.QUIC
	if q == nil || q.Handshakes != 4 || res.Conn.Protocol != "h3" {
		t.Errorf("want 4 QUIC handshakes under h3: %+v %+v", res.Conn, q)
	}
}

// TestCloseIsPrompt: a run against a server that closes connections with
// an application error ends, servers closed, within its bound.
func TestCloseIsPrompt(t *testing.T) {
	s, tg := serve(t, testserver.H3Behaviour{CloseAfter: 50})
	start := time.Now()
	res := run(t, tg, loadgen.Config{Threads: 1, Connections: 2, Streams: 4, Duration: time.Second, Timeout: 300 * time.Millisecond, ConnectTimeout: 500 * time.Millisecond})
	t.Logf("run %s, returned after %s: %+v", res.Duration, time.Since(start), res.Counts)
	start = time.Now()
	s.Close()
	t.Logf("server closed in %s", time.Since(start))
}

// TestLostPackets: through a proxy that drops every 10th datagram gowrk
// sends, every request still ends exactly as the server counts, and the
// report's QUIC losses are some of the datagrams the proxy dropped, never
// more: QUIC declares lost only the packets that need an acknowledgement
// (requests, its own PINGs), not the ACK-only ones it never retransmits.
func TestLostPackets(t *testing.T) {
	s, tg := serve(t, testserver.H3Behaviour{})
	p, err := testserver.StartUDPProxy(tg.URL.Host, 10)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	u := *tg.URL
	u.Host = p.Addr()
	tg.URL = &u
	res := run(t, tg, loadgen.Config{Threads: 1, Connections: 2, Streams: 4, Requests: 2000, Timeout: 10 * time.Second, ConnectTimeout: 5 * time.Second})
	if res.Counts.Completed != 2000 || s.Requests.Load() != 2000 {
		t.Errorf("completed %d, server counted %d; want 2000 each: %+v", res.Counts.Completed, s.Requests.Load(), res.Counts)
	}
	q := res.Conn.QUIC
	dropped, sent := p.Dropped.Load(), p.Dropped.Load()+p.Forwarded.Load()
	t.Logf("proxy dropped %d of %d datagrams; QUIC counted %d of %d packets lost", dropped, sent, q.PacketsLost, q.PacketsSent)
	if q == nil || q.PacketsLost == 0 {
		t.Fatalf("no loss reported: %+v", q)
	}
	// A packet declared lost that arrives after all is taken back; one
	// declared lost for being late (a starved machine) is the slack.
	if slack := dropped / 10; int64(q.PacketsLost) > dropped+slack {
		t.Errorf("QUIC counted %d packets lost, more than the %d datagrams dropped (+%d)", q.PacketsLost, dropped, slack)
	}
	if share := float64(dropped) / float64(sent); share < 0.09 || share > 0.11 {
		t.Errorf("the proxy dropped %.1f%% of the datagrams, not 10%%", 100*share)
	}
}

// TestSocketClosed: the connections' shared UDP socket is closed when the
// run's last connection is, so a run leaves none behind.
func TestSocketClosed(t *testing.T) {
	_, tg := serve(t, testserver.H3Behaviour{ResetEvery: 7})
	e, err := New(context.Background(), tg, Options{DialTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	cfg := loadgen.Config{Threads: 2, Connections: 4, Streams: 3, Requests: 300, Timeout: 5 * time.Second, ConnectTimeout: time.Second, Target: tg}
	for range 2 { // an engine runs again (--find-max-rate's steps)
		if _, err := loadgen.Run(context.Background(), cfg, e); err != nil {
			t.Fatal(err)
		}
		e.mu.Lock()
		refs, open := e.refs, e.tr != nil
		e.mu.Unlock()
		if refs != 0 || open {
			t.Fatalf("after the run: %d users of the socket, open %v", refs, open)
		}
	}
}

// TestTimeoutAbortKeepsConnection: under --timeout-action abort a request
// past --timeout is abandoned by cancelling its stream; its connection
// stays (one handshake per connection for the whole run).
func TestTimeoutAbortKeepsConnection(t *testing.T) {
	s, tg := serve(t, testserver.H3Behaviour{StallAfter: 20})
	res := run(t, tg, loadgen.Config{Threads: 1, Connections: 2, Streams: 2, Duration: time.Second, Timeout: 200 * time.Millisecond,
		TimeoutAction: loadgen.TimeoutAbort, ConnectTimeout: time.Second})
	c := res.Counts
	if c.Timeout == 0 || c.Completed != 20 {
		t.Errorf("want 20 completed and the rest abandoned: %+v", c)
	}
	if got := s.Requests.Load(); got > int64(c.Sent) || got < int64(c.Sent-c.InFlight) {
		t.Errorf("server counted %d of %d sent (%d in flight at the stop)", got, c.Sent, c.InFlight)
	}
	if q := res.Conn.QUIC; q == nil || q.Handshakes != 2 {
		t.Errorf("want the 2 connections kept through the timeouts: %+v", q)
	}
}
