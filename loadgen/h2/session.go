package h2

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"os"
	"syscall"
	"time"

	"github.com/gowrk/gowrk/loadgen"
	"github.com/gowrk/gowrk/loadgen/netdial"
	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// A connection's read buffer starts at minReadBuf, which holds the frames
// of small responses (DATA is counted as it arrives, so only other frames
// must fit whole), and grows once to readBuf when a read fills it or a
// frame needs it: a frame of the largest size gowrk accepts (it advertises
// HTTP/2's default SETTINGS_MAX_FRAME_SIZE, 16 KiB) plus the start of the
// next. At -c1000 that keeps 4 MB of buffers, not 32.
const (
	minReadBuf = 4 << 10
	readBuf    = 32 << 10
)

// maxFrameIn is the largest frame payload gowrk accepts (RFC 9113's
// default SETTINGS_MAX_FRAME_SIZE, which gowrk does not raise).
const maxFrameIn = 16384

// MaxHeaderList bounds a response's header block, in bytes: gowrk
// advertises it as SETTINGS_MAX_HEADER_LIST_SIZE, and a block whose frames
// (HEADERS and CONTINUATION, 9-byte frame headers included) or whose
// decoded fields (RFC 9113's size: name, value and 32 each) pass it ends
// the connection with ENHANCE_YOUR_CALM, a protocol error: a server cannot
// make gowrk buffer or decode without bound (endless CONTINUATION frames,
// an HPACK bomb).
const MaxHeaderList = 64 << 10

// MaxControlFrames is how many PING and SETTINGS frames, each of which
// gowrk must answer, a server may send with no progress on any stream in
// between; past it the connection ends with ENHANCE_YOUR_CALM (a flood).
const MaxControlFrames = 1000

// maxStreamID is the last client stream ID; past it a connection is
// drained and replaced.
const maxStreamID = 1<<31 - 1

// session is one TCP (or TLS) connection speaking HTTP/2: its framer,
// HPACK state, read buffer and the server's settings. It is used by one
// goroutine; only its net.Conn's deadline is touched from another (to
// interrupt a read at the stop).
type session struct {
	nc   net.Conn
	fr   *http2.Framer
	out  outBuf // frames written, flushed once per loop turn
	enc  *hpack.Encoder
	hbuf bytes.Buffer // the encoder's output
	dec  *statusDecoder

	rbuf       []byte
	rpos, rend int

	// The server's settings.
	maxStreams  uint32
	maxFrameOut uint32
	peerWindow  int64 // SETTINGS_INITIAL_WINDOW_SIZE: each new stream's send window
	connSend    int64 // the connection's send window
	tableSize   uint32

	// The request's header block: first is sent on the first request of the
	// connection (it fills the dynamic table), then again every later one.
	first, again []byte
	sentFirst    bool
	reencode     bool // the server's table shrank: encode the blocks again
	scriptEnc    bool // enc is a script's, encoding each request as it goes

	// full decodes every response header block when a script's
	// response() wants the headers; fieldsIn collects a block's fields.
	full     *hpack.Decoder
	fieldsIn []byte

	nextID     uint32
	open       int  // streams open
	opened     int  // streams opened and not given back to a GOAWAY (requests carried)
	goingAway  bool // a GOAWAY came (or the IDs ran out): no new streams
	lastID     uint32
	completed  int // responses completed on the session
	goAwayCode http2.ErrCode

	// Parse state: a DATA payload being skipped, a header block awaiting
	// CONTINUATION, and the :status the decoder found.
	skip, skipData int
	skipEnd        bool
	skipStream     uint32
	contStream     uint32
	contEnd        bool
	hblock         int // wire bytes of the header block being read (frame headers included)

	ctrl   int           // PING and SETTINGS frames since the last progress on a stream
	zeroAt time.Duration // since when the server allows no stream (an offset from the start); -1: it allows some

	connRecv int64 // DATA bytes received since the last connection WINDOW_UPDATE
	in, out0 int64 // wire bytes not yet credited to a slot
	deadline time.Time
	closed   bool
	// raw: an event loop owns the session (loop_linux.go): it reads and
	// writes the socket fd itself, registered in the epoll set ep, and
	// wpos is where the frames not yet written start in out.
	raw    bool
	fd, ep int
	wpos   int
	// phases is how long the session's connection took to open (dial).
	phases loadgen.ConnPhases
}

// outBuf is the framer's writer: frames accumulate and go out in one write.
type outBuf struct{ b []byte }

func (o *outBuf) Write(p []byte) (int, error) {
	o.b = append(o.b, p...)
	return len(p), nil
}

func newSession() *session {
	s := &session{rbuf: make([]byte, minReadBuf), dec: &statusDecoder{}}
	s.fr = http2.NewFramer(&s.out, nil)
	return s
}

// dial opens a connection and runs HTTP/2's handshake: the preface, gowrk's
// SETTINGS (push off, the stream window) and connection window, then the
// server's SETTINGS, acknowledged. s, when not nil, is a finished session
// whose buffers are reused; addr, when set, is dialled instead of the
// target's (a script's thread.addr). A server that does not speak HTTP/2 is a
// *loadgen.FatalError.
func (e *Engine) dial(ctx context.Context, s *session, addr string) (*session, error) {
	if addr == "" {
		addr = e.route.Addr()
	}
	raw, took, err := e.route.DialTimed(ctx, addr)
	if err != nil {
		return nil, err
	}
	if s == nil {
		s = newSession()
	}
	s.reset(raw)
	s.phases.Connect = took
	hctx, cancel := context.WithTimeout(ctx, e.opts.DialTimeout)
	defer cancel()
	if e.tls != nil {
		t0 := time.Now()
		tc, err := netdial.Handshake(hctx, raw, e.tls)
		s.phases.TLS = time.Since(t0)
		if err != nil {
			raw.Close()
			if np := (*netdial.NoProtocolError)(nil); errors.As(err, &np) {
				return nil, &loadgen.FatalError{Err: fmt.Errorf("%s did not negotiate HTTP/2: ALPN offered h2, the server refused it", e.target.URL.Host), Fix: loadgen.FixTryHTTP1}
			}
			return nil, err
		}
		if p := tc.ConnectionState().NegotiatedProtocol; p != "h2" {
			raw.Close()
			if p == "" {
				p = "none"
			}
			return nil, &loadgen.FatalError{Err: fmt.Errorf("%s did not negotiate HTTP/2: ALPN offered h2, the server chose %s", e.target.URL.Host, p), Fix: loadgen.FixDropHTTP2}
		}
		s.nc = tc
	}
	if err := e.handshake(hctx, s); err != nil {
		s.close()
		var fresh goAwayFresh
		// A reset is no answer at all (a server resetting new
		// connections), not proof that the server speaks no HTTP/2.
		// Nor is a deadline that passed on the preface's write or with
		// the server's answer unread: it times the dial out, as a slow
		// accept does.
		if ctx.Err() != nil || e.tls != nil || errors.Is(err, errZeroStreams) || errors.As(err, &fresh) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, os.ErrDeadlineExceeded) {
			return nil, err
		}
		return nil, &loadgen.FatalError{Err: fmt.Errorf("%s does not speak HTTP/2 over cleartext (h2c with prior knowledge): %v", e.target.URL.Host, err), Fix: loadgen.FixDropH2C}
	}
	e.noteInfo(s)
	return s, nil
}

func (s *session) reset(nc net.Conn) {
	*s = session{nc: nc, fr: s.fr, out: outBuf{b: s.out.b[:0]}, hbuf: s.hbuf, rbuf: s.rbuf, dec: s.dec,
		first: s.first[:0], again: s.again[:0], fieldsIn: s.fieldsIn[:0],
		maxStreams: 1<<31 - 1, maxFrameOut: 16384, peerWindow: minWindow, connSend: minWindow, tableSize: 4096, nextID: 1, zeroAt: -1,
		phases: loadgen.NoPhases}
	s.hbuf.Reset()
	if s.dec == nil {
		s.dec = &statusDecoder{}
	}
	s.dec.reset()
}

var (
	errNoSettings  = errors.New("the server's first frame was not SETTINGS")
	errHTTP1       = errors.New("it answered the preface in HTTP/1.x")
	errZeroStreams = errors.New("the server allows 0 concurrent streams (SETTINGS_MAX_CONCURRENT_STREAMS=0)")
)

// handshake writes the client's preface and reads the server's SETTINGS;
// a server that allows no stream must allow one within the handshake's
// deadline (awaitStream).
func (e *Engine) handshake(ctx context.Context, s *session) error {
	wait := e.opts.DialTimeout // the handshake's bound, for messages
	if dl, ok := ctx.Deadline(); ok {
		s.nc.SetDeadline(dl)
		if d := time.Until(dl); d < wait-wait/8 {
			wait = d.Round(time.Millisecond) // the run ends first
		}
	}
	stop := context.AfterFunc(ctx, func() { s.nc.SetDeadline(aLongTimeAgo) })
	defer stop()
	s.out.b = append(s.out.b, http2.ClientPreface...)
	s.fr.WriteSettings(
		http2.Setting{ID: http2.SettingEnablePush, Val: 0},
		http2.Setting{ID: http2.SettingInitialWindowSize, Val: e.opts.Window},
		http2.Setting{ID: http2.SettingMaxConcurrentStreams, Val: 0}, // push is off: no server-initiated streams
		http2.Setting{ID: http2.SettingMaxHeaderListSize, Val: MaxHeaderList},
	)
	if w := e.opts.ConnWindow; w > minWindow {
		s.fr.WriteWindowUpdate(0, w-minWindow)
	}
	if err := s.flush(); err != nil {
		return err
	}
	if err := s.readFrame(true); err != nil {
		// A deadline that passed with the server's bytes waiting unread
		// is this process's lateness (a starved machine), a timeout like
		// any dial's; with nothing from the server, it is its silence.
		if errors.Is(err, os.ErrDeadlineExceeded) && s.rend == 0 && !pending(s.nc) {
			return fmt.Errorf("no SETTINGS frame within %s", wait)
		}
		return err
	}
	h := s.rbuf[:9]
	if http2.FrameType(h[3]) != http2.FrameSettings || h[4]&byte(http2.FlagSettingsAck) != 0 {
		return errNoSettings
	}
	n := frameLen(h)
	if _, err := s.applySettings(s.rbuf[9 : 9+n]); err != nil {
		return err
	}
	s.rpos = 9 + n
	s.fr.WriteSettingsAck()
	if err := awaitStream(s, wait); err != nil {
		return err
	}
	s.prepare(e.fields)
	if err := s.flush(); err != nil {
		return err
	}
	s.nc.SetDeadline(time.Time{})
	return nil
}

// readFrame reads until a whole frame is at s.rpos; first says it is the
// server's first, which must be SETTINGS. Frames after it stay in the
// buffer for the connection's parser.
func (s *session) readFrame(first bool) error {
	for s.rend-s.rpos < 9 || s.rend-s.rpos < 9+frameLen(s.rbuf[s.rpos:]) {
		if first && s.rend >= 5 && string(s.rbuf[:5]) == "HTTP/" {
			return errHTTP1
		}
		if s.rend-s.rpos >= 9 {
			if first && http2.FrameType(s.rbuf[3]) != http2.FrameSettings {
				return errNoSettings
			}
			if frameLen(s.rbuf[s.rpos:]) > maxFrameIn {
				return connError{http2.ErrCodeFrameSize, "a frame larger than SETTINGS_MAX_FRAME_SIZE"}
			}
		}
		if s.rend == len(s.rbuf) {
			if s.rpos > 0 {
				s.rend = copy(s.rbuf, s.rbuf[s.rpos:s.rend])
				s.rpos = 0
			}
			s.grow()
		}
		n, err := s.nc.Read(s.rbuf[s.rend:])
		s.rend += n
		s.in += int64(n)
		if err != nil {
			if first && s.rend >= 5 && string(s.rbuf[:5]) == "HTTP/" {
				return errHTTP1
			}
			return err
		}
	}
	return nil
}

// awaitStream waits, within the handshake's deadline, until a server whose
// SETTINGS_MAX_CONCURRENT_STREAMS is 0 raises it: such a connection can
// carry no request, and is a failed connect if it does not. It answers
// SETTINGS and PING meanwhile; a GOAWAY ends the wait.
func awaitStream(s *session, wait time.Duration) error {
	for s.maxStreams == 0 {
		if err := s.flush(); err != nil {
			return err
		}
		if err := s.readFrame(false); err != nil {
			if errors.Is(err, os.ErrDeadlineExceeded) {
				return fmt.Errorf("%w and did not raise it within %s", errZeroStreams, wait)
			}
			return err
		}
		h := s.rbuf[s.rpos : s.rpos+9]
		n := frameLen(h)
		p := s.rbuf[s.rpos+9 : s.rpos+9+n]
		s.rpos += 9 + n
		ack := h[4]&1 != 0 // SETTINGS and PING share the ACK flag
		switch http2.FrameType(h[3]) {
		case http2.FrameSettings:
			if !ack {
				if _, err := s.applySettings(p); err != nil {
					return err
				}
				s.fr.WriteSettingsAck()
			}
		case http2.FramePing:
			if !ack && len(p) == 8 {
				s.fr.WritePing(true, [8]byte(p))
			}
		case http2.FrameGoAway:
			if len(p) >= 8 {
				return goAwayFresh(binary.BigEndian.Uint32(p[4:]))
			}
			return goAwayFresh(http2.ErrCodeProtocol)
		}
	}
	return nil
}

// grow moves the unparsed bytes into a buffer of readBuf bytes.
func (s *session) grow() {
	if len(s.rbuf) >= readBuf {
		return
	}
	nb := make([]byte, readBuf)
	s.rend = copy(nb, s.rbuf[s.rpos:s.rend])
	s.rpos, s.rbuf = 0, nb
}

var aLongTimeAgo = time.Unix(1, 0)

func frameLen(h []byte) int { return int(h[0])<<16 | int(h[1])<<8 | int(h[2]) }

// applySettings applies a SETTINGS payload; delta is the change of the
// stream send window, for the streams already open.
func (s *session) applySettings(p []byte) (delta int64, err error) {
	if len(p)%6 != 0 {
		return 0, connError{http2.ErrCodeFrameSize, "SETTINGS with a length that is not a multiple of 6"}
	}
	for ; len(p) > 0; p = p[6:] {
		id, v := http2.SettingID(binary.BigEndian.Uint16(p)), binary.BigEndian.Uint32(p[2:])
		switch id {
		case http2.SettingHeaderTableSize:
			if v < s.tableSize {
				s.tableSize = v
				s.reencode = true // the next block announces the smaller table
			}
		case http2.SettingMaxConcurrentStreams:
			s.maxStreams = v
		case http2.SettingInitialWindowSize:
			if v > MaxWindow {
				return 0, connError{http2.ErrCodeFlowControl, "SETTINGS_INITIAL_WINDOW_SIZE above 2^31-1"}
			}
			delta += int64(v) - s.peerWindow
			s.peerWindow = int64(v)
		case http2.SettingMaxFrameSize:
			if v < 16384 || v > 1<<24-1 {
				return 0, connError{http2.ErrCodeProtocol, "SETTINGS_MAX_FRAME_SIZE out of range"}
			}
			s.maxFrameOut = v
		}
	}
	return delta, nil
}

// prepare (re)encodes the request's header block for the server's table
// size. Before any block was sent the server's table is empty, and so is a
// new encoder's; after, a smaller size evicts the same entries on both sides.
func (s *session) prepare(fields []hpack.HeaderField) {
	if !s.sentFirst {
		s.enc = hpack.NewEncoder(&s.hbuf)
	}
	if s.tableSize < 4096 {
		s.enc.SetMaxDynamicTableSize(s.tableSize)
	}
	s.reencode = false
	s.encodeRequest(fields)
}

// encodeRequest encodes the request's header block twice: the first block
// adds the fields to the dynamic table, the second refers to them and is
// then sent for every request (the table no longer changes). Fields that
// do not fit the table are sent without indexing, so that the second block
// stays valid.
func (s *session) encodeRequest(fields []hpack.HeaderField) {
	enc := func() []byte {
		s.hbuf.Reset()
		for _, f := range fields {
			s.enc.WriteField(f)
		}
		return append([]byte(nil), s.hbuf.Bytes()...)
	}
	s.first = enc()
	s.again = enc()
	if third := enc(); !bytes.Equal(third, s.again) {
		// The fields overflow the table: evictions change it each time.
		s.enc.SetMaxDynamicTableSize(0)
		s.first = enc()
		s.again = enc()
	}
	s.sentFirst = false
}

// block is the header block for the next request.
func (s *session) block() []byte {
	if !s.sentFirst {
		s.sentFirst = true
		return s.first
	}
	return s.again
}

// flush writes the frames gathered since the last flush; under an event
// loop, as much as the socket takes now (the rest when it is writable).
func (s *session) flush() error {
	if s.raw {
		return s.flushRaw()
	}
	if len(s.out.b) == 0 {
		return nil
	}
	n, err := s.nc.Write(s.out.b)
	s.out0 += int64(n)
	s.out.b = s.out.b[:0]
	return err
}

func (s *session) close() {
	if s != nil && !s.closed {
		s.closed = true
		s.release()
		s.nc.Close()
	}
}

// connError is a connection error: gowrk sends GOAWAY with code and the
// connection's streams fail as protocol errors.
type connError struct {
	code http2.ErrCode
	what string
}

func (e connError) Error() string {
	return "HTTP/2 connection error " + e.code.String() + ": " + e.what
}
