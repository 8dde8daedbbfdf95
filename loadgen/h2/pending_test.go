package h2

import (
	"net"
	"testing"
)

// TestPending: pending sees bytes waiting in a socket without taking them,
// and nothing on a quiet one; a connection without a socket of its own
// reports false.
func TestPending(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	srv, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	if pending(c) {
		t.Fatal("pending on a socket the peer wrote nothing to")
	}
	if _, err := srv.Write([]byte("SETTINGS")); err != nil {
		t.Fatal(err)
	}
	// The bytes cross loopback in the write's system call; wait for them
	// by reading nothing (a hang guard only: pending must see them).
	for i := 0; !pending(c); i++ {
		if i > 1e6 {
			t.Fatal("pending never saw the 8 bytes written")
		}
	}
	b := make([]byte, 16)
	if n, _ := c.Read(b); n != 8 {
		t.Errorf("after pending, read %d bytes, want the 8 written (pending must not take them)", n)
	}
	a, b2 := net.Pipe()
	defer a.Close()
	defer b2.Close()
	if pending(a) {
		t.Error("pending on a net.Pipe, which has no socket")
	}
}
