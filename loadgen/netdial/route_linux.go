//go:build linux

package netdial

import "golang.org/x/sys/unix"

// SetBindNoPort sets IP_BIND_ADDRESS_NO_PORT on socket fd, which is about
// to be bound to a local address with port 0: Linux then picks the port
// at connect, by the whole 4-tuple, so that more than the ~28k ephemeral
// ports of one source address can reach one server from it (and bind does
// not reserve a port of its own). The event loop calls it on its raw
// sockets; Dial through net.Dialer's Control.
func SetBindNoPort(fd int) error {
	return unix.SetsockoptInt(fd, unix.IPPROTO_IP, unix.IP_BIND_ADDRESS_NO_PORT, 1)
}

func setBindNoPort(fd int) error { return SetBindNoPort(fd) }
