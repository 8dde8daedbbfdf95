package main

import (
	"errors"
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

// scriptThreads gives a dynamic script (setup, request, response, delay)
// one interpreter state per thread, as wrk does, after running setup and
// init: an error there is one line and exit 2, before any load. The hooks
// run on the event-loop engine, which drives each thread from one loop.
func scriptThreads(o *options, p *parsed) error {
	s := o.script
	if s == nil || !s.Dynamic() || o.cfg.Threads < 1 {
		return nil // (a bad -t is Validate's to report)
	}
	if o.engine != "loop" {
		s.Close()
		o.script = nil
		return errors.New("--script: setup(), request(), response() and delay() run on the event-loop engine (http://, HTTP/1.1) so far; over https:// or --http2 gowrk runs scripts that set wrk.method, wrk.path, wrk.headers and wrk.body and report in done()")
	}
	hooks, err := s.Threads(o.cfg.Threads, p.scriptArgs)
	if err != nil {
		s.Close()
		o.script = nil
		return err
	}
	o.cfg.Hooks = hooks
	return nil
}
