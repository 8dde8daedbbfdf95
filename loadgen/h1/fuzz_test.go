package h1

import (
	"io"
	"net"
	"testing"
	"time"

	"github.com/gowrk/gowrk/loadgen"
)

// FuzzResponse feeds arbitrary bytes as a server's response to Conn.Do: it
// must return (never hang past its deadline, never panic), count no more
// bytes than the server sent, and report a status only for a whole response.
func FuzzResponse(f *testing.F) {
	for _, s := range []string{
		"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n",
		"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n",
		"HTTP/1.0 200 OK\r\n\r\nbody to the end",
		"HTTP/1.1 200 OK\r\nContent-Length: 99999999999\r\n\r\n",
		"HTTP/1.1 abc\r\n\r\n",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffffff\r\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, payload []byte) {
		client, server := net.Pipe()
		go func() {
			buf := make([]byte, 4096)
			server.Read(buf) // the request
			server.Write(payload)
			server.Close()
		}()
		c := newConn(client, []byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"), false)
		defer c.Close()
		var res loadgen.Response
		began := time.Now()
		err := c.Do(time.Now().Add(time.Second), &res)
		// Generous: the fuzzer runs a worker per core on a 2-core machine.
		if time.Since(began) > 5*time.Second {
			t.Fatalf("Do took %s", time.Since(began))
		}
		if res.BytesIn > int64(len(payload)) {
			t.Fatalf("counted %d bytes in, the server sent %d", res.BytesIn, len(payload))
		}
		if err == nil && (res.Status < 100 || res.Status > 999) {
			t.Fatalf("status %d without error for %q", res.Status, payload)
		}
		io.Copy(io.Discard, client)
	})
}
