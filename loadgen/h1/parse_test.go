package h1

import (
	"errors"
	"strings"
	"testing"

	"github.com/gowrk/gowrk/loadgen"
)

type parsed struct {
	statuses []int
	closes   int
}

// feedAll parses the chunks in order; eof at the end.
func feedAll(chunks [][]byte, head bool) (parsed, error) {
	var out parsed
	ps := parser{head: head}
	done := func(status int, close bool) {
		out.statuses = append(out.statuses, status)
		if close {
			out.closes++
		}
	}
	for _, c := range chunks {
		if err := ps.feed(c, done); err != nil {
			return out, err
		}
	}
	ps.eof(done)
	return out, nil
}

// splits cuts s at every byte, and whole.
func splits(s string) [][][]byte {
	out := [][][]byte{{[]byte(s)}}
	var bytewise [][]byte
	for i := range len(s) {
		bytewise = append(bytewise, []byte{s[i]})
	}
	out = append(out, bytewise)
	for cut := 1; cut < len(s); cut += 7 {
		out = append(out, [][]byte{[]byte(s[:cut]), []byte(s[cut:])})
	}
	return out
}

func TestParserTable(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		head     bool
		statuses []int
		closes   int
		err      string
	}{
		{"content-length", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", false, []int{200}, 0, ""},
		{"two pipelined", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n", false, []int{200, 404}, 0, ""},
		{"chunked with trailer", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n3;ext=1\r\nabc\r\n0\r\nX-T: 1\r\n\r\n", false, []int{200}, 0, ""},
		{"interim 100 then 200", "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", false, []int{200}, 0, ""},
		{"connection close", "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 1\r\n\r\nx", false, []int{200}, 1, ""},
		{"HTTP/1.0 closes", "HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\nx", false, []int{200}, 1, ""},
		{"HTTP/1.0 keep-alive", "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 1\r\n\r\nx", false, []int{200}, 0, ""},
		{"body to the close", "HTTP/1.1 200 OK\r\n\r\nall of this", false, []int{200}, 1, ""},
		{"HEAD has no body", "HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n", true, []int{200, 200}, 0, ""},
		{"204 has no body", "HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n", false, []int{204}, 0, ""},
		{"bare LF", "HTTP/1.1 200 OK\nContent-Length: 2\n\nok", false, []int{200}, 0, ""},
		{"bad status", "HTTP/1.1 abc OK\r\n\r\n", false, nil, 0, "status"},
		{"status 000", "HTTP/1.1 000 X\r\n\r\n", false, nil, 0, "malformed status code"},
		{"four-digit status", "HTTP/1.1 1000 X\r\n\r\n", false, nil, 0, "malformed status code"},
		{"conflicting lengths", "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nxx", false, nil, 0, "conflicting Content-Length"},
		{"same length twice", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nxx", false, []int{200}, 0, ""},
		{"length list", "HTTP/1.1 200 OK\r\nContent-Length: 2 , 2\r\n\r\nxx", false, []int{200}, 0, ""},
		{"chunked overrides length, then closes", "HTTP/1.1 200 OK\r\nContent-Length: 7\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nxx\r\n0\r\n\r\n", false, []int{200}, 1, ""},
		{"final coding not chunked: to the close", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\n2\r\nxx\r\n0\r\n\r\n", false, []int{200}, 1, ""},
		{"101 ends the connection", "HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\n\r\n", false, []int{101}, 1, ""},
		{"interim limit", strings.Repeat("HTTP/1.1 103 E\r\n\r\n", MaxInterim+1) + "HTTP/1.1 200 OK\r\n\r\n", false, nil, 0, "interim"},
		{"interim below the limit", strings.Repeat("HTTP/1.1 103 E\r\n\r\n", MaxInterim) + "HTTP/1.1 204 OK\r\n\r\n", false, []int{204}, 0, ""},
		{"status below 100", "HTTP/1.1 099 X\r\n\r\n", false, nil, 0, "status"},
		{"bad length", "HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n", false, nil, 0, "Content-Length"},
		{"bad chunk", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", false, nil, 0, "chunked"},
		{"not HTTP", "SSH-2.0-OpenSSH\r\n", false, nil, 0, "not HTTP"},
	} {
		for i, chunks := range splits(tc.in) {
			got, err := feedAll(chunks, tc.head)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Errorf("%s (split %d): error %v, want one with %q", tc.name, i, err, tc.err)
				}
				continue
			}
			if err != nil || len(got.statuses) != len(tc.statuses) || got.closes != tc.closes {
				t.Errorf("%s (split %d): %+v, %v; want %v with %d closes", tc.name, i, got, err, tc.statuses, tc.closes)
				continue
			}
			for k := range got.statuses {
				if got.statuses[k] != tc.statuses[k] {
					t.Errorf("%s (split %d): statuses %v, want %v", tc.name, i, got.statuses, tc.statuses)
				}
			}
		}
	}
	// Another protocol's answer is fatal, with the fix.
	_, err := feedAll([][]byte{[]byte("\x15\x03\x01\x00\x02\x02\x46")}, false)
	var fatal *loadgen.FatalError
	if !errors.As(err, &fatal) || fatal.Fix != loadgen.FixHTTPS {
		t.Errorf("TLS alert: %v", err)
	}
}

// FuzzParser: the incremental parser never panics, and cutting its input
// anywhere changes nothing: the same responses, the same error or none.
func FuzzParser(f *testing.F) {
	f.Add("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", 7)
	f.Add("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n", 30)
	f.Add("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n", 3)
	f.Fuzz(func(t *testing.T, s string, cut int) {
		if len(s) == 0 {
			return
		}
		cut = ((cut % len(s)) + len(s)) % len(s)
		whole, errWhole := feedAll([][]byte{[]byte(s)}, false)
		parts, errParts := feedAll([][]byte{[]byte(s[:cut]), []byte(s[cut:])}, false)
		// The limits hold however reads cut the input: the same error or
		// none (an incomplete header block is no error yet, on both).
		if (errWhole == nil) != (errParts == nil) {
			t.Fatalf("cut at %d: whole %v %v, parts %v %v", cut, whole, errWhole, parts, errParts)
		}
		if errWhole == nil && errParts == nil && len(whole.statuses) != len(parts.statuses) {
			t.Fatalf("cut at %d: whole %v, parts %v", cut, whole.statuses, parts.statuses)
		}
	})
}
