package h1

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/gowrk/gowrk/loadgen"
)

// parser reads HTTP/1.1 responses incrementally from whatever bytes a
// non-blocking read returned, in place: bodies are counted and dropped,
// never copied. Only a header block (or a chunk-size line) cut by the end
// of a read is kept, in partial, until the rest arrives. Its state is a few
// words per connection.
type parser struct {
	phase     uint8
	remaining int64 // body or chunk bytes still to skip
	status    int
	close     bool
	head      bool   // the request is HEAD: responses carry no body
	started   bool   // a byte of the current response has arrived
	partial   []byte // an incomplete header block or line, across reads

	// capture keeps each response's final header block (status line
	// included) in hdr and its body, de-chunked, in body, for a script's
	// response(); off, nothing is copied.
	capture   bool
	hdr, body []byte
	hstart    int // where header's final block began in what it parsed
}

// reset readies the parser for a new connection, keeping its buffers.
func (ps *parser) reset(head bool) {
	*ps = parser{head: head, partial: ps.partial[:0], capture: ps.capture, hdr: ps.hdr[:0], body: ps.body[:0]}
}

// keep appends body bytes for the script (loadgen.KeepBody).
func (ps *parser) keep(b []byte) { ps.body = loadgen.KeepBody(ps.body, b) }

const (
	phHeader uint8 = iota
	phBody
	phChunkSize
	phChunkData
	phChunkCR
	phChunkLF
	phTrailer
	phUntilClose
)

// maxHeader bounds a response header block (wrk's RECVBUF is 8 KB; be
// generous, but never unbounded).
const maxHeader = 64 << 10

var errHeaderTooLarge = errors.New("response header block larger than 64 KB")

// feed parses p, calling done(status, close) for every response that
// ends in it. It returns the first malformed input as an error.
func (ps *parser) feed(p []byte, done func(status int, close bool)) error {
	if len(ps.partial) > 0 {
		ps.partial = append(ps.partial, p...) // rare: a header cut by a read
		p = ps.partial
		ps.partial = ps.partial[:0]
	}
	for len(p) > 0 {
		switch ps.phase {
		case phHeader:
			ps.started = true
			n, err := ps.header(p)
			if err != nil {
				return err
			}
			if n == 0 { // incomplete: keep it for the next read
				if len(p) > maxHeader {
					return errHeaderTooLarge
				}
				ps.partial = append(ps.partial[:0], p...)
				return nil
			}
			if ps.capture {
				ps.hdr = append(ps.hdr[:0], p[ps.hstart:n]...)
				ps.body = ps.body[:0]
			}
			p = p[n:]
			if ps.phase == phHeader && (ps.status >= 200 || ps.status == 101) {
				ps.end(done) // a response without a body ended
			}
		case phBody, phChunkData:
			n := min(ps.remaining, int64(len(p)))
			ps.remaining -= n
			if ps.capture {
				ps.keep(p[:n])
			}
			p = p[n:]
			if ps.remaining == 0 {
				if ps.phase == phBody {
					ps.end(done)
				} else {
					ps.phase = phChunkCR
				}
			}
		case phChunkCR, phChunkLF:
			want := byte('\r')
			if ps.phase == phChunkLF {
				want = '\n'
			}
			if p[0] != want {
				return errBadChunk
			}
			p = p[1:]
			ps.phase++
			if ps.phase > phChunkLF {
				ps.phase = phChunkSize
			}
		case phChunkSize, phTrailer:
			i := bytes.IndexByte(p, '\n')
			if i < 0 {
				if len(p) > 4096 {
					return errBadChunk
				}
				ps.partial = append(ps.partial[:0], p...)
				return nil
			}
			line := p[:i+1]
			p = p[i+1:]
			if ps.phase == phTrailer {
				if len(line) <= 2 && (len(line) == 1 || line[0] == '\r') {
					ps.end(done)
				}
				continue
			}
			size, ok := chunkSize(line)
			if !ok {
				return errBadChunk
			}
			if size == 0 {
				ps.phase = phTrailer
			} else {
				ps.phase, ps.remaining = phChunkData, size
			}
		case phUntilClose:
			if ps.capture {
				ps.keep(p)
			}
			return nil // everything until the connection closes is body
		}
	}
	return nil
}

// end closes the current response.
func (ps *parser) end(done func(int, bool)) {
	status, close := ps.status, ps.close
	ps.phase, ps.started, ps.status, ps.close, ps.remaining = phHeader, false, 0, false, 0
	done(status, close)
}

// eof is the connection's end of file: it ends a response whose body runs
// to the close, and reports whether one was ended.
func (ps *parser) eof(done func(int, bool)) bool {
	if ps.phase == phUntilClose {
		ps.close = true
		ps.end(done)
		return true
	}
	return false
}

// header parses one header block at the start of p (skipping 1xx interim
// responses) and sets the body phase. It returns the bytes consumed, or 0
// when the block is not complete yet.
func (ps *parser) header(p []byte) (int, error) {
	if p[0] != 'H' {
		return 0, classifyNotHTTP(p)
	}
	pos := 0
	for {
		ps.hstart = pos
		n, err := ps.block(p[pos:])
		if n == 0 || err != nil {
			return 0, err
		}
		pos += n
		if ps.status >= 200 || ps.status == 101 {
			break
		}
		if pos == len(p) { // a 1xx alone: the final header is still to come
			ps.phase = phHeader
			return pos, nil
		}
	}
	switch {
	case ps.head || ps.status == 204 || ps.status == 304:
		ps.phase = phHeader
	case ps.phase == phChunkSize:
	case ps.remaining > 0:
		ps.phase = phBody
	case ps.remaining == 0:
		ps.phase = phHeader
	default:
		ps.phase, ps.close = phUntilClose, true
	}
	return pos, nil
}

// block parses one header block: the status line and the fields that
// matter (Content-Length, Transfer-Encoding, Connection). It leaves
// ps.phase at phChunkSize for a chunked body and ps.remaining at the
// content length (-1: none given).
func (ps *parser) block(p []byte) (int, error) {
	pos := 0
	line := 0
	http10, keepAlive, chunked, closeConn := false, false, false, false
	status, remaining := 0, int64(-1)
	for {
		i := bytes.IndexByte(p[pos:], '\n')
		if i < 0 {
			return 0, nil
		}
		l := p[pos : pos+i]
		pos += i + 1
		if len(l) > 0 && l[len(l)-1] == '\r' {
			l = l[:len(l)-1]
		}
		if line == 0 {
			s, v10, err := statusLine(l)
			if err != nil {
				return 0, err
			}
			status, http10 = s, v10
			line++
			continue
		}
		line++
		if len(l) == 0 {
			break
		}
		colon := bytes.IndexByte(l, ':')
		if colon <= 0 {
			return 0, fmt.Errorf("malformed header line %q", truncate(l))
		}
		name := l[:colon]
		if len(name) != len(hContentLength) && len(name) != len(hTransferEncoding) && len(name) != len(hConnection) {
			continue // most fields: decided by length alone
		}
		value := bytes.TrimSpace(l[colon+1:])
		switch {
		case asciiEqualFold(name, hContentLength):
			n, ok := parseLength(value)
			if !ok {
				return 0, fmt.Errorf("malformed Content-Length %q", truncate(value))
			}
			remaining = n
		case asciiEqualFold(name, hTransferEncoding):
			if containsFold(value, "chunked") {
				chunked = true
			}
		case asciiEqualFold(name, hConnection):
			if containsFold(value, "close") {
				closeConn = true
			}
			if containsFold(value, "keep-alive") {
				keepAlive = true
			}
		}
	}
	// The block is complete: only now does the parser's state change.
	ps.status, ps.remaining, ps.close, ps.phase = status, remaining, closeConn || (http10 && !keepAlive), phHeader
	if chunked {
		ps.phase, ps.remaining = phChunkSize, 0
	}
	return pos, nil
}

var (
	hContentLength    = []byte("Content-Length")
	hTransferEncoding = []byte("Transfer-Encoding")
	hConnection       = []byte("Connection")
)

// statusLine parses "HTTP/1.x NNN reason".
func statusLine(l []byte) (status int, http10 bool, err error) {
	if len(l) < 12 || !bytes.HasPrefix(l, []byte("HTTP/1.")) || l[8] != ' ' {
		return 0, false, fmt.Errorf("malformed status line %q", truncate(l))
	}
	for _, c := range l[9:12] {
		if c < '0' || c > '9' {
			return 0, false, errBadStatus
		}
		status = status*10 + int(c-'0')
	}
	if status < 100 || (len(l) > 12 && l[12] != ' ') {
		return 0, false, errBadStatus
	}
	return status, l[7] == '0', nil
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
var parseLength = loadgen.ParseLength

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
		return &loadgen.FatalError{Err: errors.New("the server answered with TLS, not HTTP: it is an HTTPS port; use an https:// URL")}
	case len(b) >= 9 && (b[3] == 0x4 || b[3] == 0x7) && b[0] == 0:
		// An HTTP/2 frame header: 24-bit length, then type 4 (SETTINGS)
		// or 7 (GOAWAY), as a server that only speaks h2c answers.
		return &loadgen.FatalError{Err: errors.New("the server answered with HTTP/2 frames: it speaks only HTTP/2; add --http2")}
	}
	return fmt.Errorf("%w (it starts with byte 0x%02x)", errNotHTTP, b[0])
}
