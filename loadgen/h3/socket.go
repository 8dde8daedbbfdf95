package h3

import (
	"net"

	"github.com/quic-go/quic-go"
)

// The engine's connections share one UDP socket and one quic-go
// Transport, as a QUIC server's do: one read loop that reads datagrams in
// batches and hands each to its connection by connection ID, instead of a
// socket, a read loop and a syscall per datagram for each of -c
// connections. It is opened by the first dial and closed when the last
// connection on it closes (e.refs), so a run leaves no socket behind.

// transport returns the shared Transport and its socket, opening them when
// none is open, and counts one more user; release gives the use back.
func (e *Engine) transport() (*quic.Transport, *net.UDPConn, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.tr == nil {
		udp, err := net.ListenUDP("udp", nil)
		if err != nil {
			return nil, nil, err
		}
		e.udp, e.tr = udp, &quic.Transport{Conn: udp}
	}
	e.refs++
	return e.tr, e.udp, nil
}

func (e *Engine) release() {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.refs--; e.refs == 0 && e.tr != nil {
		e.tr.Close()
		e.udp.Close()
		e.tr, e.udp = nil, nil
	}
}
