package h2

import (
	"encoding/binary"
	"net"
)

// recordHeader is the length of a TLS record's header: type, version,
// length (RFC 8446 §5.1).
const recordHeader = 5

// records sits under crypto/tls and hands it one TLS record at a time, so
// that the whole records it holds beyond (those one socket read brought)
// tell the goroutine driver that the next tls.Conn.Read will not block:
// crypto/tls returns one record per Read, and without this the driver
// would write after each response, one packet per request, where a read
// of several records can be answered by one write (issue 28).
//
// Owned by the connection's goroutine; buf is the session's for its life.
type records struct {
	net.Conn
	buf  []byte // buf[r:w]: read from the socket, not yet handed on
	r, w int
	left int // bytes of the record being handed on still to hand (0: at a header)
}

func newRecords(c net.Conn) *records { return &records{Conn: c, buf: make([]byte, 4096)} }

// Read hands on at most the rest of the current record.
func (rc *records) Read(p []byte) (int, error) {
	if rc.left == 0 {
		for rc.w-rc.r < recordHeader {
			if err := rc.fill(); err != nil {
				if rc.w == rc.r {
					return 0, err
				}
				rc.left = rc.w - rc.r // a cut header: hand it on, the error next
				break
			}
		}
		if rc.left == 0 {
			rc.left = recordHeader + int(binary.BigEndian.Uint16(rc.buf[rc.r+3:]))
		}
	}
	p = p[:min(len(p), rc.left)]
	if rc.r == rc.w { // the rest of a record larger than buf: straight from the socket
		n, err := rc.Conn.Read(p)
		rc.left -= n
		return n, err
	}
	n := copy(p, rc.buf[rc.r:rc.w])
	rc.r += n
	rc.left -= n
	return n, nil
}

// fill reads once from the socket after what buf holds, at its start.
func (rc *records) fill() error {
	if rc.r > 0 { // (what is held is less than a header: cheap to move)
		rc.w = copy(rc.buf, rc.buf[rc.r:rc.w])
		rc.r = 0
	}
	n, err := rc.Conn.Read(rc.buf[rc.w:])
	rc.w += n
	if n > 0 {
		return nil
	}
	return err
}

// whole reports whether a whole record waits, not yet handed on.
func (rc *records) whole() bool {
	held := rc.w - rc.r
	return rc.left == 0 && held >= recordHeader &&
		held >= recordHeader+int(binary.BigEndian.Uint16(rc.buf[rc.r+3:]))
}
