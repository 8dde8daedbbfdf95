package h2_test

import (
	"crypto/tls"
	"net"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/gowrk/gowrk/loadgen"
	"github.com/gowrk/gowrk/loadgen/h2"
	"github.com/gowrk/gowrk/loadgen/testserver"
)

// silentTLS starts a listener that accepts connections and never answers
// the TLS handshake; it closes them when the test ends.
func silentTLS(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var held []net.Conn
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			held = append(held, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range held {
			c.Close()
		}
	})
	return "https://" + ln.Addr().String() + "/"
}

// TestHandshakeCutOffIsPending: a -d run against a server that never
// answers the TLS handshake ends at -d (the connect timeout is longer),
// and every connection, the run's first dial included, is counted as
// still connecting at the stop, none as a connect error.
func TestHandshakeCutOffIsPending(t *testing.T) {
	u, err := url.Parse(silentTLS(t))
	if err != nil {
		t.Fatal(err)
	}
	const conns, d = 2, 300 * time.Millisecond
	cfg := loadgen.Config{Threads: 1, Connections: conns, Streams: 2, Duration: d, Timeout: time.Second,
		Target: loadgen.Target{URL: u, Method: "GET", TLS: &tls.Config{InsecureSkipVerify: true}}}
	wait := testserver.CPUWait()
	res, err := runWith(t, cfg, h2.Options{DialTimeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	starved := wait()
	if c := res.Counts; c.ConnectPending != conns || c.Connect != 0 || c.Sent != 0 {
		t.Errorf("%d connects pending at the stop, %d connect errors, %d sent; want all %d connections pending and nothing else", c.ConnectPending, c.Connect, c.Sent, conns)
	}
	// By the run's own clock: -d, and the time the machine kept the
	// process off the CPU, with a second to spare (not the 10 s timeout).
	if bound := d + time.Second + starved; res.Duration > bound {
		t.Errorf("the run took %s by its own clock; want at most %s (-d, 1 s, and %s off the CPU)", res.Duration, bound, starved)
	}
}
