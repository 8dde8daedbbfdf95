package h1

import (
	"strings"
	"testing"
)

// TestParserCapture: with capture on, each response's header block and
// body (de-chunked) are kept, however the reads cut them.
func TestParserCapture(t *testing.T) {
	in := "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nX-A: 1\r\nContent-Length: 5\r\n\r\nhello" +
		"HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n" +
		"HTTP/1.1 204 No Content\r\nX-B: 2\r\n\r\n"
	want := []string{
		"HTTP/1.1 200 OK\r\nX-A: 1\r\nContent-Length: 5\r\n\r\n|hello",
		"HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n|abcde",
		"HTTP/1.1 204 No Content\r\nX-B: 2\r\n\r\n|",
	}
	for i, chunks := range splits(in) {
		ps := parser{capture: true}
		var got []string
		done := func(status int, close bool) { got = append(got, string(ps.hdr)+"|"+string(ps.body)) }
		for _, c := range chunks {
			if err := ps.feed(c, done); err != nil {
				t.Fatal(err)
			}
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Fatalf("split %d: captured %q, want %q", i, got, want)
		}
	}
}
