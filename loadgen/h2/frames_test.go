package h2

import (
	"testing"
)

// FuzzFrames feeds arbitrary server bytes, cut at an arbitrary point, to
// the frame parser of a connection with no stream open: it must return a
// connection error or wait for more, never panic or loop.
func FuzzFrames(f *testing.F) {
	f.Add([]byte("\x00\x00\x00\x04\x00\x00\x00\x00\x00"), 3)
	f.Add([]byte("\x00\x00\x06\x04\x00\x00\x00\x00\x00\x00\x03\x00\x00\x00\x02\x00\x00\x04\x01\x05\x00\x00\x00\x01\x88\x82\x84\x86"), 11)
	f.Add([]byte("\x00\x00\x05\x00\x09\x00\x00\x00\x01\x02ok\x00\x00"), 9)
	f.Add([]byte("HTTP/1.1 400 Bad Request\r\n\r\n"), 0)
	f.Fuzz(func(t *testing.T, in []byte, cut int) {
		e := &Engine{opts: Options{Window: DefaultWindow, ConnWindow: DefaultWindow}}
		c := &conn{e: e, st: make([]stream, 2), tab: make([]int32, 8), end: -1, limit: -1}
		s := newSession()
		s.reset(nil)
		c.s = s
		if cut < 0 {
			cut = -cut
		}
		parts := [][]byte{in}
		if len(in) > 0 {
			k := cut % (len(in) + 1)
			parts = [][]byte{in[:k], in[k:]}
		}
		for _, p := range parts {
			for len(p) > 0 {
				if s.rend == len(s.rbuf) {
					c.compact()
					s.grow()
					if s.rend == len(s.rbuf) {
						t.Fatalf("the read buffer is full of an unparsed frame")
					}
				}
				k := copy(s.rbuf[s.rend:], p)
				s.rend += k
				p = p[k:]
				if err := c.parse(); err != nil {
					return
				}
				c.compact()
			}
		}
	})
}
