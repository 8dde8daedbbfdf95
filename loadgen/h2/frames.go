package h2

import (
	"encoding/binary"
	"errors"

	"github.com/gowrk/gowrk/loadgen"
	"golang.org/x/net/http2"
)

// compact moves the unparsed tail of the read buffer to its front.
func (c *conn) compact() {
	s := c.s
	if s.rpos == s.rend {
		s.rpos, s.rend = 0, 0
		return
	}
	if s.rpos > 0 && (s.rend == len(s.rbuf) || len(s.rbuf)-s.rpos < 9+maxFrameIn) {
		s.rend = copy(s.rbuf, s.rbuf[s.rpos:s.rend])
		s.rpos = 0
	}
}

// parse handles every whole frame in the read buffer; a DATA payload is
// consumed as it arrives. An error is a connection error.
func (c *conn) parse() error {
	s := c.s
	for {
		avail := s.rend - s.rpos
		if s.skip > 0 {
			if avail == 0 {
				return nil
			}
			c.skipData(min(avail, s.skip))
			if s.skip > 0 {
				return nil
			}
			c.dataEnded()
			continue
		}
		if avail < 9 {
			return nil
		}
		h := s.rbuf[s.rpos : s.rpos+9]
		n := frameLen(h)
		typ, flags := http2.FrameType(h[3]), http2.Flags(h[4])
		sid := binary.BigEndian.Uint32(h[5:]) & (1<<31 - 1)
		if n > maxFrameIn {
			return connError{http2.ErrCodeFrameSize, "a frame larger than SETTINGS_MAX_FRAME_SIZE"}
		}
		if s.contStream != 0 && (typ != http2.FrameContinuation || sid != s.contStream) {
			return connError{http2.ErrCodeProtocol, "a header block interrupted before END_HEADERS"}
		}
		if typ == http2.FrameData {
			pad := 0
			need := 9
			if flags.Has(http2.FlagDataPadded) {
				if avail < 10 {
					return nil
				}
				need, pad = 10, int(s.rbuf[s.rpos+9])
				if n < 1 || pad > n-1 {
					return connError{http2.ErrCodeProtocol, "DATA padding longer than its payload"}
				}
			}
			if sid == 0 {
				return connError{http2.ErrCodeProtocol, "DATA on stream 0"}
			}
			s.rpos += need
			s.skip = n - (need - 9)
			s.skipData = s.skip - pad
			s.skipEnd = flags.Has(http2.FlagDataEndStream)
			s.skipStream = sid
			if err := c.dataStarted(sid, n); err != nil {
				return err
			}
			if s.skip == 0 {
				c.dataEnded()
			}
			continue
		}
		if avail < 9+n {
			if 9+n > len(s.rbuf)-s.rpos {
				s.grow()
			}
			return nil
		}
		p := s.rbuf[s.rpos+9 : s.rpos+9+n]
		s.rpos += 9 + n
		if err := c.frame(typ, flags, sid, p); err != nil {
			return err
		}
	}
}

// dataStarted accounts a DATA frame of n payload bytes against the
// receive windows, giving credit back in batches: a WINDOW_UPDATE once
// half of a window is used. DATA past a window gowrk advertised is a
// FLOW_CONTROL_ERROR (RFC 9113, 6.9.1): the server sees every credit
// gowrk counts, or less, so the check cannot fail a server that keeps to
// its windows.
func (c *conn) dataStarted(sid uint32, n int) error {
	s := c.s
	if s.connRecv+int64(n) > int64(c.e.opts.ConnWindow) {
		return errConnWindow
	}
	st := c.lookup(sid)
	if st != nil && st.recv+int64(n) > int64(c.e.opts.Window) {
		return errStreamWindow
	}
	s.connRecv += int64(n)
	if s.connRecv >= int64(c.e.opts.ConnWindow/2) {
		s.fr.WriteWindowUpdate(0, uint32(s.connRecv))
		s.connRecv = 0
	}
	if st != nil {
		s.ctrl = 0 // progress on a stream
		st.recv += int64(n)
		if st.recv >= int64(c.e.opts.Window/2) {
			s.fr.WriteWindowUpdate(sid, uint32(st.recv))
			st.recv = 0
		}
	}
	return nil
}

// skipData consumes k bytes of the DATA payload being read: counted, not
// copied.
func (c *conn) skipData(k int) {
	s := c.s
	body := min(k, s.skipData)
	s.skipData -= body
	s.skip -= k
	if st := c.lookup(s.skipStream); st != nil && body > 0 {
		st.slot.Payload(0, int64(body), 0, 0, c.now)
		if c.capture {
			st.keep(s.rbuf[s.rpos : s.rpos+body])
		}
	}
	s.rpos += k
}

func (c *conn) dataEnded() {
	s := c.s
	if !s.skipEnd {
		return
	}
	if st := c.lookup(s.skipStream); st != nil {
		c.complete(st)
	}
}

// complete records st's response.
func (c *conn) complete(st *stream) {
	if !st.headers {
		st.slot.Failed(loadgen.ClassProtocol, errNoHeaders, st.due, st.send, c.now)
	} else {
		st.slot.Completed(st.due, st.send, st.first, c.now, st.status, st.timer)
		if c.feed != nil {
			c.scriptResponse(st)
		}
	}
	if c.s.completed == 0 && !c.proven {
		c.carried()
	}
	c.s.completed++
	c.closeStream(st)
}

var (
	errNoHeaders   = errors.New("a response stream ended without a final HEADERS frame")
	errNoStatus    = errors.New("response headers without a valid :status")
	errCompression = connError{http2.ErrCodeCompression, "a response header block that does not decode (HPACK)"}
	errPush        = connError{http2.ErrCodeProtocol, "PUSH_PROMISE although gowrk sent SETTINGS_ENABLE_PUSH=0 (server push is refused)"}

	errHeaderBlock  = connError{http2.ErrCodeEnhanceYourCalm, "a response header block larger than 64 KiB (SETTINGS_MAX_HEADER_LIST_SIZE; endless CONTINUATION frames?)"}
	errHeaderList   = connError{http2.ErrCodeEnhanceYourCalm, "response headers that decode to more than 64 KiB (SETTINGS_MAX_HEADER_LIST_SIZE; an HPACK bomb?)"}
	errFlood        = connError{http2.ErrCodeEnhanceYourCalm, "more than 1000 PING or SETTINGS frames with no progress on any stream (a flood)"}
	errConnWindow   = connError{http2.ErrCodeFlowControl, "DATA beyond the connection's flow-control window"}
	errStreamWindow = connError{http2.ErrCodeFlowControl, "DATA beyond the stream's flow-control window"}
	errConnSendWin  = connError{http2.ErrCodeFlowControl, "WINDOW_UPDATE or SETTINGS_INITIAL_WINDOW_SIZE took a send window past 2^31-1"}
	errStreamSend   = errors.New("the server's WINDOW_UPDATE took the stream's send window past 2^31-1 (FLOW_CONTROL_ERROR)")
	errWindowZero   = errors.New("the server sent a WINDOW_UPDATE of 0 on the stream (PROTOCOL_ERROR)")
)

// resetError is the error of a stream the server reset.
type resetError http2.ErrCode

func (e resetError) Error() string {
	return "stream reset by the server (RST_STREAM " + http2.ErrCode(e).String() + ")"
}

// goAwayError is the error of a stream that a GOAWAY with an error code ended.
type goAwayError http2.ErrCode

func (e goAwayError) Error() string {
	return "the server sent GOAWAY " + http2.ErrCode(e).String()
}

// frame handles one whole frame other than DATA.
func (c *conn) frame(typ http2.FrameType, flags http2.Flags, sid uint32, p []byte) error {
	s := c.s
	switch typ {
	case http2.FrameHeaders:
		if sid == 0 {
			return connError{http2.ErrCodeProtocol, "HEADERS on stream 0"}
		}
		s.hblock = 9 + len(p) // the block's wire bytes, bounded by MaxHeaderList
		if flags.Has(http2.FlagHeadersPadded) {
			if len(p) < 1 || int(p[0]) > len(p)-1 {
				return connError{http2.ErrCodeProtocol, "HEADERS padding longer than its payload"}
			}
			p = p[1 : len(p)-int(p[0])]
		}
		if flags.Has(http2.FlagHeadersPriority) {
			if len(p) < 5 {
				return connError{http2.ErrCodeFrameSize, "HEADERS too short for its priority"}
			}
			p = p[5:]
		}
		s.dec.begin()
		s.contEnd = flags.Has(http2.FlagHeadersEndStream)
		return c.headerBlock(sid, p, flags.Has(http2.FlagHeadersEndHeaders))
	case http2.FrameContinuation:
		if s.contStream == 0 {
			return connError{http2.ErrCodeProtocol, "CONTINUATION without HEADERS"}
		}
		if s.hblock += 9 + len(p); s.hblock > MaxHeaderList {
			return errHeaderBlock
		}
		return c.headerBlock(sid, p, flags.Has(http2.FlagContinuationEndHeaders))
	case http2.FrameRSTStream:
		if len(p) != 4 || sid == 0 {
			return connError{http2.ErrCodeFrameSize, "a malformed RST_STREAM"}
		}
		if st := c.lookup(sid); st != nil {
			s.ctrl = 0 // progress on a stream
			st.slot.Failed(loadgen.ClassReset, resetError(binary.BigEndian.Uint32(p)), st.due, st.send, c.now)
			c.closeStream(st)
		}
	case http2.FrameSettings:
		if sid != 0 {
			return connError{http2.ErrCodeProtocol, "SETTINGS on a stream"}
		}
		if flags.Has(http2.FlagSettingsAck) {
			return nil
		}
		if s.ctrl++; s.ctrl > MaxControlFrames {
			return errFlood
		}
		delta, err := s.applySettings(p)
		if err != nil {
			return err
		}
		if delta != 0 {
			for i := range c.st {
				if st := &c.st[i]; st.id != 0 {
					if st.sendWin += delta; st.sendWin > MaxWindow {
						return errConnSendWin // RFC 9113, 6.9.2: a connection error
					}
				}
			}
			c.moreBody()
		}
		s.fr.WriteSettingsAck()
	case http2.FramePing:
		if len(p) != 8 || sid != 0 {
			return connError{http2.ErrCodeFrameSize, "a malformed PING"}
		}
		if !flags.Has(http2.FlagPingAck) {
			if s.ctrl++; s.ctrl > MaxControlFrames {
				return errFlood
			}
			s.fr.WritePing(true, [8]byte(p))
		}
	case http2.FrameGoAway:
		if len(p) < 8 || sid != 0 {
			return connError{http2.ErrCodeFrameSize, "a malformed GOAWAY"}
		}
		c.goAway(binary.BigEndian.Uint32(p)&(1<<31-1), http2.ErrCode(binary.BigEndian.Uint32(p[4:])))
	case http2.FrameWindowUpdate:
		if len(p) != 4 {
			return connError{http2.ErrCodeFrameSize, "a malformed WINDOW_UPDATE"}
		}
		incr := int64(binary.BigEndian.Uint32(p) & (1<<31 - 1))
		if sid == 0 {
			if incr == 0 {
				return connError{http2.ErrCodeProtocol, "WINDOW_UPDATE of 0 on the connection"}
			}
			if s.connSend += incr; s.connSend > MaxWindow {
				return errConnSendWin
			}
		} else if st := c.lookup(sid); st != nil {
			if st.sendWin += incr; incr == 0 || st.sendWin > MaxWindow {
				c.streamError(st, incr)
				return nil
			}
		}
		c.moreBody()
	case http2.FramePushPromise:
		return errPush
	}
	// PRIORITY and frame types gowrk does not know are ignored (RFC 9113, 4.1).
	return nil
}

// headerBlock feeds a header block fragment to the decoder (whatever the
// stream: the HPACK state is the connection's), and at END_HEADERS ends
// the block for its stream.
func (c *conn) headerBlock(sid uint32, frag []byte, end bool) error {
	s := c.s
	st := c.lookup(sid)
	if st != nil {
		st.slot.Payload(int64(len(frag)), 0, 0, 0, c.now)
		if st.first < 0 {
			st.first = c.now // the stream's first HEADERS: its response's first byte, at this read
		}
	}
	if err := s.dec.write(frag, end); err != nil {
		if err == errHeaderListSize {
			return errHeaderList
		}
		return errCompression
	}
	if c.capture {
		if err := c.keepHeaders(st, frag, end); err != nil {
			return errCompression
		}
	}
	if !end {
		s.contStream = sid
		return nil
	}
	s.contStream = 0
	if st == nil {
		return nil
	}
	s.ctrl = 0 // progress on a stream
	if !st.headers {
		switch {
		case s.dec.status >= 200:
			st.headers, st.status = true, s.dec.status
		case s.dec.status >= 100 && s.dec.status != 101:
			// An informational response (100, 103): the final one follows.
			if s.contEnd {
				c.s.fr.WriteRSTStream(sid, http2.ErrCodeProtocol)
				st.slot.Failed(loadgen.ClassProtocol, errNoHeaders, st.due, st.send, c.now)
				c.closeStream(st)
			}
			return nil
		default:
			c.s.fr.WriteRSTStream(sid, http2.ErrCodeProtocol)
			st.slot.Failed(loadgen.ClassProtocol, errNoStatus, st.due, st.send, c.now)
			c.closeStream(st)
			return nil
		}
	}
	if s.contEnd {
		c.complete(st) // no body, or trailers
	}
	return nil
}

// moreBody sends request body that waited for window.
func (c *conn) moreBody() {
	if len(c.e.body) == 0 && c.feed == nil {
		return
	}
	for i := range c.st {
		if st := &c.st[i]; st.id != 0 && st.bodyOff < len(st.body) {
			c.sendBody(st)
		}
	}
}

// goAway handles the server's GOAWAY: streams above last were not
// processed and are sent again on the next connection (counted nowhere);
// those up to last run to their end; no new stream opens here.
func (c *conn) goAway(last uint32, code http2.ErrCode) {
	s := c.s
	s.goingAway, s.lastID = true, last
	for i := range c.st {
		st := &c.st[i]
		if st.id == 0 || st.id <= last {
			continue
		}
		st.slot.Untake(1)
		s.opened--
		c.closeStream(st)
	}
	if code != http2.ErrCodeNo {
		s.goAwayCode = code
	}
}

// goAwayFresh is the end of a new connection by the server's GOAWAY before
// it processed any stream (last stream ID 0): the connection carried no
// request, and counts as a failed connect (so that a server refusing every
// connection cannot loop gowrk, which redials after the backoff).
type goAwayFresh http2.ErrCode

func (e goAwayFresh) Error() string {
	return "the server sent GOAWAY (" + http2.ErrCode(e).String() + ") on a new connection before taking any request"
}

// refusedFresh reports whether the session ended by a GOAWAY before it
// processed any stream.
func (s *session) refusedFresh() bool {
	return s.goingAway && s.lastID == 0 && s.completed == 0
}

// streamError ends st after the server's WINDOW_UPDATE of incr on it took
// its send window past 2^31-1 (FLOW_CONTROL_ERROR) or was 0
// (PROTOCOL_ERROR): RST_STREAM, and the request fails as a protocol error.
func (c *conn) streamError(st *stream, incr int64) {
	code, err := http2.ErrCodeFlowControl, errStreamSend
	if incr == 0 {
		code, err = http2.ErrCodeProtocol, errWindowZero
	}
	c.s.fr.WriteRSTStream(st.id, code)
	st.slot.Failed(loadgen.ClassProtocol, err, st.due, st.send, c.now)
	c.closeStream(st)
}
