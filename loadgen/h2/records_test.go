package h2

import (
	"bytes"
	"encoding/binary"
	"io"
	"net"
	"testing"
)

// chunks is a net.Conn whose reads return the given chunks, then EOF.
type chunks struct {
	net.Conn
	c [][]byte
}

func (s *chunks) Read(p []byte) (int, error) {
	if len(s.c) == 0 {
		return 0, io.EOF
	}
	n := copy(p, s.c[0])
	if s.c[0] = s.c[0][n:]; len(s.c[0]) == 0 {
		s.c = s.c[1:]
	}
	return n, nil
}

func record(n int, fill byte) []byte {
	b := make([]byte, recordHeader+n)
	b[0], b[1], b[2] = 23, 3, 3
	binary.BigEndian.PutUint16(b[3:], uint16(n))
	for i := recordHeader; i < len(b); i++ {
		b[i] = fill
	}
	return b
}

// TestRecords: what records hands on is the socket's stream unchanged, cut
// at record boundaries (one record per Read at most), and whole reports a
// waiting record exactly when the next Read needs no socket read.
func TestRecords(t *testing.T) {
	small, mid, big := record(60, 'a'), record(300, 'b'), record(9000, 'c') // big: larger than buf
	stream := bytes.Join([][]byte{small, mid, small, big, small}, nil)
	cuts := [][][]byte{
		{stream},                                // one read brings all
		{stream[:3], stream[3:70], stream[70:]}, // a header cut in two
		{stream[:65], stream[65:400], stream[400:5000], stream[5000:]},
	}
	for i, c := range cuts {
		rc := newRecords(&chunks{c: append([][]byte(nil), c...)})
		var got []byte
		var sizes []int
		p := make([]byte, 16384)
		for {
			n, err := rc.Read(p)
			got = append(got, p[:n]...)
			if n > 0 && rc.left == 0 {
				sizes = append(sizes, 0)
			}
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("cut %d: %v", i, err)
			}
		}
		if !bytes.Equal(got, stream) {
			t.Fatalf("cut %d: handed on %d bytes, not the %d read", i, len(got), len(stream))
		}
		if len(sizes) != 5 {
			t.Errorf("cut %d: %d records ended a Read, want 5", i, len(sizes))
		}
	}

	// whole: after the first record of one read of three, two wait whole.
	rc := newRecords(&chunks{c: [][]byte{bytes.Join([][]byte{small, mid, small[:10]}, nil)}})
	p := make([]byte, 1024)
	if n, _ := rc.Read(p); n != len(small) {
		t.Fatalf("first Read handed %d bytes, want one record of %d", n, len(small))
	}
	if !rc.whole() {
		t.Error("whole: false with a whole record held")
	}
	if n, _ := rc.Read(p); n != len(mid) {
		t.Fatalf("second Read handed %d bytes, want %d", n, len(mid))
	}
	if rc.whole() {
		t.Error("whole: true with only part of a record held")
	}
	// the cut record: its 10 bytes, then the socket's EOF.
	if n, err := rc.Read(p); n != 10 || err != nil {
		t.Errorf("cut record: %d, %v; want its 10 bytes first", n, err)
	}
	if _, err := rc.Read(p); err != io.EOF {
		t.Errorf("after the cut record: %v, want EOF", err)
	}
}
