//go:build !unix

package h3

import "net"

const wantBuffer = 7 << 20

type buffers struct{ recv, send int }

// udpBuffers cannot read the sizes here; it reports them as wanted.
func udpBuffers(*net.UDPConn) buffers { return buffers{wantBuffer, wantBuffer} }
