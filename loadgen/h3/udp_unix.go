//go:build unix

package h3

import (
	"net"
	"syscall"
)

// wantBuffer is the UDP socket buffer quic-go asks the kernel for, each
// way, in bytes (7 MiB, its desiredBufferSize on Linux).
const wantBuffer = 7 << 20

// buffers are a UDP socket's buffer sizes in effect, in bytes, as the
// kernel reports them (Linux reports twice what was granted).
type buffers struct{ recv, send int }

// udpBuffers reads c's buffer sizes after quic-go has tried to raise them.
func udpBuffers(c *net.UDPConn) buffers {
	var b buffers
	rc, err := c.SyscallConn()
	if err != nil {
		return b
	}
	rc.Control(func(fd uintptr) {
		b.recv, _ = syscall.GetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF)
		b.send, _ = syscall.GetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_SNDBUF)
	})
	return b
}
