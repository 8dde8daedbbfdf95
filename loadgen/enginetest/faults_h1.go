package enginetest

import (
	"strings"
	"time"

	"github.com/gowrk/gowrk/loadgen"
	"github.com/gowrk/gowrk/loadgen/testserver"
)

// raw answers every request with s, keeping the connection open.
func raw(s string) testserver.Behaviour { return testserver.Behaviour{Raw: []byte(s)} }

// cut answers with s, then closes the connection (FIN).
func cut(s string) testserver.Behaviour {
	return testserver.Behaviour{Raw: []byte(s), CutAfter: len(s)}
}

// reset answers with s, then resets the connection (RST).
func reset(s string) testserver.Behaviour {
	return testserver.Behaviour{Raw: []byte(s), CutAfter: len(s), Linger0: true}
}

// okResp is a whole, well-formed response.
const okResp = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"

// chunked is the head of a chunked response.
const chunked = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"

// manyHeaders is a response with n short header lines.
func manyHeaders(n int) string {
	var b strings.Builder
	b.WriteString("HTTP/1.1 200 OK\r\n")
	for range n {
		b.WriteString("X-A: 1\r\n")
	}
	b.WriteString("Content-Length: 2\r\n\r\nok")
	return b.String()
}

var h1Faults = []Fault{
	// Baselines: a well-behaved server gives no failure at all.
	{Name: "every request answered", Proto: HTTP1, Class: None, Server: h1(testserver.Behaviour{})},
	{Name: "Connection: close on every response", Proto: HTTP1, Class: None, Server: h1(testserver.Behaviour{CloseAfter: true})},
	{Name: "chunked body with extensions and a trailer", Proto: HTTP1, Class: None, Server: h1(testserver.Behaviour{Chunked: true})},
	{Name: "status 500 on every response", Proto: HTTP1, Class: Status, Server: h1(testserver.Behaviour{Status: 500})},

	// Resets and closes at every phase.
	{Name: "reset after the request is read", Proto: HTTP1, Class: Connect, Server: h1(testserver.Behaviour{Reset: true})},
	{Name: "reset mid-header", Proto: HTTP1, Class: Read, Server: h1(reset("HTTP/1.1 200 OK\r\nContent-Le"))},
	{Name: "reset mid-body", Proto: HTTP1, Class: Read, Server: h1(reset("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort"))},
	{Name: "closed mid-status-line", Proto: HTTP1, Class: Read, Server: h1(cut("HTTP/1.1 2"))},
	{Name: "closed mid-header", Proto: HTTP1, Class: Read, Server: h1(cut("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n"))},
	{Name: "closed mid-body", Proto: HTTP1, Class: Read, Server: h1(cut("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort"))},
	{Name: "body shorter than Content-Length, kept open", Proto: HTTP1, Class: TimeoutClass, Server: h1(raw("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort"))},

	// Content-Length.
	{Name: "Content-Length not a number", Proto: HTTP1, Class: Read, Server: h1(cut("HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n"))},
	{Name: "negative Content-Length", Proto: HTTP1, Class: Read, Server: h1(cut("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\nok"))},
	{Name: "Content-Length above 2^63", Proto: HTTP1, Class: Read, Server: h1(cut("HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\nok"))},
	// RFC 9112 6.3: differing Content-Length values are an unrecoverable error.
	{Name: "two different Content-Length headers", Proto: HTTP1, Class: Read, Msg: "conflicting Content-Length values (2 and 3)", Server: h1(raw("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nok"))},
	{Name: "Content-Length list of different values", Proto: HTTP1, Class: Read, Server: h1(raw("HTTP/1.1 200 OK\r\nContent-Length: 2, 3\r\n\r\nok"))},

	// Status lines.
	{Name: "status 000", Proto: HTTP1, Class: Read, Msg: "malformed status code \"000\"", Server: h1(raw("HTTP/1.1 000 X\r\nContent-Length: 2\r\n\r\nok"))},
	{Name: "status code of two digits", Proto: HTTP1, Class: Read, Server: h1(raw("HTTP/1.1 20 OK\r\nContent-Length: 2\r\n\r\nok"))},
	{Name: "status code of four digits", Proto: HTTP1, Class: Read, Server: h1(raw("HTTP/1.1 2000 OK\r\nContent-Length: 2\r\n\r\nok"))},
	{Name: "status code not a number", Proto: HTTP1, Class: Read, Server: h1(raw("HTTP/1.1 abc OK\r\nContent-Length: 2\r\n\r\nok"))},
	{Name: "status line without the version", Proto: HTTP1, Class: Read, Server: h1(raw("200 OK\r\nContent-Length: 2\r\n\r\nok"))},
	{Name: "not HTTP (an SSH banner)", Proto: HTTP1, Class: Read, Server: h1(raw("SSH-2.0-OpenSSH_9.6\r\n"))},
	{Name: "header line without a colon", Proto: HTTP1, Class: Read, Server: h1(raw("HTTP/1.1 200 OK\r\nbroken header\r\nContent-Length: 2\r\n\r\nok"))},

	// Chunked encoding.
	{Name: "chunk size not hexadecimal", Proto: HTTP1, Class: Read, Server: h1(cut(chunked + "zz\r\n"))},
	{Name: "chunk data without its CRLF", Proto: HTTP1, Class: Read, Server: h1(raw(chunked + "2\r\nokX0\r\n\r\n"))},
	{Name: "chunk size above 2^63", Proto: HTTP1, Class: Read, Server: h1(raw(chunked + "fffffffffffffffffffff\r\nok\r\n0\r\n\r\n"))},
	{Name: "chunked body cut by a close", Proto: HTTP1, Class: Read, Server: h1(cut(chunked + "2\r\nok\r\n"))},
	{Name: "chunked body with trailers", Proto: HTTP1, Class: None, Server: h1(raw(chunked + "2\r\nok\r\n0\r\nX-A: 1\r\nX-B: 2\r\n\r\n"))},

	// Interim responses, sizes and counts.
	{Name: "one 103 Early Hints before the response", Proto: HTTP1, Class: None, Server: h1(raw("HTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\n" + okResp))},
	{Name: "10,000 interim 103 responses", Proto: HTTP1, Class: Read, Msg: "more than 100 interim (1xx) responses to one request", Server: h1(raw(strings.Repeat("HTTP/1.1 103 Early Hints\r\n\r\n", 10000) + okResp))},
	{Name: "one 64 KiB header line", Proto: HTTP1, Class: Read, Server: h1(raw("HTTP/1.1 200 OK\r\nX-Big: " + strings.Repeat("a", 64<<10) + "\r\nContent-Length: 2\r\n\r\nok"))},
	{Name: "10,000 header lines", Proto: HTTP1, Class: Read, Server: h1(raw(manyHeaders(10000)))},

	// Framing and pace.
	{Name: "no framing: body until close", Proto: HTTP1, Class: None, Server: h1(testserver.Behaviour{Raw: []byte("HTTP/1.1 200 OK\r\n\r\nok"), CloseAfter: true})},
	{Name: "no framing, connection kept open", Proto: HTTP1, Class: TimeoutClass, Server: h1(raw("HTTP/1.1 200 OK\r\n\r\nok"))},
	{Name: "slow drip (a byte every 100 ms)", Proto: HTTP1, Class: TimeoutClass, Server: h1(testserver.Behaviour{Drip: 100 * time.Millisecond})},
	{Name: "never answers", Proto: HTTP1, Class: TimeoutClass, Server: h1(testserver.Behaviour{Never: true})},
	{Name: "never answers, --timeout-action abort", Proto: HTTP1, Class: TimeoutClass, Server: h1(testserver.Behaviour{Never: true}),
		Config: func(c *loadgen.Config, _ *loadgen.Target) { c.TimeoutAction = loadgen.TimeoutAbort }},
	{Name: "never reads (8 MiB request bodies)", Proto: HTTP1, Class: TimeoutClass, TLSClass: Connect, Server: uncounted(h1(testserver.Behaviour{NoRead: true})),
		Config: func(_ *loadgen.Config, t *loadgen.Target) { t.Body = make([]byte, 8<<20) }},
	{Name: "HTTP/2 frames to an HTTP/1.1 request", Proto: HTTP1, Class: Read, Msg: "the server answered with HTTP/2 frames", Server: h1(raw("\x00\x00\x00\x04\x00\x00\x00\x00\x00"))},
}
