package h3

import (
	"time"

	"github.com/gowrk/gowrk/loadgen"
	"github.com/quic-go/quic-go"
)

// stats are the QUIC figures of a run's connections, added as each
// handshake completes and each connection closes. The Engine's mutex
// guards them.
type stats struct {
	handshakes     int
	hsTotal, hsMax time.Duration
	closed         int
	rttTotal       time.Duration // smoothed RTT at close, summed over closed connections
	rttMax         time.Duration
	packetsSent    uint64
	packetsLost    uint64
	bytesLost      uint64
	bufs           buffers // the smallest UDP buffers seen
	bufsSet        bool
}

func (s *stats) addHandshake(d time.Duration, b buffers) {
	s.handshakes++
	s.hsTotal += d
	s.hsMax = max(s.hsMax, d)
	if !s.bufsSet || b.recv < s.bufs.recv || b.send < s.bufs.send {
		s.bufs, s.bufsSet = b, true
	}
}

func (s *stats) addConn(st quic.ConnectionStats) {
	s.closed++
	s.rttTotal += st.SmoothedRTT
	s.rttMax = max(s.rttMax, st.SmoothedRTT)
	s.packetsSent += st.PacketsSent
	s.packetsLost += st.PacketsLost
	s.bytesLost += st.BytesLost
}

// info is what the reports show; nil before any handshake.
func (s *stats) info() *loadgen.QUICInfo {
	if s.handshakes == 0 {
		return nil
	}
	in := &loadgen.QUICInfo{
		Handshakes:      s.handshakes,
		HandshakeMeanUs: (s.hsTotal / time.Duration(s.handshakes)).Microseconds(),
		HandshakeMaxUs:  s.hsMax.Microseconds(),
		PacketsSent:     s.packetsSent,
		PacketsLost:     s.packetsLost,
		BytesLost:       s.bytesLost,
		UDPRecvBuffer:   s.bufs.recv,
		UDPSendBuffer:   s.bufs.send,
		UDPBufferWanted: wantBuffer,
		UDPBufferCapped: s.bufs.recv < wantBuffer || s.bufs.send < wantBuffer,
	}
	if s.closed > 0 {
		in.SmoothedRTTUs = (s.rttTotal / time.Duration(s.closed)).Microseconds()
		in.MaxRTTUs = s.rttMax.Microseconds()
	}
	return in
}
