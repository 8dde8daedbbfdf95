package enginetest

import (
	"crypto/tls"
	"net"
	"net/netip"
	"path/filepath"
	"testing"

	"github.com/gowrk/gowrk/loadgen"
	"github.com/gowrk/gowrk/loadgen/testserver"
)

// The transports an Engine may run the table over (Engine.Via): the same
// rows, judged the same way, with the connections reaching the row's
// server by another route (loadgen.Route).
const (
	// ViaUnix: the row's server listens on a unix socket (rows whose
	// server is the HTTP/1.1 or HTTP/2 test server; the others, raw
	// TCP servers, are skipped with that reason).
	ViaUnix = "unix"
	// ViaConnectTo: the URL names localhost:1, mapped to the server's
	// address; Host and TLS's server name stay localhost.
	ViaConnectTo = "connect-to"
	// ViaLocalAddr: connections come from 127.0.0.2 (bound without a
	// port); the server listens on 127.0.0.1.
	ViaLocalAddr = "local-addr"
	// ViaNoKeepAlive: a new connection for every request (HTTP/1.1).
	ViaNoKeepAlive = "no-keepalive"
)

// via routes target to the row's server srv over transport v.
func via(t *testing.T, v string, srv served, target *loadgen.Target) {
	switch v {
	case "":
	case ViaUnix:
		if srv.unix == "" {
			t.Skip("the row's server listens on TCP only (a raw listener of its own)")
		}
		target.Route.Unix = srv.unix
	case ViaConnectTo:
		host, port, err := net.SplitHostPort(target.URL.Host)
		if err != nil {
			t.Fatal(err)
		}
		u := *target.URL
		u.Host = "localhost:1"
		target.URL = &u
		target.Route.ConnectTo = []loadgen.ConnectTo{{Host: "localhost", Port: "1", ToHost: host, ToPort: port}}
	case ViaLocalAddr:
		target.Route.Local = []netip.Addr{netip.MustParseAddr("127.0.0.2")}
	case ViaNoKeepAlive:
		target.NoKeepAlive = true
	default:
		t.Fatalf("unknown transport %q", v)
	}
}

// h1Unix is h1With on a unix socket.
func h1Unix(t *testing.T, b testserver.Behaviour, cfg *tls.Config) served {
	return onUnix(t, func(path string) (*testserver.Server, error) { return testserver.StartUnix(b, cfg, path) },
		func(s *testserver.Server) func() int64 { return s.Requests.Load })
}

// h2Unix is h2With on a unix socket.
func h2Unix(t *testing.T, b testserver.H2Behaviour, cfg *tls.Config) served {
	return onUnix(t, func(path string) (*testserver.H2Server, error) { return testserver.StartH2Unix(b, cfg, path) },
		func(s *testserver.H2Server) func() int64 { return s.Streams.Load })
}

// onUnix starts a test server on a new unix socket in the test's
// temporary folder, and closes it when the test ends.
func onUnix[S interface {
	URL() string
	Close()
}](t *testing.T, start func(path string) (S, error), parsed func(S) func() int64) served {
	path := filepath.Join(t.TempDir(), "s")
	s, err := start(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return served{url: s.URL(), parsed: parsed(s), unix: path}
}
