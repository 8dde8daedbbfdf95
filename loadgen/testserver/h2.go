package testserver

import (
	"bytes"
	"io"
	"net"
	"net/http"
	"strconv"
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
	// Continuation splits each response's header block into a HEADERS
	// and CONTINUATION frames of a few bytes each.
	Continuation bool
	// Padded pads every HEADERS and DATA frame with this many bytes.
	Padded uint8
	// NoSettings never sends the server's SETTINGS (nor anything else).
	NoSettings bool
	// Ping sends a PING before every response; PingAcks counts the answers.
	Ping bool
	// Push sends one PUSH_PROMISE, on the server's first stream (the client disabled push).
	Push bool
	// Body is the size of each response body, sent in DATA frames of at
	// most 16 KiB, within the client's windows (default "ok").
	Body int
	// Stall leaves every Stall-th stream (over all connections) unanswered.
	Stall int
	// Informational sends a 103 Early Hints before each final response.
	Informational bool
	// TableSize advertises SETTINGS_HEADER_TABLE_SIZE (0: the default 4096).
	TableSize uint32

	// Hostile servers.
	//
	// ZeroStreams advertises SETTINGS_MAX_CONCURRENT_STREAMS=0 and never
	// raises it; ZeroAfter lowers it to 0 after answering that many
	// streams on a connection.
	ZeroStreams bool
	ZeroAfter   int
	// GoAwayFirst sends GOAWAY(0, NO_ERROR) right after SETTINGS on every
	// connection, and processes no stream.
	GoAwayFirst bool
	// ContinuationFlood answers each stream with HEADERS and then
	// CONTINUATION frames of 16 KiB, never END_HEADERS, until the client
	// closes the connection.
	ContinuationFlood bool
	// HPACKBomb answers each stream with a 20 KB header block that indexes
	// a 4,000-byte field and then refers to it 16,000 times (64 MB decoded).
	HPACKBomb bool
	// PingFlood and SettingsFlood send that many PINGs, or empty SETTINGS,
	// before each response.
	PingFlood, SettingsFlood int
	// IgnoreWindow sends response bodies whatever the client's windows.
	IgnoreWindow bool
	// WindowOverflow 1 sends WINDOW_UPDATE(0, 2^31-1) before answering a
	// stream (the connection's send window passes 2^31-1); 2 sends
	// WINDOW_UPDATE(id, 2^31-1) on each stream before answering it.
	WindowOverflow int
}

// H2Server is a raw HTTP/2 server on loopback, written with http2.Framer so
// that it can send exactly the frames a test needs.
type H2Server struct {
	listener
	b H2Behaviour
	// Streams counts streams opened; Answered those answered with 200;
	// Resets those reset; GoAways GOAWAYs sent; Cancels the RST_STREAM
	// (CANCEL) received; PingAcks the PINGs answered; BodyBytes the
	// request body bytes received; ProtocolErrors the GOAWAYs with an
	// error the client sent.
	Streams, Answered, Resets, GoAways, Cancels, PingAcks, BodyBytes, ProtocolErrors atomic.Int64
	// Headers counts the request HEADERS frames received, processed or
	// not (after GOAWAY): the requests the client sent.
	Headers atomic.Int64
	// LastGoAway is the error code of the last GOAWAY the client sent.
	LastGoAway atomic.Uint32
	// DecodeErrors counts request header blocks that did not decode
	// (HPACK state out of step, or a table larger than advertised).
	DecodeErrors atomic.Int64
	pushes       atomic.Int64
}

// drop closes c abruptly: a TCP reset, no GOAWAY.
func drop(c net.Conn) {
	if tc, ok := c.(*net.TCPConn); ok {
		tc.SetLinger(0)
	}
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
	if s.b.NoSettings {
		io.Copy(io.Discard, c)
		return
	}
	fr := http2.NewFramer(c, c)
	var settings []http2.Setting
	if s.b.MaxStreams > 0 {
		settings = append(settings, http2.Setting{ID: http2.SettingMaxConcurrentStreams, Val: s.b.MaxStreams})
	}
	if s.b.TableSize > 0 {
		settings = append(settings, http2.Setting{ID: http2.SettingHeaderTableSize, Val: s.b.TableSize})
	}
	if s.b.ZeroStreams {
		settings = append(settings, http2.Setting{ID: http2.SettingMaxConcurrentStreams, Val: 0})
	}
	if fr.WriteSettings(settings...) != nil {
		return
	}
	w := &h2conn{s: s, fr: fr, enc: nil, connWin: 65535, streamWin: 65535, wins: map[uint32]int64{}, pending: map[uint32]int{}}
	w.enc = hpack.NewEncoder(&w.hbuf)
	table := uint32(4096)
	if s.b.TableSize > 0 {
		table = s.b.TableSize
	}
	w.dec = hpack.NewDecoder(table, nil)
	if s.b.GoAwayFirst {
		fr.WriteGoAway(0, http2.ErrCodeNo, nil)
		s.GoAways.Add(1)
		w.goneAway = true
	}
	if s.b.TableSize > 0 && s.b.TableSize < 4096 {
		w.enc.SetMaxDynamicTableSize(s.b.TableSize)
	}
	for {
		f, err := fr.ReadFrame()
		if err != nil {
			return
		}
		switch f := f.(type) {
		case *http2.SettingsFrame:
			if !f.IsAck() {
				if v, ok := f.Value(http2.SettingInitialWindowSize); ok {
					w.streamWin = int64(v)
				}
				fr.WriteSettingsAck()
			}
		case *http2.PingFrame:
			if f.IsAck() {
				s.PingAcks.Add(1)
			} else {
				fr.WritePing(true, f.Data)
			}
		case *http2.WindowUpdateFrame:
			if f.StreamID == 0 {
				w.connWin += int64(f.Increment)
			} else {
				w.wins[f.StreamID] += int64(f.Increment)
			}
			w.sendPending()
		case *http2.RSTStreamFrame:
			if f.ErrCode == http2.ErrCodeCancel {
				s.Cancels.Add(1)
			}
		case *http2.GoAwayFrame:
			if f.ErrCode != http2.ErrCodeNo {
				s.ProtocolErrors.Add(1)
				s.LastGoAway.Store(uint32(f.ErrCode))
			}
		case *http2.DataFrame:
			n := len(f.Data())
			s.BodyBytes.Add(int64(n))
			if f.Length > 0 {
				fr.WriteWindowUpdate(0, f.Length)
				if !f.StreamEnded() {
					fr.WriteWindowUpdate(f.StreamID, f.Length)
				}
			}
			if f.StreamEnded() && !w.stream(f.StreamID) {
				drop(c)
				return
			}
		case *http2.HeadersFrame:
			s.Headers.Add(1)
			if w.goneAway {
				continue // above the GOAWAY's last stream: not processed
			}
			fields, err := w.dec.DecodeFull(f.HeaderBlockFragment())
			if err != nil || len(fields) < 4 || fields[0].Name != ":method" {
				s.DecodeErrors.Add(1)
				fr.WriteGoAway(f.StreamID, http2.ErrCodeCompression, nil)
				return
			}
			if f.StreamEnded() && !w.stream(f.StreamID) {
				drop(c)
				return
			}
		}
	}
}

// h2conn is one connection of the raw server.
type h2conn struct {
	s                  *H2Server
	fr                 *http2.Framer
	hbuf               bytes.Buffer
	enc                *hpack.Encoder
	dec                *hpack.Decoder
	answered, opened   int
	goneAway           bool
	connWin, streamWin int64
	wins               map[uint32]int64 // per-stream send window beyond streamWin
	pending            map[uint32]int   // body bytes still to send
	sentBody           map[uint32]int
}

// stream answers a request whose stream ended; false closes the connection.
func (w *h2conn) stream(id uint32) bool {
	s, fr := w.s, w.fr
	n := s.Streams.Add(1)
	w.opened++
	if s.b.DropAfter > 0 && w.opened == s.b.DropAfter {
		return false
	}
	if s.b.Delay > 0 {
		time.Sleep(s.b.Delay)
	}
	if s.b.ResetEvery > 0 && n%int64(s.b.ResetEvery) == 0 {
		s.Resets.Add(1)
		fr.WriteRSTStream(id, http2.ErrCodeInternal)
		return true
	}
	if s.b.Stall > 0 && n%int64(s.b.Stall) == 0 {
		return true
	}
	if s.b.Push && s.pushes.Add(1) == 1 {
		fr.WritePushPromise(http2.PushPromiseParam{StreamID: id, PromiseID: 2, BlockFragment: w.block(hpack.HeaderField{Name: ":method", Value: "GET"}), EndHeaders: true})
	}
	if s.b.Ping {
		fr.WritePing(false, [8]byte{1, 2, 3, 4, 5, 6, 7, 8})
	}
	if !w.hostile(id) {
		return false
	}
	if s.b.Informational {
		w.headers(id, false, hpack.HeaderField{Name: ":status", Value: "103"}, hpack.HeaderField{Name: "link", Value: "</style.css>; rel=preload"})
	}
	size := s.b.Body
	if size == 0 {
		size = 2
	}
	w.headers(id, false, hpack.HeaderField{Name: ":status", Value: "200"}, hpack.HeaderField{Name: "content-length", Value: strconv.Itoa(size)}, hpack.HeaderField{Name: "date", Value: time.Now().UTC().Format(http.TimeFormat)})
	w.pending[id] = size
	w.sendPending()
	w.answered++
	s.Answered.Add(1)
	if s.b.ZeroAfter > 0 && w.answered == s.b.ZeroAfter {
		fr.WriteSettings(http2.Setting{ID: http2.SettingMaxConcurrentStreams, Val: 0})
	}
	if s.b.GoAwayAfter > 0 && w.answered == s.b.GoAwayAfter {
		fr.WriteGoAway(id, http2.ErrCodeNo, nil)
		s.GoAways.Add(1)
		w.goneAway = true
	}
	return true
}

func (w *h2conn) block(fields ...hpack.HeaderField) []byte {
	w.hbuf.Reset()
	for _, f := range fields {
		w.enc.WriteField(f)
	}
	return append([]byte(nil), w.hbuf.Bytes()...)
}

// headers writes a header block, split into CONTINUATION frames and
// padded as the behaviour says.
func (w *h2conn) headers(id uint32, end bool, fields ...hpack.HeaderField) {
	b := w.block(fields...)
	if !w.s.b.Continuation || len(b) < 3 {
		w.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: b, EndStream: end, EndHeaders: true, PadLength: w.s.b.Padded})
		return
	}
	w.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: b[:2], EndStream: end, PadLength: w.s.b.Padded})
	for rest := b[2:]; len(rest) > 0; {
		k := min(len(rest), 3)
		w.fr.WriteContinuation(id, k == len(rest), rest[:k])
		rest = rest[k:]
	}
}

// hostile sends what the hostile behaviours send before a response;
// false closes the connection.
func (w *h2conn) hostile(id uint32) bool {
	b, fr := w.s.b, w.fr
	for i := 0; i < b.PingFlood; i++ {
		if fr.WritePing(false, [8]byte{9}) != nil {
			return false
		}
	}
	for i := 0; i < b.SettingsFlood; i++ {
		if fr.WriteSettings() != nil {
			return false
		}
	}
	switch b.WindowOverflow {
	case 1:
		fr.WriteWindowUpdate(0, 1<<31-1)
	case 2:
		fr.WriteWindowUpdate(id, 1<<31-1)
	}
	if b.ContinuationFlood {
		chunk := make([]byte, 16384)
		fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: []byte{0x88}})
		for fr.WriteContinuation(id, false, chunk) == nil {
		}
		return false
	}
	if b.HPACKBomb {
		block := hpackBomb()
		fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: block[:8000]})
		fr.WriteContinuation(id, true, block[8000:])
		return true
	}
	return true
}

// hpackBomb is a header block of :status 200, a literal field "x" of 4,000
// bytes added to the dynamic table, then 16,000 references to it.
func hpackBomb() []byte {
	var b bytes.Buffer
	enc := hpack.NewEncoder(&b)
	enc.WriteField(hpack.HeaderField{Name: ":status", Value: "200"})
	enc.WriteField(hpack.HeaderField{Name: "x", Value: string(bytes.Repeat([]byte("a"), 4000))})
	for range 16000 {
		b.WriteByte(0x80 | 62) // the newest dynamic entry: "x"
	}
	return b.Bytes()
}

// sendPending sends response body within the client's windows.
func (w *h2conn) sendPending() {
	if w.sentBody == nil {
		w.sentBody = map[uint32]int{}
	}
	for id, left := range w.pending {
		for left > 0 {
			win := w.streamWin + w.wins[id] - int64(w.sentBody[id])
			if w.s.b.IgnoreWindow {
				win = 1 << 20
			}
			n := min(int64(left), win, w.connWin, 16384-int64(w.s.b.Padded)-1)
			if w.s.b.IgnoreWindow {
				n = min(int64(left), 16383)
			}
			if n <= 0 {
				break
			}
			data := bytes.Repeat([]byte("x"), int(n))
			if w.s.b.Body == 0 {
				data = []byte("ok")
			}
			left -= int(n)
			w.connWin -= n
			w.sentBody[id] += int(n)
			if w.s.b.Padded > 0 {
				w.fr.WriteDataPadded(id, left == 0, data, make([]byte, w.s.b.Padded))
			} else {
				w.fr.WriteData(id, left == 0, data)
			}
		}
		if left == 0 {
			delete(w.pending, id)
			delete(w.sentBody, id)
			delete(w.wins, id)
		} else {
			w.pending[id] = left
		}
	}
}
