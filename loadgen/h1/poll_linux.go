//go:build linux

package h1

import (
	"net"
	"strconv"

	"golang.org/x/sys/unix"
)

// sockaddr converts "ip:port" to a socket address and its family.
func sockaddr(addr string) (unix.Sockaddr, int, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, 0, err
	}
	p, err := strconv.Atoi(port)
	if err != nil {
		return nil, 0, err
	}
	ip := net.ParseIP(host)
	if ip4 := ip.To4(); ip4 != nil {
		sa := &unix.SockaddrInet4{Port: p}
		copy(sa.Addr[:], ip4)
		return sa, unix.AF_INET, nil
	}
	sa := &unix.SockaddrInet6{Port: p}
	copy(sa.Addr[:], ip.To16())
	return sa, unix.AF_INET6, nil
}

// cloneSockaddr copies sa: unix.Connect writes the raw address into the
// Sockaddr it is given, so each loop needs its own.
func cloneSockaddr(sa unix.Sockaddr) unix.Sockaddr {
	switch a := sa.(type) {
	case *unix.SockaddrInet4:
		c := unix.SockaddrInet4{Port: a.Port, Addr: a.Addr}
		return &c
	case *unix.SockaddrInet6:
		c := unix.SockaddrInet6{Port: a.Port, ZoneId: a.ZoneId, Addr: a.Addr}
		return &c
	case *unix.SockaddrUnix:
		return &unix.SockaddrUnix{Name: a.Name}
	}
	return sa
}

// connectStart opens a non-blocking socket, binds it to local's next
// source address when it has one, and starts connecting it.
func connectStart(sa unix.Sockaddr, family int, local *locals) (int, error) {
	fd, err := unix.Socket(family, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, err
	}
	if family != unix.AF_UNIX {
		unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_NODELAY, 1)
	}
	if err := local.bindNext(fd); err != nil {
		unix.Close(fd)
		return -1, err
	}
	if err := unix.Connect(fd, sa); err != nil && err != unix.EINPROGRESS {
		unix.Close(fd)
		return -1, err
	}
	return fd, nil
}

// connectResult is the outcome of a non-blocking connect once the socket
// is writable.
func connectResult(fd int) error {
	v, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_ERROR)
	if err != nil {
		return err
	}
	if v != 0 {
		return unix.Errno(v)
	}
	return nil
}
