package cli

import (
	"context"
	"net/url"

	"github.com/gowrk/gowrk/loadgen"
	"github.com/gowrk/gowrk/luascript"
)

// scriptOptions loads -s's script before any load: a syntax error or an
// error in init is one line (file, line, message) and exit 2, and so is a
// top level or init that the watchdog stopped (after the run's length and
// luascript.Grace, or at once when ctx ends: gowrk was interrupted). The request
// it describes replaces the command line's method, path and query,
// headers and body, and is built once like any other.
func scriptOptions(ctx context.Context, o *options, p *parsed) error {
	t := &o.cfg.Target
	s, req, err := luascript.Load(ctx, p.script, p.scriptArgs, *t, o.cfg.Warmup+o.cfg.Duration)
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
// its interpreter states, after running setup and init in them: an error
// there is one line and exit 2, before any load. The event-loop engine
// drives a whole thread from one goroutine and takes one state per thread,
// as wrk has; the engines with a goroutine per connection (HTTP/1.1 over
// TLS or --engine goroutine, HTTP/2) take one per connection, so that no
// state is ever shared between goroutines.
func scriptThreads(o *options, p *parsed) error {
	s := o.script
	if s == nil || !s.Dynamic() || o.cfg.Threads < 1 || o.cfg.Connections < o.cfg.Threads {
		return nil // (bad -t or -c are Validate's to report)
	}
	n := o.cfg.Threads
	switch o.engine {
	case "loop":
	case "h3": // a goroutine per stream slot
		n = o.cfg.Connections * max(o.cfg.Streams, 1)
	default:
		n = o.cfg.Connections
	}
	hooks, err := s.Threads(n, p.scriptArgs)
	if err != nil {
		s.Close()
		o.script = nil
		return err
	}
	o.cfg.Hooks = hooks
	return nil
}

// runScripted is loadgen.Run with the script's watchdog armed over its
// hooks: one that has not returned luascript.Grace after the run's end (or
// after ctx ends: gowrk was interrupted) is stopped, which stops the run
// as any script error does (the report, one line, exit 1).
func runScripted(ctx context.Context, o *options, cfg loadgen.Config, eng loadgen.Engine) (*loadgen.Result, error) {
	if o.script != nil && cfg.Hooks != nil {
		defer o.script.WatchRun(ctx, cfg.Warmup+cfg.Duration)()
	}
	return loadgen.Run(ctx, cfg, eng)
}
