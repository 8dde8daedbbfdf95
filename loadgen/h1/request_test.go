package h1_test

import (
	"strings"
	"testing"

	"github.com/gowrk/gowrk/loadgen/h1"
)

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
		lens, err := h1.SplitRequests([]byte(tc.in), nil)
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
