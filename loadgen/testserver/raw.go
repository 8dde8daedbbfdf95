package testserver

import "net"

// RawServer serves each connection with a handler of the test's own: a
// server that speaks no HTTP, or the wrong protocol. Close ends it and its
// connections.
type RawServer struct{ listener }

// StartRaw starts a RawServer on a free loopback port; handle runs on a
// goroutine per connection, which is closed when handle returns.
func StartRaw(handle func(net.Conn)) (*RawServer, error) {
	s := &RawServer{}
	if err := s.listen("127.0.0.1:0", handle); err != nil {
		return nil, err
	}
	return s, nil
}
