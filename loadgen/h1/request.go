package h1

import (
	"bytes"
	"errors"
	"fmt"
)

// A script's requests are HTTP/1.1 text (wrk.format's): these read them,
// for every engine that sends them (the HTTP/2 engine sends their fields).

var errNoRequest = errors.New("request() returned no request")

// SplitRequests appends to lens the length of each HTTP/1.1 request in b,
// which holds whole requests one after another (what a script's request()
// returns): a request line, headers, an empty line and as many body bytes
// as Content-Length says. It allocates nothing beyond lens.
func SplitRequests(b []byte, lens []int) ([]int, error) {
	if len(b) == 0 {
		return lens, errNoRequest
	}
	for len(b) > 0 {
		r, err := ParseRequest(b, nil)
		if err != nil {
			return lens, err
		}
		lens = append(lens, r.Len)
		b = b[r.Len:]
	}
	return lens, nil
}

// WireRequest is one HTTP/1.1 request parsed from a script's bytes.
type WireRequest struct {
	Method, Target []byte // the request line's method and request target
	Body           []byte
	Len            int // the request's length in the bytes parsed
}

// ParseRequest parses the request at the start of b. When header is not
// nil it is called with every header field (for HTTP/2, which sends them
// as fields); the slices point into b.
func ParseRequest(b []byte, header func(name, value []byte)) (WireRequest, error) {
	var r WireRequest
	end := bytes.Index(b, []byte("\r\n\r\n"))
	if end < 0 {
		return r, fmt.Errorf("request() returned an incomplete HTTP request (no empty line after the headers): %q", cut(b))
	}
	first := bytes.Index(b, []byte("\r\n"))
	line := b[:first]
	sp1 := bytes.IndexByte(line, ' ')
	sp2 := bytes.LastIndexByte(line, ' ')
	if sp1 <= 0 || sp2 <= sp1+1 || !bytes.HasPrefix(line[sp2+1:], []byte("HTTP/1.")) {
		return r, fmt.Errorf("request() returned no HTTP/1.1 request line: %q", cut(line))
	}
	r.Method, r.Target = line[:sp1], line[sp1+1:sp2]
	body := int64(0)
	for rest := b[first+2 : end+2]; len(rest) > 0; {
		i := bytes.Index(rest, []byte("\r\n"))
		l := rest[:i]
		rest = rest[i+2:]
		colon := bytes.IndexByte(l, ':')
		if colon <= 0 {
			return r, fmt.Errorf("request() returned a malformed header line %q", cut(l))
		}
		name, value := l[:colon], bytes.TrimSpace(l[colon+1:])
		switch {
		case bytes.EqualFold(name, []byte("Content-Length")):
			n, ok := ParseLength(value)
			if !ok {
				return r, fmt.Errorf("request() returned a malformed Content-Length %q", cut(value))
			}
			body = n
		case bytes.EqualFold(name, []byte("Transfer-Encoding")):
			return r, errors.New("request() returned a Transfer-Encoding body; give the body with its Content-Length, as wrk.format does")
		}
		if header != nil {
			header(name, value)
		}
	}
	n := int64(end+4) + body
	if n > int64(len(b)) {
		return r, fmt.Errorf("request() returned a body shorter than its Content-Length %d", body)
	}
	r.Body, r.Len = b[end+4:n], int(n)
	return r, nil
}

// ParseLength parses a Content-Length value: 1 to 18 decimal digits.
func ParseLength(v []byte) (int64, bool) {
	if len(v) == 0 || len(v) > 18 {
		return 0, false
	}
	var n int64
	for _, c := range v {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}

func cut(b []byte) []byte {
	if len(b) > 40 {
		return b[:40]
	}
	return b
}
