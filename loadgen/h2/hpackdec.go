package h2

import (
	"bytes"
	"errors"

	"golang.org/x/net/http2/hpack"
)

// statusDecoder is the response side of HPACK (RFC 7541) as a load
// generator needs it: it keeps the dynamic table in step with the
// server's encoder and finds :status, decoding nothing else into strings.
// A table entry is its size and, for a :status entry, the code; a
// Huffman-coded string's decoded length (which the size needs) is cached
// by its coded bytes, so a server that indexes the same date on every
// response (nginx does) costs a comparison, not a Huffman decode. It
// allocates nothing once warm. x/net's hpack.Decoder builds every field as
// strings and evicts by copying the table: 10% of gowrk's CPU against nginx.
// Huffman decoding itself is hpack's.
type statusDecoder struct {
	ents       [maxEntries]entry // a ring: ents[(head+i)%maxEntries] is dynamic index i+1 (newest first)
	head, n    int
	size, max  uint32
	cache      [16]lenCache
	scratch    countWriter
	statusBuf  statusWriter
	status     int    // :status of the block; 0 when none yet
	list       uint32 // the block's header list size so far (RFC 9113, 6.5.2)
	first      bool   // no field of the block decoded yet
	pending    []byte
	accumulate bool
}

// maxEntries bounds the dynamic table: gowrk advertises 4,096 bytes and an
// entry takes at least 32.
const maxEntries = 4096 / 32

type entry struct {
	size   uint32
	status int16  // -1: the name is not :status; else the value as a code (0: not one)
	name   uint16 // the name's length
}

type lenCache struct {
	coded [64]byte
	n     uint8 // coded length; 0: empty
	dec   uint32
}

var errHPACK = errors.New("HPACK: malformed header block")

// errHeaderListSize is a header block that decodes past MaxHeaderList.
var errHeaderListSize = errors.New("HPACK: header list too large")

// reset empties the table for a new connection; the length cache stays
// (a Huffman code's length does not depend on the connection).
func (d *statusDecoder) reset() {
	d.head, d.n, d.size, d.max = 0, 0, 0, 4096
	d.begin()
}

// begin starts a header block.
func (d *statusDecoder) begin() {
	d.status, d.list, d.first, d.pending, d.accumulate = 0, 0, true, d.pending[:0], false
}

// write takes a fragment of the block; end says it is the last. Fragments
// before the last are gathered (a block cut by CONTINUATION), then decoded
// in one pass.
func (d *statusDecoder) write(frag []byte, end bool) error {
	if !end {
		d.pending = append(d.pending, frag...)
		d.accumulate = true
		return nil
	}
	if d.accumulate {
		d.pending = append(d.pending, frag...)
		frag = d.pending
	}
	return d.decode(frag)
}

func (d *statusDecoder) decode(p []byte) error {
	for len(p) > 0 {
		if d.list > MaxHeaderList {
			return errHeaderListSize // an HPACK bomb: a few bytes that index a large entry again and again
		}
		b := p[0]
		var err error
		switch {
		case b&0x80 != 0: // indexed field
			var idx uint64
			if idx, p, err = readInt(7, p); err != nil {
				return err
			}
			st, size, ok := d.atSize(idx)
			if !ok || idx == 0 {
				return errHPACK
			}
			d.field(st, size)
		case b&0xc0 == 0x40: // literal with incremental indexing
			if p, err = d.literal(6, p, true); err != nil {
				return err
			}
		case b&0xe0 == 0x20: // dynamic table size update
			var v uint64
			if v, p, err = readInt(5, p); err != nil {
				return err
			}
			if v > 4096 {
				return errHPACK
			}
			d.max = uint32(v)
			d.evict(0)
		default: // literal without indexing, or never indexed
			if p, err = d.literal(4, p, false); err != nil {
				return err
			}
		}
	}
	if d.list > MaxHeaderList {
		return errHeaderListSize
	}
	return nil
}

// field notes a decoded field of size bytes (name, value and 32, as RFC
// 9113 counts a header list): st is its :status code, -1 for another name.
func (d *statusDecoder) field(st int16, size uint32) {
	if d.first && st >= 0 {
		d.status = int(st)
	}
	d.first = false
	d.list += size
}

// literal reads a literal field whose name index has prefix bits.
func (d *statusDecoder) literal(prefix uint8, p []byte, index bool) ([]byte, error) {
	idx, p, err := readInt(prefix, p)
	if err != nil {
		return nil, err
	}
	var nameLen uint32
	isStatus := false
	if idx > 0 {
		st, nl, ok := d.at(idx)
		if !ok {
			return nil, errHPACK
		}
		nameLen, isStatus = uint32(nl), st >= 0
	} else {
		var name []byte
		var huff bool
		if name, huff, p, err = readString(p); err != nil {
			return nil, err
		}
		if nameLen, err = d.length(name, huff); err != nil {
			return nil, err
		}
		if huff && nameLen == 7 {
			d.statusBuf.n = 0
			hpack.HuffmanDecode(&d.statusBuf, name)
			name = d.statusBuf.b[:d.statusBuf.n]
		}
		isStatus = string(name) == ":status"
	}
	value, huff, p, err := readString(p)
	if err != nil {
		return nil, err
	}
	valueLen, err := d.length(value, huff)
	if err != nil {
		return nil, err
	}
	st := int16(-1)
	if isStatus {
		st = 0
		if huff {
			d.statusBuf.n = 0
			if _, err := hpack.HuffmanDecode(&d.statusBuf, value); err != nil {
				return nil, errHPACK
			}
			value = d.statusBuf.b[:d.statusBuf.n]
		}
		st = int16(statusCode(value))
	}
	d.field(st, nameLen+valueLen+32)
	if index {
		d.add(entry{size: nameLen + valueLen + 32, status: st, name: uint16(min(nameLen, 1<<16-1))})
	}
	return p, nil
}

// length is the decoded length of a string.
func (d *statusDecoder) length(s []byte, huff bool) (uint32, error) {
	if !huff {
		return uint32(len(s)), nil
	}
	var c *lenCache
	if len(s) <= len(c.coded) && len(s) > 0 {
		c = &d.cache[(len(s)+int(s[len(s)-1]))%len(d.cache)]
		if int(c.n) == len(s) && bytes.Equal(c.coded[:c.n], s) {
			return c.dec, nil
		}
	}
	d.scratch = 0
	if _, err := hpack.HuffmanDecode(&d.scratch, s); err != nil {
		return 0, errHPACK
	}
	if c != nil {
		c.n = uint8(copy(c.coded[:], s))
		c.dec = uint32(d.scratch)
	}
	return uint32(d.scratch), nil
}

// at returns entry idx's :status code (-1: another name) and name length.
func (d *statusDecoder) at(idx uint64) (int16, int, bool) {
	if idx >= 1 && idx <= uint64(len(staticNames)) {
		st := int16(-1)
		if idx >= 8 && idx <= 14 {
			st = staticStatus[idx-8]
		}
		return st, len(staticNames[idx-1]), true
	}
	i := idx - uint64(len(staticNames)) - 1
	if idx <= uint64(len(staticNames)) || i >= uint64(d.n) {
		return 0, 0, false
	}
	e := d.ents[(d.head+int(i))%maxEntries]
	return e.status, int(e.name), true
}

// atSize is at with the entry's size in place of its name length: a
// dynamic entry's as added, a static one's name and 32 (its value, at most
// 13 bytes, is not kept: the header list bound it feeds is a bound).
func (d *statusDecoder) atSize(idx uint64) (int16, uint32, bool) {
	st, nl, ok := d.at(idx)
	if !ok || idx <= uint64(len(staticNames)) {
		return st, uint32(nl) + 32, ok
	}
	return st, d.ents[(d.head+int(idx-uint64(len(staticNames))-1))%maxEntries].size, true
}

func (d *statusDecoder) add(e entry) {
	if e.size > d.max {
		d.n, d.size = 0, 0 // larger than the table: it empties it (RFC 7541, 4.4)
		return
	}
	d.evict(e.size)
	d.head = (d.head + maxEntries - 1) % maxEntries
	d.ents[d.head] = e
	d.n++
	d.size += e.size
}

// evict drops the oldest entries until room more bytes fit.
func (d *statusDecoder) evict(room uint32) {
	for d.n > 0 && (d.size+room > d.max || d.n == maxEntries) {
		d.n--
		d.size -= d.ents[(d.head+d.n)%maxEntries].size
	}
}

// readInt reads an HPACK integer with an n-bit prefix (RFC 7541, 5.1).
func readInt(n uint8, p []byte) (uint64, []byte, error) {
	if len(p) == 0 {
		return 0, nil, errHPACK
	}
	mask := uint64(1)<<n - 1
	v := uint64(p[0]) & mask
	p = p[1:]
	if v < mask {
		return v, p, nil
	}
	for m := uint(0); ; m += 7 {
		if len(p) == 0 || m > 28 {
			return 0, nil, errHPACK
		}
		b := p[0]
		p = p[1:]
		v += uint64(b&0x7f) << m
		if b&0x80 == 0 {
			return v, p, nil
		}
	}
}

// readString reads a string literal: its bytes as coded, and whether they
// are Huffman-coded.
func readString(p []byte) (s []byte, huff bool, rest []byte, err error) {
	if len(p) == 0 {
		return nil, false, nil, errHPACK
	}
	huff = p[0]&0x80 != 0
	n, p, err := readInt(7, p)
	if err != nil || n > uint64(len(p)) {
		return nil, false, nil, errHPACK
	}
	return p[:n], huff, p[n:], nil
}

// statusCode is a 3-digit status; 0 when value is not one.
func statusCode(v []byte) int {
	if len(v) != 3 || v[0] < '1' || v[0] > '9' || v[1] < '0' || v[1] > '9' || v[2] < '0' || v[2] > '9' {
		return 0
	}
	return int(v[0]-'0')*100 + int(v[1]-'0')*10 + int(v[2]-'0')
}

type countWriter int

func (w *countWriter) Write(p []byte) (int, error) {
	*w += countWriter(len(p))
	return len(p), nil
}

// statusWriter keeps the first bytes of a decoded :status value.
type statusWriter struct {
	b [8]byte
	n int
}

func (w *statusWriter) Write(p []byte) (int, error) {
	w.n = copy(w.b[:], p)
	if len(p) > len(w.b) {
		w.n = 0 // too long to be a status
	}
	return len(p), nil
}

// staticStatus are the codes of static entries 8 to 14.
var staticStatus = [...]int16{200, 204, 206, 304, 400, 404, 500}

// staticNames are the names of HPACK's static table (RFC 7541, Appendix A).
var staticNames = [...]string{
	":authority", ":method", ":method", ":path", ":path", ":scheme", ":scheme",
	":status", ":status", ":status", ":status", ":status", ":status", ":status",
	"accept-charset", "accept-encoding", "accept-language", "accept-ranges", "accept",
	"access-control-allow-origin", "age", "allow", "authorization", "cache-control",
	"content-disposition", "content-encoding", "content-language", "content-length",
	"content-location", "content-range", "content-type", "cookie", "date", "etag",
	"expect", "expires", "from", "host", "if-match", "if-modified-since", "if-none-match",
	"if-range", "if-unmodified-since", "last-modified", "link", "location", "max-forwards",
	"proxy-authenticate", "proxy-authorization", "range", "referer", "refresh",
	"retry-after", "server", "set-cookie", "strict-transport-security",
	"transfer-encoding", "user-agent", "vary", "via", "www-authenticate",
}
