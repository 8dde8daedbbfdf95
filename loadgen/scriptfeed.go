package loadgen

import (
	"bytes"
	"errors"
	"fmt"
	"time"
)

// ScriptFeed hands out a script's requests (Hooks) one at a time, for the
// engines that send one request per connection turn or per HTTP/2 stream:
// it asks request() for a batch when the last one is spent (and delay()
// for the batch's wait) and splits it into requests. Used by one goroutine,
// the one that owns the Hooks.
type ScriptFeed struct {
	Hooks Hooks
	pend  []byte
	lens  []int
	next  int // the batch's next request
	off   int // its offset in pend
	delay time.Duration
	from  time.Duration // when the batch was asked for
}

// Ready makes sure a request is ready and returns when it may go out: due
// plus the batch's delay under a schedule (delay() adds to the due time, as
// in wrk2), the batch's time plus the delay in closed loop. It returns
// false when the script stopped its thread, or failed: the run is then
// aborted with the script's error (th.Abort).
func (f *ScriptFeed) Ready(th *Thread, now, due time.Duration, scheduled bool) (time.Duration, bool) {
	if f.next >= len(f.lens) {
		if f.Hooks.Stopped() {
			return 0, false
		}
		b, err := f.Hooks.Request(f.pend[:0])
		if err == nil {
			f.pend = b
			f.lens, err = SplitRequests(b, f.lens[:0])
		}
		var d time.Duration
		if err == nil {
			d, err = f.Hooks.Delay()
		}
		if err != nil {
			f.lens, f.next = f.lens[:0], 0
			th.Abort(err)
			return 0, false
		}
		f.next, f.off, f.delay, f.from = 0, 0, d, now
	}
	if scheduled {
		return due + f.delay, true
	}
	return f.from + f.delay, true
}

// Len is the number of requests in the current batch.
func (f *ScriptFeed) Len() int { return len(f.lens) }

// Fresh says no request of the current batch has been taken yet.
func (f *ScriptFeed) Fresh() bool { return f.next == 0 }

// Take returns the next request's bytes, valid until the next Ready.
func (f *ScriptFeed) Take() []byte {
	n := f.lens[f.next]
	req := f.pend[f.off : f.off+n]
	f.next++
	f.off += n
	return req
}

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
