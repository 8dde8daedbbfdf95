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
			c.dataStarted(sid, n)
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
// half of a window is used.
func (c *conn) dataStarted(sid uint32, n int) {
	s := c.s
	s.connRecv += int64(n)
	if s.connRecv >= int64(c.e.opts.ConnWindow/2) {
		s.fr.WriteWindowUpdate(0, uint32(s.connRecv))
		s.connRecv = 0
	}
	if st := c.lookup(sid); st != nil {
		st.recv += int64(n)
		if st.recv >= int64(c.e.opts.Window/2) {
			s.fr.WriteWindowUpdate(sid, uint32(st.recv))
			st.recv = 0
		}
	}
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
		st.slot.Completed(st.due, st.send, c.now, st.status, st.timer)
		if c.feed != nil {
			c.scriptResponse(st)
		}
	}
	c.s.completed++
	c.closeStream(st)
}

var (
	errNoHeaders   = errors.New("a response stream ended without a final HEADERS frame")
	errNoStatus    = errors.New("response headers without a valid :status")
	errCompression = connError{http2.ErrCodeCompression, "a response header block that does not decode (HPACK)"}
	errPush        = connError{http2.ErrCodeProtocol, "PUSH_PROMISE although gowrk sent SETTINGS_ENABLE_PUSH=0 (server push is refused)"}
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
		return c.headerBlock(sid, p, flags.Has(http2.FlagContinuationEndHeaders))
	case http2.FrameRSTStream:
		if len(p) != 4 || sid == 0 {
			return connError{http2.ErrCodeFrameSize, "a malformed RST_STREAM"}
		}
		if st := c.lookup(sid); st != nil {
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
		delta, err := s.applySettings(p)
		if err != nil {
			return err
		}
		if delta != 0 {
			for i := range c.st {
				if st := &c.st[i]; st.id != 0 {
					st.sendWin += delta
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
			s.connSend += incr
		} else if st := c.lookup(sid); st != nil {
			st.sendWin += incr
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
	}
	if err := s.dec.write(frag, end); err != nil {
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
		st.slot.Untake(1, false)
		if s.completed == 0 {
			// A new connection that takes nothing: a connect error, so that
			// a server refusing everything cannot loop the slot.
			st.slot.NotSentFresh(errRefusedAll)
		}
		c.closeStream(st)
	}
	if code != http2.ErrCodeNo {
		s.goAwayCode = code
	}
}

var errRefusedAll = errors.New("the server sent GOAWAY before completing any stream on a new connection")
