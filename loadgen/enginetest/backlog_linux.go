package enginetest

import (
	"fmt"
	"net"
	"syscall"
	"testing"
)

// fullBacklog is a listener with a backlog of 1 that never accepts, its
// queue already full of the test's own connections: every dial of the
// engine stays pending until its connect timeout. Nothing is parsed.
func fullBacklog(t *testing.T, en *env) served {
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Close(fd) })
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Listen(fd, 1); err != nil {
		t.Fatal(err)
	}
	sa, err := syscall.Getsockname(fd)
	if err != nil {
		t.Fatal(err)
	}
	addr := fmt.Sprintf("127.0.0.1:%d", sa.(*syscall.SockaddrInet4).Port)
	for range 2 { // the queue holds backlog + 1 connections
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
	}
	return served{url: en.scheme() + addr + "/", parsed: func() int64 { return 0 }}
}
