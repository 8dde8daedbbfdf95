//go:build linux

package h1

import (
	"net/netip"

	"github.com/gowrk/gowrk/loadgen/netdial"
	"golang.org/x/sys/unix"
)

// routeSockaddr is the address the loop's sockets connect to, from the
// engine's route: a unix socket's path, or ip:port (the target, its
// --connect-to mapping, or an HTTP proxy taking absolute-form requests).
func routeSockaddr(d *netdial.Dialer) (unix.Sockaddr, int, error) {
	if d.Network() == "unix" {
		return &unix.SockaddrUnix{Name: d.Addr()}, unix.AF_UNIX, nil
	}
	return sockaddr(d.Addr())
}

// locals are a loop's source addresses (the route's, as sockaddrs) and
// its turn over them. Each loop takes its own turn, starting at its
// thread's index, so that no counter is shared between threads.
type locals struct {
	addrs []unix.Sockaddr
	turn  int
}

// newLocals converts the route's local addresses of the family the loop
// dials; a thread starts at its own place in the list.
func newLocals(d *netdial.Dialer, family, thread int) locals {
	var l locals
	for _, a := range d.LocalAddrs() {
		if sa := localSockaddr(a, family); sa != nil {
			l.addrs = append(l.addrs, sa)
		}
	}
	if len(l.addrs) > 0 {
		l.turn = thread % len(l.addrs)
	}
	return l
}

func localSockaddr(a netip.Addr, family int) unix.Sockaddr {
	switch {
	case family == unix.AF_INET && a.Is4():
		return &unix.SockaddrInet4{Addr: a.As4()}
	case family == unix.AF_INET6 && !a.Is4():
		return &unix.SockaddrInet6{Addr: a.As16()}
	}
	return nil
}

// bindNext binds fd to the next local address, without a port
// (IP_BIND_ADDRESS_NO_PORT); nothing without local addresses.
func (l *locals) bindNext(fd int) error {
	if len(l.addrs) == 0 {
		return nil
	}
	sa := l.addrs[l.turn]
	l.turn = (l.turn + 1) % len(l.addrs)
	if err := netdial.SetBindNoPort(fd); err != nil {
		return err
	}
	return unix.Bind(fd, sa)
}
