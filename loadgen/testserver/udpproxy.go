package testserver

import (
	"net"
	"sync"
	"sync/atomic"
)

// UDPProxy forwards datagrams between clients and one UDP server on
// loopback, dropping every DropEvery-th datagram a client sends (the
// known share of lost packets); the server's datagrams all go through.
type UDPProxy struct {
	// Forwarded and Dropped count the clients' datagrams.
	Forwarded, Dropped atomic.Int64

	ln        *net.UDPConn
	server    *net.UDPAddr
	dropEvery int64
	seen      atomic.Int64

	mu    sync.Mutex
	peers map[string]*net.UDPConn // client address -> its socket to the server
}

// StartUDPProxy starts a proxy to server that drops every dropEvery-th
// client datagram (0: none).
func StartUDPProxy(server string, dropEvery int64) (*UDPProxy, error) {
	sa, err := net.ResolveUDPAddr("udp", server)
	if err != nil {
		return nil, err
	}
	ln, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		return nil, err
	}
	p := &UDPProxy{ln: ln, server: sa, dropEvery: dropEvery, peers: map[string]*net.UDPConn{}}
	go p.fromClients()
	return p, nil
}

// Addr is the proxy's address, for the client's URL.
func (p *UDPProxy) Addr() string { return p.ln.LocalAddr().String() }

func (p *UDPProxy) fromClients() {
	buf := make([]byte, 65536)
	for {
		n, from, err := p.ln.ReadFromUDP(buf)
		if err != nil {
			return
		}
		if p.dropEvery > 0 && p.seen.Add(1)%p.dropEvery == 0 {
			p.Dropped.Add(1)
			continue
		}
		up := p.peer(from)
		if up == nil {
			return
		}
		p.Forwarded.Add(1)
		up.Write(buf[:n])
	}
}

// peer is from's socket to the server, made on its first datagram.
func (p *UDPProxy) peer(from *net.UDPAddr) *net.UDPConn {
	p.mu.Lock()
	defer p.mu.Unlock()
	key := from.String()
	if c := p.peers[key]; c != nil {
		return c
	}
	c, err := net.DialUDP("udp", nil, p.server)
	if err != nil {
		return nil
	}
	p.peers[key] = c
	go func() {
		buf := make([]byte, 65536)
		for {
			n, err := c.Read(buf)
			if err != nil {
				return
			}
			p.ln.WriteToUDP(buf[:n], from)
		}
	}()
	return c
}

// Close stops the proxy and its sockets.
func (p *UDPProxy) Close() {
	p.ln.Close()
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.peers {
		c.Close()
	}
}
