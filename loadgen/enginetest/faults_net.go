package enginetest

import (
	"crypto/tls"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/gowrk/gowrk/loadgen"
	"github.com/gowrk/gowrk/loadgen/testserver"
)

// The rows every engine runs: connections, restarts and TLS.
var netFaults = []Fault{
	{Name: "dead port", Class: Connect, Server: deadPort},
	{Name: "full listen backlog", Class: Connect, Server: fullBacklog, Check: everyConnectCounted},
	// A reset lands in the dial, the write or the read by its timing; the
	// seam makes each a connect error (Slot.Unanswered).
	{Name: "reset on accept", Class: Connect, Server: func(t *testing.T, en *env) served {
		return h1With(t, testserver.Behaviour{ResetOnAccept: true}, en.tls)
	}},
	{Name: "server restarted mid-run (200 ms down)", Class: Connect, Also: Read + "," + Write, Server: restarted,
		Lost: "requests in flight when the server goes down are never read"},
	{Name: "TLS: untrusted certificate", Only: onlyTLS, Class: Refused, Server: tlsFault(func(en *env, c *tls.Config) {
		other, err := testserver.NewCA()
		if err == nil {
			c.Certificates[0], err = other.Leaf([]string{"127.0.0.1"}, time.Now().Add(time.Hour), false)
		}
		must(err)
	})},
	{Name: "TLS: expired certificate", Only: onlyTLS, Class: Refused, Server: tlsFault(func(en *env, c *tls.Config) {
		cert, err := en.ca.Leaf([]string{"127.0.0.1"}, time.Now().Add(-time.Hour), false)
		must(err)
		c.Certificates[0] = cert
	})},
	{Name: "TLS: certificate for another name", Only: onlyTLS, Class: Refused, Server: tlsFault(func(en *env, c *tls.Config) {
		cert, err := en.ca.Leaf([]string{"other.test"}, time.Now().Add(time.Hour), false)
		must(err)
		c.Certificates[0] = cert
	})},
	{Name: "TLS: client certificate required", Only: onlyTLS, Class: Connect, Server: tlsFault(func(en *env, c *tls.Config) {
		c.ClientAuth = tls.RequireAnyClientCert
	})},
	{Name: "TLS: ALPN offers only the other protocol", Only: onlyTLS, Class: Refused, Server: tlsFault(func(en *env, c *tls.Config) {
		c.NextProtos = []string{"http/1.1"}
		if en.eng.Proto == HTTP1 {
			c.NextProtos = []string{"h2"}
		}
	})},
	{Name: "TLS to a server without TLS", Only: onlyTLS, Class: Connect, Server: uncounted(func(t *testing.T, en *env) served {
		s := either(t, en, nil)
		s.url = strings.Replace(s.url, "http://", "https://", 1)
		return s
	})},
	{Name: "TLS to a plain HTTP server (it answers 400)", Only: onlyTLS, Class: Refused, Msg: "answered the TLS handshake in plain HTTP", Server: plainHTTP},
	{Name: "cleartext to a TLS server", Proto: HTTP1, Only: onlyPlain, Class: Connect, Server: cleartextToTLS},
	{Name: "h2: cleartext to a TLS server", Proto: HTTP2, Only: onlyPlain, Class: Refused, Server: cleartextToTLS},
}

// tlsFault serves a well-behaved server of the engine's protocol over the
// engine's TLS configuration as edit changes it.
func tlsFault(edit func(en *env, c *tls.Config)) func(*testing.T, *env) served {
	return func(t *testing.T, en *env) served {
		c := en.tls.Clone()
		c.Certificates = append([]tls.Certificate(nil), c.Certificates...)
		edit(en, c)
		return either(t, en, c)
	}
}

func must(err error) {
	if err != nil {
		panic(err) // certificate generation: a broken test machine
	}
}

func mustLeaf(ca *testserver.CA) tls.Certificate {
	c, err := ca.Leaf([]string{"127.0.0.1"}, time.Now().Add(time.Hour), false)
	must(err)
	return c
}

// scheme is the URL scheme of the engine.
func (en *env) scheme() string {
	if en.eng.TLS {
		return "https://"
	}
	return "http://"
}

// deadPort is a loopback port nothing listens on: nothing is parsed.
func deadPort(t *testing.T, en *env) served {
	u := strings.Replace(testserver.ClosedPortURL(t), "http://", en.scheme(), 1)
	return served{url: u, parsed: func() int64 { return 0 }}
}

// restarted is a well-behaved server that goes away 300 ms into the run,
// for 200 ms, and comes back on the same port.
func restarted(t *testing.T, en *env) served {
	var s served
	var r interface{ Restart(time.Duration) error }
	if en.eng.Proto == HTTP2 {
		srv, err := startH2(testserver.H2Behaviour{}, en.tls)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(srv.Close)
		s, r = served{url: srv.URL(), parsed: srv.Streams.Load}, srv
	} else {
		srv, err := testserver.StartTLS(testserver.Behaviour{}, en.tls)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(srv.Close)
		s, r = served{url: srv.URL(), parsed: srv.Requests.Load}, srv
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		time.Sleep(300 * time.Millisecond)
		if err := r.Restart(200 * time.Millisecond); err != nil {
			t.Error(err)
		}
	}()
	t.Cleanup(func() { <-done }) // before the server's Close (cleanups run last first)
	return s
}

// cleartextToTLS is a TLS server of the engine's protocol, addressed with
// http://.
func cleartextToTLS(t *testing.T, en *env) served {
	cfg := &tls.Config{Certificates: []tls.Certificate{mustLeaf(en.ca)}, NextProtos: []string{alpn(en.eng.Proto)}}
	s := either(t, en, cfg)
	s.url = strings.Replace(s.url, "https://", "http://", 1)
	return s
}

// plainHTTP is a plain HTTP port, as nginx's: it answers a TLS ClientHello
// with 400 Bad Request and closes.
func plainHTTP(t *testing.T, en *env) served {
	srv, err := testserver.StartRaw(func(c net.Conn) {
		c.SetDeadline(time.Now().Add(5 * time.Second))
		c.Read(make([]byte, 1024))
		c.Write([]byte("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"))
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	return served{url: en.scheme() + srv.Addr() + "/", parsed: func() int64 { return 0 }}
}

// everyConnectCounted: each connection's dial against a full backlog is
// counted: as a connect error (its --connect-timeout passed) or, still
// pending at the stop, in connects_pending_at_stop.
func everyConnectCounted(t *testing.T, r *loadgen.Result) {
	if c := r.Counts; c.Connect+c.ConnectPending < Conns {
		t.Errorf("%d connect failures and %d connects pending at the stop; all %d connections were connecting, and each must be counted", c.Connect, c.ConnectPending, Conns)
	}
}
