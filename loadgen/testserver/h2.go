package testserver

import (
	"bytes"
	"io"
	"net"
	"sync/atomic"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// H2Behaviour says how the raw HTTP/2 (h2c, prior knowledge) server misbehaves.
type H2Behaviour struct {
	// GoAwayAfter sends GOAWAY after answering that many streams on a
	// connection, then closes it once the client has; 0: never.
	GoAwayAfter int
	// ResetEvery answers every n-th stream (over all connections) with
	// RST_STREAM(INTERNAL_ERROR) instead of a response; 0: never.
	ResetEvery int
	// MaxStreams is advertised as SETTINGS_MAX_CONCURRENT_STREAMS; 0: unlimited.
	MaxStreams uint32
	// DropAfter closes the TCP connection abruptly (no GOAWAY) after that
	// many streams were opened on it, leaving the last unanswered; 0: never.
	DropAfter int
	// Delay is slept before answering each stream (streams are answered in
	// order of arrival, one at a time per connection).
	Delay time.Duration
}

// H2Server is a raw HTTP/2 server on loopback, written with http2.Framer so
// that it can send exactly the frames a test needs.
type H2Server struct {
	listener
	b H2Behaviour
	// Streams counts streams opened; Answered those answered with 200;
	// Resets those reset; GoAways GOAWAYs sent.
	Streams, Answered, Resets, GoAways atomic.Int64
}

// StartH2 starts a raw HTTP/2 server on 127.0.0.1.
func StartH2(b H2Behaviour) (*H2Server, error) {
	s := &H2Server{b: b}
	if err := s.listen("127.0.0.1:0", s.serve); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *H2Server) serve(c net.Conn) {
	preface := make([]byte, len(http2.ClientPreface))
	if _, err := io.ReadFull(c, preface); err != nil || string(preface) != http2.ClientPreface {
		return
	}
	fr := http2.NewFramer(c, c)
	var settings []http2.Setting
	if s.b.MaxStreams > 0 {
		settings = append(settings, http2.Setting{ID: http2.SettingMaxConcurrentStreams, Val: s.b.MaxStreams})
	}
	if fr.WriteSettings(settings...) != nil {
		return
	}
	var hbuf bytes.Buffer
	enc := hpack.NewEncoder(&hbuf)
	answered, opened, goneAway := 0, 0, false
	for {
		f, err := fr.ReadFrame()
		if err != nil {
			return
		}
		switch f := f.(type) {
		case *http2.SettingsFrame:
			if !f.IsAck() {
				fr.WriteSettingsAck()
			}
		case *http2.PingFrame:
			if !f.IsAck() {
				fr.WritePing(true, f.Data)
			}
		case *http2.HeadersFrame:
			if goneAway {
				continue // above the GOAWAY's last stream: not processed
			}
			n := s.Streams.Add(1)
			opened++
			if s.b.DropAfter > 0 && opened == s.b.DropAfter {
				if tc, ok := c.(*net.TCPConn); ok {
					tc.SetLinger(0)
				}
				return
			}
			if s.b.Delay > 0 {
				time.Sleep(s.b.Delay)
			}
			if s.b.ResetEvery > 0 && n%int64(s.b.ResetEvery) == 0 {
				s.Resets.Add(1)
				fr.WriteRSTStream(f.StreamID, http2.ErrCodeInternal)
				continue
			}
			hbuf.Reset()
			enc.WriteField(hpack.HeaderField{Name: ":status", Value: "200"})
			enc.WriteField(hpack.HeaderField{Name: "content-length", Value: "2"})
			fr.WriteHeaders(http2.HeadersFrameParam{StreamID: f.StreamID, BlockFragment: hbuf.Bytes(), EndHeaders: true})
			fr.WriteData(f.StreamID, true, []byte("ok"))
			s.Answered.Add(1)
			answered++
			if s.b.GoAwayAfter > 0 && answered == s.b.GoAwayAfter {
				fr.WriteGoAway(f.StreamID, http2.ErrCodeNo, nil)
				s.GoAways.Add(1)
				goneAway = true
			}
		}
	}
}
