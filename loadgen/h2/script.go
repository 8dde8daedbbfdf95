package h2

import (
	"bytes"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/gowrk/gowrk/loadgen"
	"github.com/gowrk/gowrk/loadgen/h1"
	"golang.org/x/net/http2/hpack"
)

// A script's requests (loadgen.Hooks) under HTTP/2. Each connection has
// its own script thread (HooksPerConn): its goroutine is the only one that
// calls it. request()'s HTTP/1.1 text is parsed and sent as HTTP/2: the
// method, the request target as :path, Host as :authority, the other
// headers with lower-case names (connection-specific ones dropped, as
// RequestFields does for the command line's request), the body in DATA.
// Each request is HPACK-encoded on the connection's encoder as it goes
// out, so its header block is as small as the encoder's table makes it.
// Several requests returned at once go out on as many streams.

// HooksPerConn implements loadgen.HookRunner.
func (e *Engine) HooksPerConn() bool { return true }

// scriptEncoder gives a new session an encoder of its own for script
// requests (the handshake's prepared blocks are never sent), and passes a
// smaller table size the server announced on to it.
func (c *conn) scriptEncoder() {
	s := c.s
	if !s.scriptEnc {
		s.enc = hpack.NewEncoder(&s.hbuf)
		s.scriptEnc, s.reencode = true, s.tableSize < 4096
	}
	if s.reencode {
		s.enc.SetMaxDynamicTableSize(s.tableSize)
		s.reencode = false
	}
}

// openScript sends req, one HTTP/1.1 request from the script, on slot i's
// new stream.
func (c *conn) openScript(i int, due time.Duration, timer int64, req []byte) error {
	fields, reqBody, err := c.scriptFields(req)
	if err != nil {
		return err
	}
	s, st := c.s, &c.st[i]
	body := append(st.sbuf[:0], reqBody...)
	st.sbuf = body
	id := s.nextID
	s.nextID += 2
	c.start(i, id, due, timer, body)
	s.hbuf.Reset()
	for _, f := range fields {
		s.enc.WriteField(f)
	}
	block := s.hbuf.Bytes()
	c.writeHeaders(id, block, len(body) == 0)
	st.slot.Payload(0, 0, int64(len(block)), 0, c.now)
	if len(body) > 0 {
		c.sendBody(st)
	}
	return nil
}

// scriptReq is a parsed request: its fields and body.
type scriptReq struct {
	fields []hpack.HeaderField
	body   []byte
}

// scriptFields returns req's fields and body. A target's request
// (loadgen.Targets: the same bytes each time, never changed) is parsed
// once per connection and kept, so that sending it allocates nothing.
func (c *conn) scriptFields(req []byte) ([]hpack.HeaderField, []byte, error) {
	k := c.feed.Target()
	if k >= 0 && k < len(c.targets) && c.targets[k].fields != nil {
		return c.targets[k].fields, c.targets[k].body, nil
	}
	body, err := c.parseScript(req)
	if err != nil || k < 0 {
		return c.fields, body, err
	}
	for len(c.targets) <= k {
		c.targets = append(c.targets, scriptReq{})
	}
	c.targets[k] = scriptReq{fields: slices.Clone(c.fields), body: body}
	return c.targets[k].fields, body, nil
}

// parseScript parses req into c.fields and returns its body (within req).
func (c *conn) parseScript(req []byte) ([]byte, error) {
	t := c.e.target
	var hs []loadgen.Header
	r, err := h1.ParseRequest(req, func(name, value []byte) {
		hs = append(hs, loadgen.Header{Name: string(name), Value: string(value)})
	})
	if err != nil {
		return nil, err
	}
	ref, err := url.ParseRequestURI(string(r.Target))
	if err != nil {
		return nil, err
	}
	u := *t.URL
	u.Path, u.RawPath, u.RawQuery = ref.Path, ref.RawPath, ref.RawQuery
	t.URL, t.Method, t.Body = &u, string(r.Method), r.Body // (RequestFields adds its content-length)
	t.Headers = hs[:0:0]
	for _, h := range hs {
		if !equalFold(h.Name, "content-length") {
			t.Headers = append(t.Headers, h)
		}
	}
	scheme := "http"
	if c.e.tls != nil {
		scheme = "https"
	}
	c.fields = append(c.fields[:0], RequestFields(t, scheme)...)
	return r.Body, nil
}

func equalFold(a, b string) bool { return bytes.EqualFold([]byte(a), []byte(b)) }

// keepHeaders decodes a response header block fully for response(), on a
// decoder of the session's that sees every block (HPACK's state is the
// connection's); the final response's fields are kept on its stream, as
// "name: value" lines after a status line.
func (c *conn) keepHeaders(st *stream, frag []byte, end bool) error {
	s := c.s
	if s.full == nil {
		s.full = hpack.NewDecoder(4096, func(f hpack.HeaderField) {
			if len(s.fieldsIn) > MaxHeaderList {
				return // an HPACK bomb: the status decoder ends the connection at the block's end
			}
			s.fieldsIn = append(s.fieldsIn, f.Name...)
			s.fieldsIn = append(s.fieldsIn, ": "...)
			s.fieldsIn = append(s.fieldsIn, f.Value...)
			s.fieldsIn = append(s.fieldsIn, "\r\n"...)
		})
	}
	if _, err := s.full.Write(frag); err != nil {
		return err
	}
	if !end {
		return nil
	}
	err := s.full.Close()
	if st != nil && !st.headers && s.dec.status >= 200 {
		st.khdr = append(append(st.khdr[:0], "HTTP/2 "+strconv.Itoa(s.dec.status)+"\r\n"...), s.fieldsIn...)
	}
	s.fieldsIn = s.fieldsIn[:0]
	return err
}

// keep appends DATA payload to the stream's kept body.
func (st *stream) keep(b []byte) { st.kept = loadgen.KeepBody(st.kept, b) }

// scriptResponse hands st's response to response().
func (c *conn) scriptResponse(st *stream) {
	h := c.feed.Hooks
	if h.WantsResponse() {
		if err := h.Response(st.status, st.khdr, st.kept); err != nil {
			c.th.Abort(err)
			c.stop.Store(true)
			return
		}
	}
	if h.Stopped() {
		c.stop.Store(true)
	}
}

// addr is the address the connection dials: its script's thread.addr, or
// "" for the target's.
func (c *conn) addr() string {
	if c.feed != nil {
		return c.feed.Hooks.Addr()
	}
	return ""
}
