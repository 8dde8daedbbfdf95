package main

import (
	"net/url"

	"github.com/gowrk/gowrk/luascript"
)

// scriptOptions loads -s's script before any load: a syntax error or an
// error in init is one line (file, line, message) and exit 2. The request
// it describes replaces the command line's method, path and query,
// headers and body, and is built once like any other.
func scriptOptions(o *options, p *parsed) error {
	t := &o.cfg.Target
	s, req, err := luascript.Load(p.script, p.scriptArgs, *t)
	if err != nil {
		return err
	}
	ref, err := url.ParseRequestURI(req.Path)
	if err != nil {
		s.Close()
		return err
	}
	u := *t.URL
	u.Path, u.RawPath, u.RawQuery = ref.Path, ref.RawPath, ref.RawQuery
	t.URL = &u
	t.Method, t.Headers, t.Body = req.Method, req.Headers, req.Body
	o.script = s
	return nil
}
