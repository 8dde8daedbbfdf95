//go:build !linux

package netdial

// setBindNoPort does nothing where IP_BIND_ADDRESS_NO_PORT is not: the
// socket is bound to its local address with a port of its own.
func setBindNoPort(int) error { return nil }
