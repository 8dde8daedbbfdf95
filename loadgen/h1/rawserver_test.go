package h1_test

import (
	"net"
	"testing"
)

// rawServer answers every request head (ended by an empty line) with the
// same fixed response, allocating nothing per request, so that allocation
// counts and benchmarks measure the client alone.
func rawServer(tb testing.TB, response string) string {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { ln.Close() })
	resp := []byte(response)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
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
			}()
		}
	}()
	return "http://" + ln.Addr().String() + "/"
}

const helloResponse = "HTTP/1.1 200 OK\r\nServer: raw\r\nContent-Type: text/plain\r\nContent-Length: 13\r\n\r\nHello, World!"
