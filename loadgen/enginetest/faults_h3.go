package enginetest

import (
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gowrk/gowrk/loadgen"
	"github.com/gowrk/gowrk/loadgen/testserver"
)

// HTTP/3 rows, against quic-go's own http3 server in-process (its handler
// counts the requests it was given: the truth).
var h3Faults = []Fault{
	{Name: "h3: every stream answered", Proto: HTTP3, Class: None, Server: h3(testserver.H3Behaviour{})},
	{Name: "h3: stream reset on every 3rd request", Proto: HTTP3, Class: Reset, Server: h3(testserver.H3Behaviour{ResetEvery: 3})},
	{Name: "h3: connection closed with an application error every 10th request", Proto: HTTP3, Class: Read,
		Lost: "requests in flight on the connection the server closes may not have reached its handler", Server: h3(testserver.H3Behaviour{CloseAfter: 10})},
	{Name: "h3: server stops answering mid-run", Proto: HTTP3, Class: TimeoutClass, Server: h3(testserver.H3Behaviour{StallAfter: 30})},
	h3IdleRow(),
	{Name: "h3: handshake never completes", Proto: HTTP3, Class: Refused, Server: uncounted(h3(testserver.H3Behaviour{Silent: true}))},
	{Name: "h3: ALPN other than h3", Proto: HTTP3, Class: Refused, Server: h3(testserver.H3Behaviour{ALPN: "h3-29"})},
	{Name: "h3: nothing listens on the UDP port", Proto: HTTP3, Class: Refused, Server: closedUDP},
}

// h3 serves b on the in-process HTTP/3 server.
func h3(b testserver.H3Behaviour) func(*testing.T, *env) served {
	return func(t *testing.T, en *env) served {
		s, err := testserver.StartH3(b, en.tls)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(s.Close)
		return served{url: s.URL(), parsed: s.Requests.Load}
	}
}

// closedUDP is the URL of a loopback UDP port that nothing listens on.
func closedUDP(t *testing.T, _ *env) served {
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	url := "https://" + c.LocalAddr().String() + "/"
	c.Close()
	return served{url: url}
}

// h3IdleRow: the server idles out connections between requests. A
// request that finds its connection forgotten (an idle timeout, a
// stateless reset) goes again on a new one as a reconnect, never an
// error; the truth is the server's count of connections accepted, which
// gowrk's opened_connections equals, and each one past -c is a reconnect's.
func h3IdleRow() Fault {
	var conns atomic.Pointer[atomic.Int64]
	return Fault{Name: "h3: server idle timeout 100ms, requests 250ms apart per connection", Proto: HTTP3, Class: None,
		Server: func(t *testing.T, en *env) served {
			s, err := testserver.StartH3(testserver.H3Behaviour{IdleTimeout: 100 * time.Millisecond}, en.tls)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(s.Close)
			conns.Store(&s.Conns)
			return served{url: s.URL(), parsed: s.Requests.Load}
		},
		Config: func(c *loadgen.Config, _ *loadgen.Target) { c.Rate = 8 },
		Check: func(t *testing.T, r *loadgen.Result) {
			accepted := uint64(conns.Load().Load())
			if r.Counts.Opened != accepted {
				t.Errorf("opened_connections %d, the server accepted %d", r.Counts.Opened, accepted)
			}
			if accepted > uint64(r.Config.Connections) && r.Counts.Reconnects == 0 {
				t.Errorf("the server accepted %d connections for -c%d, and no reconnect was counted: %+v", accepted, r.Config.Connections, r.Counts)
			}
		}}
}
