package h1

import (
	"bytes"

	"github.com/gowrk/gowrk/loadgen"
)

// parser reads HTTP/1.1 responses incrementally from whatever bytes a read
// returned, in place: bodies are counted and dropped, never copied. Only a
// header block (or a chunk-size line) cut by the end of a read is kept, in
// partial, until the rest arrives. Both engines parse with it (the loop
// from its per-thread buffer, Conn from its own), so the same bytes are the
// same responses, and the same errors, on either; head.go holds its
// limits. Its state is a few words per connection; it is used by one
// goroutine at a time.
type parser struct {
	phase     uint8
	interim   uint8 // interim (1xx) responses before the current final one
	remaining int64 // body or chunk bytes still to skip; trailer bytes seen
	status    int
	close     bool
	head      bool   // the request is HEAD: responses carry no body
	started   bool   // a byte of the current response has arrived
	noKeep    bool   // every response closes the connection (Target.NoKeepAlive); kept by reset
	partial   []byte // an incomplete header block or line, across reads

	// capture keeps each response's final header block (status line
	// included) in hdr and its body, de-chunked, in body, for a script's
	// response(); off, nothing is copied.
	capture   bool
	hdr, body []byte
}

// reset readies the parser for a new connection, keeping its buffers.
func (ps *parser) reset(head bool) {
	*ps = parser{head: head, noKeep: ps.noKeep, partial: ps.partial[:0], capture: ps.capture, hdr: ps.hdr[:0], body: ps.body[:0]}
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

// feed parses p, calling done(status, close) for every response that
// ends in it. It returns the first malformed input as an error.
func (ps *parser) feed(p []byte, done func(status int, close bool)) error {
	if len(ps.partial) > 0 {
		ps.partial = append(ps.partial, p...) // rare: a header cut by a read
		p = ps.partial
		ps.partial = ps.partial[:0]
	}
	for len(p) > 0 {
		var n int
		var err error
		switch ps.phase {
		case phHeader:
			n, err = ps.header(p, done)
		case phBody, phChunkData:
			n = ps.bodyBytes(p, done)
		case phChunkCR, phChunkLF:
			want := byte('\r')
			if ps.phase == phChunkLF {
				want = '\n'
			}
			if p[0] != want {
				return errBadChunk
			}
			n = 1
			if ps.phase++; ps.phase > phChunkLF {
				ps.phase = phChunkSize
			}
		case phChunkSize, phTrailer:
			n, err = ps.chunkLine(p, done)
		case phUntilClose:
			if ps.capture {
				ps.keep(p)
			}
			return nil // everything until the connection closes is body
		}
		if err != nil {
			return err
		}
		if n == 0 { // incomplete: keep it for the next read
			ps.partial = append(ps.partial[:0], p...)
			return nil
		}
		p = p[n:]
	}
	return nil
}

// header parses one header block at the start of p and sets the body's
// phase; a response without a body ends here. An interim (1xx) block is
// consumed alone, counted against MaxInterim. It returns the bytes
// consumed, or 0 while the block is incomplete.
func (ps *parser) header(p []byte, done func(int, bool)) (int, error) {
	ps.started = true
	if p[0] != 'H' {
		return 0, classifyNotHTTP(p)
	}
	n, err := ps.block(p)
	if n == 0 || err != nil {
		return 0, err
	}
	if ps.capture {
		ps.hdr = append(ps.hdr[:0], p[:n]...)
		ps.body = ps.body[:0]
	}
	if ps.status < 200 && ps.status != 101 {
		if ps.interim++; ps.interim > MaxInterim {
			return 0, errTooManyInterim
		}
		ps.phase = phHeader // the final response is still to come
		return n, nil
	}
	switch {
	case ps.status == 101: // another protocol follows: the connection is done
		ps.phase, ps.close = phHeader, true
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
	if ps.phase == phHeader {
		ps.end(done)
	}
	return n, nil
}

// bodyBytes takes up to ps.remaining bytes of a body or chunk.
func (ps *parser) bodyBytes(p []byte, done func(int, bool)) int {
	n := min(ps.remaining, int64(len(p)))
	ps.remaining -= n
	if ps.capture {
		ps.keep(p[:n])
	}
	if ps.remaining == 0 {
		if ps.phase == phBody {
			ps.end(done)
		} else {
			ps.phase = phChunkCR
		}
	}
	return int(n)
}

// chunkLine parses a chunk-size line, or a trailer line (the empty one
// ends the response). It returns 0 while the line is incomplete.
func (ps *parser) chunkLine(p []byte, done func(int, bool)) (int, error) {
	i := bytes.IndexByte(p, '\n')
	if i < 0 || i >= MaxChunkLine {
		if len(p) >= MaxChunkLine {
			return 0, errBadChunk
		}
		return 0, nil
	}
	line := p[:i+1]
	if ps.phase == phTrailer {
		if ps.remaining += int64(len(line)); ps.remaining > MaxHeaderBytes {
			return 0, errTrailerTooLarge
		}
		if len(line) <= 2 && (len(line) == 1 || line[0] == '\r') {
			ps.end(done)
		}
		return len(line), nil
	}
	size, ok := chunkSize(line)
	switch {
	case !ok:
		return 0, errBadChunk
	case size == 0:
		ps.phase, ps.remaining = phTrailer, 0
	default:
		ps.phase, ps.remaining = phChunkData, size
	}
	return len(line), nil
}

// end closes the current response.
func (ps *parser) end(done func(int, bool)) {
	status, close := ps.status, ps.close || ps.noKeep
	ps.phase, ps.started, ps.status, ps.close, ps.remaining, ps.interim = phHeader, false, 0, false, 0, 0
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

// chunkSize parses the hex size at the start of a chunk line.
func chunkSize(line []byte) (int64, bool) {
	var n int64
	digits := 0
	for _, b := range line {
		var d int64
		switch {
		case b >= '0' && b <= '9':
			d = int64(b - '0')
		case b >= 'a' && b <= 'f':
			d = int64(b-'a') + 10
		case b >= 'A' && b <= 'F':
			d = int64(b-'A') + 10
		default:
			ok := digits > 0 && (b == ';' || b == '\r' || b == '\n' || b == ' ' || b == '\t')
			return n, ok
		}
		if digits++; digits > 15 {
			return 0, false
		}
		n = n<<4 | d
	}
	return 0, false
}
