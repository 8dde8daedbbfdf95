package h1_test

import (
	"net"
	"testing"

	"github.com/gowrk/gowrk/loadgen/testserver"
)

// rawServer answers every request head (ended by an empty line) with the
// same fixed response, allocating nothing per request, so that allocation
// counts and benchmarks measure the client alone.
func rawServer(tb testing.TB, response string) string {
	tb.Helper()
	resp := []byte(response)
	srv, err := testserver.StartRaw(func(c net.Conn) {
		buf := make([]byte, 64<<10)
		const end = "\r\n\r\n"
		matched := 0 // bytes of end matched so far, across reads
		for {
			n, err := c.Read(buf)
			if err != nil {
				return
			}
			for _, ch := range buf[:n] {
				switch {
				case ch == end[matched]:
					matched++
				case ch == '\r':
					matched = 1
				default:
					matched = 0
				}
				if matched == len(end) {
					matched = 0
					if _, err := c.Write(resp); err != nil {
						return
					}
				}
			}
		}
	})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(srv.Close)
	return srv.URL()
}

const helloResponse = "HTTP/1.1 200 OK\r\nServer: raw\r\nContent-Type: text/plain\r\nContent-Length: 13\r\n\r\nHello, World!"
