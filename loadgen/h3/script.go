package h3

import (
	"bytes"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/gowrk/gowrk/loadgen"
	"github.com/gowrk/gowrk/loadgen/h1"
)

// A script's requests (loadgen.ScriptConn) under HTTP/3: request()'s
// HTTP/1.1 text is parsed and sent as HTTP/3, the method, the request
// target as :path, Host as :authority, the other headers as they are
// (connection-specific ones dropped, as for the command line's request).

// DoScript implements loadgen.ScriptConn.
func (s *stream) DoScript(raw []byte, keep bool, deadline time.Time, res *loadgen.Response) error {
	req, body, err := s.parse(raw)
	if err != nil {
		return &loadgen.FatalError{Err: err}
	}
	s.keep = keep
	s.khdr, s.kept = s.khdr[:0], s.kept[:0]
	return s.exchange(req, body, deadline, res)
}

// Kept implements loadgen.ScriptConn.
func (s *stream) Kept() (header, body []byte) { return s.khdr, s.kept }

// parse turns a script's HTTP/1.1 request into the target's under HTTP/3.
func (s *stream) parse(raw []byte) (*http.Request, []byte, error) {
	t := s.e.target
	var hs []loadgen.Header
	r, err := h1.ParseRequest(raw, func(name, value []byte) {
		hs = append(hs, loadgen.Header{Name: string(name), Value: string(value)})
	})
	if err != nil {
		return nil, nil, err
	}
	ref, err := url.ParseRequestURI(string(r.Target))
	if err != nil {
		return nil, nil, err
	}
	u := *t.URL
	u.Path, u.RawPath, u.RawQuery = ref.Path, ref.RawPath, ref.RawQuery
	t.URL, t.Method, t.Body, t.Headers = &u, string(r.Method), bytes.Clone(r.Body), hs
	req, err := buildRequest(t)
	return req, t.Body, err
}

// keepHeaders keeps resp's status line and header fields for response().
func (s *stream) keepHeaders(resp *http.Response) {
	s.khdr = append(s.khdr[:0], "HTTP/3 "+strconv.Itoa(resp.StatusCode)+"\r\n"...)
	for name, vs := range resp.Header {
		for _, v := range vs {
			s.khdr = append(append(append(append(s.khdr, name...), ": "...), v...), "\r\n"...)
		}
	}
}

// HooksPerConn implements loadgen.HookRunner.
func (e *Engine) HooksPerConn() bool { return true }

// HooksPerSlot implements loadgen.SlotHookRunner: each stream slot's
// worker has its own script thread.
func (e *Engine) HooksPerSlot() bool { return true }
