package h2

import (
	"errors"
	"time"

	"github.com/gowrk/gowrk/loadgen"
	"golang.org/x/net/http2"
)

// open sends slot i's request on a new stream.
func (c *conn) open(i int, due time.Duration, timer int64) {
	s, st := c.s, &c.st[i]
	id := s.nextID
	s.nextID += 2
	c.start(i, id, due, timer, c.e.body)
	block := s.block()
	body := c.e.body
	c.writeHeaders(id, block, len(body) == 0)
	st.slot.Payload(0, 0, int64(len(block)), 0, c.now)
	if len(body) > 0 {
		c.sendBody(st)
	}
}

// start opens stream id for slot i, keeping the slot's buffers.
func (c *conn) start(i int, id uint32, due time.Duration, timer int64, body []byte) {
	s, st := c.s, &c.st[i]
	*st = stream{slot: st.slot, id: id, due: due, send: c.now, first: -1, timer: timer, sendWin: s.peerWindow, body: body,
		sbuf: st.sbuf, kept: st.kept[:0], khdr: st.khdr[:0]}
	c.tab[(id>>1)&uint32(len(c.tab)-1)] = int32(i)
	s.open++
	s.opened++
	if c.limit >= 0 {
		c.wakeAt(c.now + c.limit)
	}
}

// writeHeaders writes a header block as HEADERS and, past the server's
// frame size, CONTINUATION frames.
func (c *conn) writeHeaders(id uint32, block []byte, endStream bool) {
	s := c.s
	max := int(s.maxFrameOut)
	frag := block
	if len(frag) > max {
		frag = block[:max]
	}
	s.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: frag, EndStream: endStream, EndHeaders: len(frag) == len(block)})
	for rest := block[len(frag):]; len(rest) > 0; {
		frag = rest[:min(len(rest), max)]
		rest = rest[len(frag):]
		s.fr.WriteContinuation(id, len(rest) == 0, frag)
	}
}

// sendBody sends as much of st's request body as the flow-control windows
// allow; the rest goes when the server's WINDOW_UPDATE comes.
func (c *conn) sendBody(st *stream) {
	s, body := c.s, st.body
	for st.bodyOff < len(body) && st.sendWin > 0 && s.connSend > 0 {
		n := min(int64(len(body)-st.bodyOff), st.sendWin, s.connSend, int64(s.maxFrameOut))
		chunk := body[st.bodyOff : st.bodyOff+int(n)]
		st.bodyOff += int(n)
		st.sendWin -= n
		s.connSend -= n
		s.fr.WriteData(st.id, st.bodyOff == len(body), chunk)
		st.slot.Payload(0, 0, 0, n, c.now)
	}
}

// lookup finds the slot with stream id open; nil when none has (a stream
// gowrk gave up on, or a bogus ID).
func (c *conn) lookup(id uint32) *stream {
	if id == 0 {
		return nil
	}
	if i := c.tab[(id>>1)&uint32(len(c.tab)-1)]; c.st[i].id == id {
		return &c.st[i]
	}
	for i := range c.st {
		if c.st[i].id == id {
			return &c.st[i]
		}
	}
	return nil
}

// closeStream ends st's stream (its outcome recorded by the caller).
func (c *conn) closeStream(st *stream) {
	st.id = 0
	c.s.open--
}

// expire abandons the streams past their timeout (RST_STREAM(CANCEL), the
// connection stays) and notes when the next one is due.
func (c *conn) expire() {
	if c.limit < 0 || c.s.open == 0 {
		return
	}
	for i := range c.st {
		st := &c.st[i]
		if st.id == 0 {
			continue
		}
		if c.now-st.send >= c.limit {
			c.s.fr.WriteRSTStream(st.id, http2.ErrCodeCancel)
			st.slot.Failed(loadgen.ClassTimeout, errTimedOut, st.due, st.send, c.now)
			c.closeStream(st)
			continue
		}
		c.wakeAt(st.send + c.limit)
	}
}

var errTimedOut = errors.New("i/o timeout")
