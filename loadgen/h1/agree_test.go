package h1_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/gowrk/gowrk/loadgen"
	"github.com/gowrk/gowrk/loadgen/h1"
	"github.com/gowrk/gowrk/loadgen/testserver"
)

// hostile is a response every request gets; closes: the server closes the
// connection after writing it (else it keeps it open).
type hostile struct {
	name     string
	response string
	closes   bool
	class    string // the one error class counted; "" for none
	message  string // the error message, whole
	complete bool   // every request completes (200)
}

func hostileResponses() []hostile {
	interim := func(n int) string { return strings.Repeat("HTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\n", n) }
	ok := "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
	fields := func(n int) string { return strings.Repeat("X-F: 1\r\n", n) }
	return []hostile{
		{"status 000", "HTTP/1.1 000 X\r\nContent-Length: 0\r\n\r\n", false, "read",
			`malformed status code "000" (want three digits, 100 to 999)`, false},
		{"status 099", "HTTP/1.1 099 X\r\nContent-Length: 0\r\n\r\n", false, "read",
			`malformed status code "099" (want three digits, 100 to 999)`, false},
		{"status of four digits", "HTTP/1.1 2000 OK\r\nContent-Length: 0\r\n\r\n", false, "read",
			`malformed status code "2000" (want three digits, 100 to 999)`, false},
		{"status not digits", "HTTP/1.1 abc OK\r\n\r\n", false, "read",
			`malformed status code "abc" (want three digits, 100 to 999)`, false},
		{"no status line", "HTTP/1.1\r\n\r\n", false, "read", `malformed status line "HTTP/1.1"`, false},
		{"status 999", "HTTP/1.1 999 Odd\r\nContent-Length: 0\r\n\r\n", false, "", "", false},
		{"two different Content-Lengths", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nok", false, "read",
			"conflicting Content-Length values (2 and 3)", false},
		{"a Content-Length list that differs", "HTTP/1.1 200 OK\r\nContent-Length: 2, 3\r\n\r\nok", false, "read",
			"conflicting Content-Length values (2 and 3)", false},
		{"the same Content-Length twice", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\ncontent-length: 2\r\n\r\nok", false, "", "", true},
		{"a Content-Length list of one value", "HTTP/1.1 200 OK\r\nContent-Length: 2, 2\r\n\r\nok", false, "", "", true},
		{"malformed Content-Length", "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\nok", false, "read", `malformed Content-Length "-1"`, false},
		{"chunked and Content-Length", "HTTP/1.1 200 OK\r\nContent-Length: 99\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n", false, "", "", true},
		{"gzip, then the close", "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nbody to the close", true, "", "", true},
		{"chunked not last", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\n2\r\nok\r\n0\r\n\r\n", true, "", "", true},
		{"100 interim responses", interim(h1.MaxInterim) + ok, false, "", "", true},
		{"101 interim responses", interim(h1.MaxInterim+1) + ok, false, "read", "more than 100 interim (1xx) responses to one request", false},
		{"10,000 interim responses", interim(10000) + ok, false, "read", "more than 100 interim (1xx) responses to one request", false},
		{"header block of 64 KiB", "HTTP/1.1 200 OK\r\nX-Big: " + strings.Repeat("x", h1.MaxHeaderBytes-47) + "\r\nContent-Length: 2\r\n\r\nok", false, "", "", true},
		{"header block over 64 KiB", "HTTP/1.1 200 OK\r\nX-Big: " + strings.Repeat("x", 70000) + "\r\nContent-Length: 2\r\n\r\nok", false, "read",
			"response header block larger than 64 KiB", false},
		{"256 fields", "HTTP/1.1 200 OK\r\n" + fields(h1.MaxHeaderFields-1) + "Content-Length: 2\r\n\r\nok", false, "", "", true},
		{"257 fields", "HTTP/1.1 200 OK\r\n" + fields(h1.MaxHeaderFields) + "Content-Length: 2\r\n\r\nok", false, "read",
			"response header block has more than 256 fields", false},
		{"malformed header line", "HTTP/1.1 200 OK\r\nno colon here\r\n\r\n", false, "read", `malformed header line "no colon here"`, false},
		{"malformed chunk size", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", false, "read", "malformed chunked encoding", false},
		{"chunk-size line too long", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2;" + strings.Repeat("e", 5000) + "\r\nok\r\n0\r\n\r\n", false, "read",
			"malformed chunked encoding", false},
		{"endless trailer", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n" + strings.Repeat("X-T: 1\r\n", 10000) + "\r\n", false, "read",
			"chunked trailer larger than 64 KiB", false},
		{"cut short, then closed", "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort", true, "read",
			"connection closed before the response was complete", false},
		{"not HTTP", "SSH-2.0-OpenSSH_9.0\r\n", false, "read", "the response is not HTTP/1.x (it starts with byte 0x53)", false},
	}
}

// TestEnginesAgree: the loop and the goroutine engine parse with one
// parser, so every hostile response is judged the same on both: the same
// responses completed, the same error class and the same message, each a
// sentence a user reads (never a parsing library's internals). Each run is
// -n bounded: the server's answers are the truth of what was asked.
func TestEnginesAgree(t *testing.T) {
	for _, tc := range hostileResponses() {
		t.Run(tc.name, func(t *testing.T) {
			var url string
			if tc.closes {
				url = testserver.StartT(t, testserver.Behaviour{Raw: []byte(tc.response), CutAfter: len(tc.response)}).URL()
			} else {
				url = rawServer(t, tc.response)
			}
			var got []string
			for _, e := range engines {
				cfg := config(t, url)
				cfg.Threads, cfg.Connections, cfg.Duration, cfg.Requests = 1, 2, 0, 20
				eng, err := e.new(cfg)
				if err != nil {
					t.Fatal(err)
				}
				res := runEngine(t, eng, cfg)
				got = append(got, outcome(res))
				checkHostile(t, e.name, tc, res)
			}
			if got[0] != got[1] {
				t.Errorf("the engines disagree:\n%s: %s\n%s: %s", engines[0].name, got[0], engines[1].name, got[1])
			}
		})
	}
}

// outcome is what a run made of the responses: completions by status,
// and every error class and message with its count.
func outcome(res *loadgen.Result) string {
	var b strings.Builder
	fmt.Fprintf(&b, "completed %d %v;", res.Counts.Completed, res.StatusCodes)
	for _, m := range res.ErrorMessages {
		fmt.Fprintf(&b, " %s %q x%d;", m.Class, m.Message, m.Count)
	}
	return b.String()
}

func checkHostile(t *testing.T, engine string, tc hostile, res *loadgen.Result) {
	t.Helper()
	c := res.Counts
	if tc.complete && (c.Completed != 20 || res.StatusCodes[200] != 20) {
		t.Errorf("%s: completed %d, statuses %v; want 20 of 200", engine, c.Completed, res.StatusCodes)
	}
	if tc.class == "" {
		if c.Failed() != 0 || len(res.ErrorMessages) != 0 {
			t.Errorf("%s: failures %d %v, want none", engine, c.Failed(), res.ErrorMessages)
		}
		return
	}
	if c.Completed != 0 || c.Failed() != 20 || len(res.ErrorMessages) != 1 {
		t.Fatalf("%s: completed %d, failed %d, messages %v; want 20 %s errors", engine, c.Completed, c.Failed(), res.ErrorMessages, tc.class)
	}
	if m := res.ErrorMessages[0]; m.Class != tc.class || m.Message != tc.message {
		t.Errorf("%s: %s error %q, want %s error %q", engine, m.Class, m.Message, tc.class, tc.message)
	}
}
