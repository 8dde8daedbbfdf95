//go:build !unix

package h2

import "net"

// pending is unknown off unix: a read deadline that passed is the peer's
// silence.
func pending(net.Conn) bool { return false }
