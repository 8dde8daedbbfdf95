package loadgen

// QUICInfo is what an HTTP/3 run's QUIC connections add to the report,
// over all of them: handshakes, the RTT and losses quic-go measured, and
// the UDP socket buffers the kernel granted.
type QUICInfo struct {
	// Handshakes is how many QUIC handshakes completed; their mean and
	// longest time, in microseconds, from the first packet to the
	// handshake's end.
	Handshakes      int   `json:"handshakes"`
	HandshakeMeanUs int64 `json:"handshake_mean_us"`
	HandshakeMaxUs  int64 `json:"handshake_max_us"`
	// SmoothedRTTUs is the mean over connections of quic-go's smoothed RTT
	// at their close, MaxRTTUs the largest, in microseconds.
	SmoothedRTTUs int64 `json:"smoothed_rtt_us"`
	MaxRTTUs      int64 `json:"max_rtt_us"`
	// PacketsSent and PacketsLost count QUIC packets sent by gowrk and
	// declared lost (and so retransmitted); BytesLost their bytes.
	PacketsSent uint64 `json:"packets_sent"`
	PacketsLost uint64 `json:"packets_lost"`
	BytesLost   uint64 `json:"bytes_lost"`
	// UDPRecvBuffer and UDPSendBuffer are the smallest socket buffers in
	// effect, in bytes as the kernel reports them; UDPBufferWanted is what
	// quic-go asks for; UDPBufferCapped says the kernel gave less.
	UDPRecvBuffer   int  `json:"udp_recv_buffer"`
	UDPSendBuffer   int  `json:"udp_send_buffer"`
	UDPBufferWanted int  `json:"udp_buffer_wanted"`
	UDPBufferCapped bool `json:"udp_buffer_capped"`
}

// mergeQUIC combines the QUIC figures of runs made at the same time (the
// shards of one run): counts summed, means weighted by handshakes, the
// largest maxima, the smallest buffers. Either may be nil.
func mergeQUIC(a, b *QUICInfo) *QUICInfo {
	if a == nil || b == nil {
		if a == nil && b != nil {
			c := *b
			return &c
		}
		return a
	}
	n := a.Handshakes + b.Handshakes
	mean := func(x, y int64) int64 {
		if n == 0 {
			return 0
		}
		return (x*int64(a.Handshakes) + y*int64(b.Handshakes)) / int64(n)
	}
	return &QUICInfo{
		Handshakes: n, HandshakeMeanUs: mean(a.HandshakeMeanUs, b.HandshakeMeanUs), HandshakeMaxUs: max(a.HandshakeMaxUs, b.HandshakeMaxUs),
		SmoothedRTTUs: mean(a.SmoothedRTTUs, b.SmoothedRTTUs), MaxRTTUs: max(a.MaxRTTUs, b.MaxRTTUs),
		PacketsSent: a.PacketsSent + b.PacketsSent, PacketsLost: a.PacketsLost + b.PacketsLost, BytesLost: a.BytesLost + b.BytesLost,
		UDPRecvBuffer: min(a.UDPRecvBuffer, b.UDPRecvBuffer), UDPSendBuffer: min(a.UDPSendBuffer, b.UDPSendBuffer),
		UDPBufferWanted: max(a.UDPBufferWanted, b.UDPBufferWanted), UDPBufferCapped: a.UDPBufferCapped || b.UDPBufferCapped,
	}
}
