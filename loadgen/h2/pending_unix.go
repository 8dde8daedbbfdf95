//go:build unix

package h2

import (
	"crypto/tls"
	"net"
	"syscall"

	"golang.org/x/sys/unix"
)

// pending reports whether c's socket holds bytes not yet read, without
// reading them and whatever c's deadline says: the evidence that a read
// deadline passed because this process ran late, not because the peer
// was silent. A TLS connection is asked about its socket's encrypted
// bytes; connections without a socket of their own (a proxy tunnel's)
// report false.
func pending(c net.Conn) bool {
	if tc, ok := c.(*tls.Conn); ok {
		c = tc.NetConn()
	}
	sc, ok := c.(syscall.Conn)
	if !ok {
		return false
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return false
	}
	n := 0
	rc.Control(func(fd uintptr) {
		var b [1]byte
		n, _, _ = unix.Recvfrom(int(fd), b[:], unix.MSG_PEEK|unix.MSG_DONTWAIT)
	})
	return n > 0
}
