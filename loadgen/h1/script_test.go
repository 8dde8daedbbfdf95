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

// TestSplitRequests: a request() batch is cut at each request's end, by
// its Content-Length; anything that is not whole HTTP/1.1 is refused.
func TestSplitRequests(t *testing.T) {
	get := "GET /a HTTP/1.1\r\nHost: x\r\n\r\n"
	post := "POST /b HTTP/1.1\r\nHost: x\r\ncontent-length: 4\r\n\r\nbody"
	for _, tc := range []struct {
		in   string
		lens []int
		err  string
	}{
		{get, []int{len(get)}, ""},
		{get + post + get, []int{len(get), len(post), len(get)}, ""},
		{"", nil, "no request"},
		{"GET /a HTTP/1.1\r\nHost: x\r\n", nil, "incomplete"},
		{"hello\r\n\r\n", nil, "no HTTP/1.1 request line"},
		{post[:len(post)-1], nil, "shorter than its Content-Length"},
		{"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", nil, "Transfer-Encoding"},
		{"GET / HTTP/1.1\r\nbad line\r\n\r\n", nil, "malformed header line"},
	} {
		lens, err := splitRequests([]byte(tc.in), nil)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%q: error %v, want %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || len(lens) != len(tc.lens) {
			t.Fatalf("%q: %v, %v; want %v", tc.in, lens, err, tc.lens)
		}
		for i := range lens {
			if lens[i] != tc.lens[i] {
				t.Errorf("%q: %v, want %v", tc.in, lens, tc.lens)
			}
		}
	}
}
