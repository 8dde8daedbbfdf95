package h3

import (
	"context"
	"errors"
	"net"
	"syscall"
	"time"
)

// errNoUDP: the server's host answered the run's first datagram with ICMP
// port unreachable: nothing listens on that UDP port.
var errNoUDP = errors.New("nothing listens on the UDP port")

// probeUDP sends one byte (no QUIC packet: a QUIC server drops it) to addr
// from a connected socket, and waits until ctx is done for the ICMP
// answer that a closed port sends, which quic-go's unconnected socket
// never reports. It returns errNoUDP when that answer came, nil otherwise.
func probeUDP(ctx context.Context, addr *net.UDPAddr) error {
	c, err := net.DialUDP("udp", nil, addr)
	if err != nil {
		return nil
	}
	defer c.Close()
	stop := context.AfterFunc(ctx, func() { c.SetReadDeadline(time.Unix(1, 0)) })
	defer stop()
	if _, err := c.Write([]byte{0}); errors.Is(err, syscall.ECONNREFUSED) {
		return errNoUDP
	}
	var b [1]byte
	if _, err := c.Read(b[:]); errors.Is(err, syscall.ECONNREFUSED) {
		return errNoUDP
	}
	return nil
}
