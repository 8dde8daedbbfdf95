package h1

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/gowrk/gowrk/loadgen"
)

// The limits on a response, written once: both engines parse with the one
// parser, so the same bytes give the same outcome and the same message on
// either. Each is far above what any real server sends and bounds what a
// hostile one can make a connection hold or loop on.
const (
	// MaxHeaderBytes bounds one header block, from the status line to the
	// empty line that ends it (wrk's whole read buffer is 8 KB).
	MaxHeaderBytes = 64 << 10
	// MaxHeaderFields bounds the field lines of one header block.
	MaxHeaderFields = 256
	// MaxInterim bounds the interim (1xx) responses that may come before
	// one request's final response.
	MaxInterim = 100
	// MaxChunkLine bounds a chunk-size line (hex size and extensions) and
	// each trailer line; MaxHeaderBytes bounds the whole trailer.
	MaxChunkLine = 4096
)

// What a malformed or out-of-bounds response is called: read errors, in
// words a user understands (the same on both engines).
var (
	errHeaderTooLarge  = fmt.Errorf("response header block larger than %d KiB", MaxHeaderBytes>>10)
	errTooManyFields   = fmt.Errorf("response header block has more than %d fields", MaxHeaderFields)
	errTooManyInterim  = fmt.Errorf("more than %d interim (1xx) responses to one request", MaxInterim)
	errTrailerTooLarge = fmt.Errorf("chunked trailer larger than %d KiB", MaxHeaderBytes>>10)
	errBadChunk        = errors.New("malformed chunked encoding")
	errNoBody          = errors.New("connection closed before the response was complete")
	errNotHTTP         = errors.New("the response is not HTTP/1.x")
)

// Transfer-Encoding as far as framing goes (RFC 9112 6.3).
const (
	teNone    uint8 = iota
	teChunked       // the final coding is chunked
	teOther         // another final coding: the body runs to the close
)

// head is what one header block says about framing, gathered line by line
// before any of it is applied to the parser.
type head struct {
	status    int
	http10    bool
	keepAlive bool
	closeConn bool
	te        uint8
	length    int64 // -1: no Content-Length
}

// block parses one header block at the start of p: the status line and
// the fields that matter (Content-Length, Transfer-Encoding, Connection),
// within the limits above. It returns the bytes consumed, or 0 while the
// block is incomplete; only a complete block changes the parser: ps.status,
// ps.close, and the body's framing in ps.phase and ps.remaining.
func (ps *parser) block(p []byte) (int, error) {
	h := head{length: -1}
	pos, fields := 0, 0
	for {
		i := bytes.IndexByte(p[pos:], '\n')
		if i < 0 || pos+i+1 > MaxHeaderBytes {
			if len(p) > MaxHeaderBytes {
				return 0, errHeaderTooLarge
			}
			return 0, nil
		}
		l := p[pos : pos+i]
		first := pos == 0
		pos += i + 1
		if len(l) > 0 && l[len(l)-1] == '\r' {
			l = l[:len(l)-1]
		}
		if first {
			s, v10, err := statusLine(l)
			if err != nil {
				return 0, err
			}
			h.status, h.http10 = s, v10
			continue
		}
		if len(l) == 0 {
			break
		}
		if fields++; fields > MaxHeaderFields {
			return 0, errTooManyFields
		}
		if err := h.field(l); err != nil {
			return 0, err
		}
	}
	ps.apply(&h)
	return pos, nil
}

// field takes in one field line.
func (h *head) field(l []byte) error {
	colon := bytes.IndexByte(l, ':')
	if colon <= 0 {
		return fmt.Errorf("malformed header line %q", truncate(l))
	}
	name := l[:colon]
	if len(name) != len(hContentLength) && len(name) != len(hTransferEncoding) && len(name) != len(hConnection) {
		return nil // most fields: decided by length alone
	}
	value := bytes.TrimSpace(l[colon+1:])
	switch {
	case asciiEqualFold(name, hContentLength):
		return h.contentLength(value)
	case asciiEqualFold(name, hTransferEncoding):
		// The last coding decides (a later field line continues the list).
		h.te = teOther
		if last := lastElement(value); asciiEqualFold(last, []byte("chunked")) {
			h.te = teChunked
		}
	case asciiEqualFold(name, hConnection):
		if containsFold(value, "close") {
			h.closeConn = true
		}
		if containsFold(value, "keep-alive") {
			h.keepAlive = true
		}
	}
	return nil
}

// contentLength takes in a Content-Length value: a length, or a list of
// the same length repeated; a different value here or in another field
// line is an error (RFC 9112 6.3: the framing is ambiguous).
func (h *head) contentLength(value []byte) error {
	for len(value) > 0 {
		elem := value
		if i := bytes.IndexByte(value, ','); i >= 0 {
			elem, value = value[:i], value[i+1:]
		} else {
			value = nil
		}
		elem = bytes.TrimSpace(elem)
		n, ok := parseLength(elem)
		if !ok {
			return fmt.Errorf("malformed Content-Length %q", truncate(elem))
		}
		if h.length >= 0 && n != h.length {
			return fmt.Errorf("conflicting Content-Length values (%d and %d)", h.length, n)
		}
		h.length = n
	}
	return nil
}

// apply sets the parser from a complete block. The body's length follows
// RFC 9112 6.3: no body for HEAD, 1xx, 204 and 304 (decided by the
// caller); Transfer-Encoding overrides Content-Length, and a response
// carrying both is framed by its Transfer-Encoding and its connection is
// not reused (the framing was ambiguous); a final coding other than
// chunked, or no length at all, runs the body to the close.
func (ps *parser) apply(h *head) {
	ps.status, ps.close = h.status, h.closeConn || (h.http10 && !h.keepAlive)
	ps.phase, ps.remaining = phHeader, h.length
	switch h.te {
	case teChunked:
		ps.phase, ps.remaining = phChunkSize, 0
		ps.close = ps.close || h.length >= 0
	case teOther:
		ps.remaining = -1
	}
}

var (
	hContentLength    = []byte("Content-Length")
	hTransferEncoding = []byte("Transfer-Encoding")
	hConnection       = []byte("Connection")
)

// statusLine parses "HTTP/1.x NNN reason": the code is exactly three
// digits, 100 to 999.
func statusLine(l []byte) (status int, http10 bool, err error) {
	if len(l) < 12 || !bytes.HasPrefix(l, []byte("HTTP/1.")) || l[8] != ' ' {
		return 0, false, fmt.Errorf("malformed status line %q", truncate(l))
	}
	code := l[9:]
	if i := bytes.IndexByte(code, ' '); i >= 0 {
		code = code[:i]
	}
	if len(code) != 3 {
		return 0, false, badStatus(code)
	}
	for _, c := range code {
		if c < '0' || c > '9' {
			return 0, false, badStatus(code)
		}
		status = status*10 + int(c-'0')
	}
	if status < 100 {
		return 0, false, badStatus(code)
	}
	return status, l[7] == '0', nil
}

func badStatus(code []byte) error {
	return fmt.Errorf("malformed status code %q (want three digits, 100 to 999)", truncate(code))
}

// lastElement is the last element of a comma-separated list, trimmed.
func lastElement(v []byte) []byte {
	if i := bytes.LastIndexByte(v, ','); i >= 0 {
		v = v[i+1:]
	}
	return bytes.TrimSpace(v)
}

// asciiEqualFold compares a header name with a canonical one, ignoring
// ASCII case (header names are ASCII tokens).
func asciiEqualFold(a, b []byte) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i]|0x20 != b[i]|0x20 {
			return false
		}
	}
	return true
}

// parseLength parses a Content-Length value.
var parseLength = ParseLength

func containsFold(v []byte, word string) bool {
	for i := 0; i+len(word) <= len(v); i++ {
		if bytes.EqualFold(v[i:i+len(word)], []byte(word)) {
			return true
		}
	}
	return false
}

func truncate(b []byte) []byte {
	if len(b) > 40 {
		return b[:40]
	}
	return b
}

// classifyNotHTTP explains a response that does not start as HTTP/1.x
// does. A TLS record or an HTTP/2 frame means the server speaks another
// protocol: that is a *loadgen.FatalError, which stops the run with the fix.
func classifyNotHTTP(b []byte) error {
	switch {
	case len(b) >= 2 && (b[0] == 0x15 || b[0] == 0x16) && b[1] == 0x03:
		return &loadgen.FatalError{Err: errors.New("the server answered with TLS, not HTTP: it is an HTTPS port"), Fix: loadgen.FixHTTPS}
	case len(b) >= 9 && (b[3] == 0x4 || b[3] == 0x7) && b[0] == 0:
		// An HTTP/2 frame header: 24-bit length, then type 4 (SETTINGS)
		// or 7 (GOAWAY), as a server that only speaks h2c answers.
		return &loadgen.FatalError{Err: errors.New("the server answered with HTTP/2 frames: it speaks only HTTP/2"), Fix: loadgen.FixHTTP2}
	}
	return fmt.Errorf("%w (it starts with byte 0x%02x)", errNotHTTP, b[0])
}
