package testserver

import (
	"net"
	"testing"

	"github.com/gowrk/gowrk/loadgen"
)

// CheckAccounting asserts what every run must satisfy, whatever the engine:
// every request sent is accounted for, and the status codes add up to the
// completed requests.
func CheckAccounting(t testing.TB, r *loadgen.Result) {
	t.Helper()
	c := r.Counts
	if got := c.Completed + c.Failed() + c.InFlight; got != c.Sent {
		t.Errorf("sent %d != completed %d + failed %d + in flight %d (%+v)", c.Sent, c.Completed, c.Failed(), c.InFlight, c)
	}
	var statuses uint64
	for _, n := range r.StatusCodes {
		statuses += n
	}
	if statuses != c.Completed {
		t.Errorf("status code counts sum to %d, completed %d", statuses, c.Completed)
	}
}

// StartT starts a server with behaviour b and closes it when the test ends.
func StartT(t testing.TB, b Behaviour) *Server {
	t.Helper()
	s, err := Start(b)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// ClosedPortURL returns the URL of a loopback port nothing listens on.
func ClosedPortURL(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return "http://" + addr + "/"
}
