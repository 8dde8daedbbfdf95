package enginetest

import (
	"net"
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
	{Name: "h3: connection closed with an application error every 50th request", Proto: HTTP3, Class: Read,
		Lost: "requests in flight on the connection the server closes may not have reached its handler", Server: h3(testserver.H3Behaviour{CloseAfter: 50})},
	{Name: "h3: server stops answering mid-run", Proto: HTTP3, Class: TimeoutClass, Server: h3(testserver.H3Behaviour{StallAfter: 30})},
	{Name: "h3: server idle timeout 100ms, requests 250ms apart per connection", Proto: HTTP3, Class: None,
		Server: h3(testserver.H3Behaviour{IdleTimeout: 100 * time.Millisecond}),
		Config: func(c *loadgen.Config, _ *loadgen.Target) { c.Rate = 8 },
		Check: func(t *testing.T, r *loadgen.Result) {
			if r.Counts.Reconnects == 0 {
				t.Errorf("no reconnect counted though the server forgot every idle connection: %+v", r.Counts)
			}
		}},
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
