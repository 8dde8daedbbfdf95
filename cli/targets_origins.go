package cli

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/gowrk/gowrk/loadgen"
	"github.com/spf13/pflag"
)

// Targets on many origins (scheme, host, port): each origin gets its own
// engine and connections (loadgen.Origins), -c per origin at most: plan
// slot i has a connection to each origin whose targets it carries
// (docs/targets.md says why).

// origin is one origin of a run's targets: the Target its engine is built
// for (its first target's URL, the run's route and TLS) and the engine.
type origin struct {
	target loadgen.Target
	engine string
}

// originKey names u's origin: scheme and host:port, the port defaulted.
func originKey(u *url.URL) string {
	return u.Scheme + "://" + loadgen.HostPort(u)
}

// numberOrigins numbers each target's origin, in order of first use.
func numberOrigins(ts []fileTarget) (of []int, firsts []int) {
	seen := map[string]int{}
	for i, ft := range ts {
		k := originKey(ft.u)
		n, ok := seen[k]
		if !ok {
			n = len(firsts)
			seen[k] = n
			firsts = append(firsts, i)
		}
		of = append(of, n)
	}
	return of, firsts
}

// originOptions sets up the origins of the targets (firsts: each one's
// first target) once the protocol, engine and route are chosen: each
// origin's engine, chosen as the run's is for its scheme, and the
// refusals of what cannot mix.
func originOptions(o *options, p *parsed, fs *pflag.FlagSet, ts []fileTarget, firsts []int) error {
	rt := &o.cfg.Target.Route
	if rt.Unix != "" {
		return fmt.Errorf("--unix-socket sends every connection to one socket; the targets of %s are on %d origins: give them one origin, or run gowrk once per origin", p.targets.file, len(firsts))
	}
	var names []string
	for _, i := range firsts {
		ft := ts[i]
		https := ft.u.Scheme == "https"
		at := fmt.Sprintf("--targets %s:%d: %s://%s", p.targets.file, ft.line, ft.u.Scheme, ft.u.Host)
		eng := o.engine
		switch {
		case o.http3 && !https:
			return fmt.Errorf("%s: --http3 needs https:// targets (QUIC always uses TLS)", at)
		case p.h2c && https:
			return fmt.Errorf("%s: --h2c is HTTP/2 over cleartext, for http:// targets; for a mix of http:// and https:// use --http2", at)
		case eng == "loop" && https && fs.Changed("engine"):
			return fmt.Errorf("%s: --engine loop speaks http:// only; leave --engine out (each origin then gets the engine of its scheme) or use --engine goroutine", at)
		case eng == "loop" && https:
			eng = "goroutine"
		case eng == "goroutine" && !https && !fs.Changed("engine") && loopAvailable:
			eng = "loop"
		}
		if rt.Proxy != nil && !https && eng != "h2" {
			return fmt.Errorf("%s: --proxy with --targets over http:// is not supported yet (the targets' requests are in origin form); use https:// targets (tunnelled)", at)
		}
		t := o.cfg.Target
		t.URL = ft.u
		o.origins = append(o.origins, origin{target: t, engine: eng})
		if !slices.Contains(names, eng) {
			names = append(names, eng)
		}
	}
	o.engine = strings.Join(names, "+")
	if !o.quiet {
		o.notes = append(o.notes, fmt.Sprintf("the targets are on %d origins, each with its own connections: up to %d to each (-c), %d in all at most", len(firsts), o.cfg.Connections, o.cfg.Connections*len(firsts)))
	}
	return nil
}

// originTLS gives each https:// origin the run's TLS configuration (nil:
// Go's defaults, the name from its URL); http:// origins none.
func originTLS(o *options, c *tls.Config) {
	for i := range o.origins {
		if o.origins[i].target.URL.Scheme == "https" {
			o.origins[i].target.TLS = c
		}
	}
}

// anyHTTPS says whether any origin of the run is https://.
func anyHTTPS(o *options) bool {
	return slices.ContainsFunc(o.origins, func(or origin) bool { return or.target.URL.Scheme == "https" })
}

// originEngines builds one engine per origin, as newEngine builds the
// run's, and makes them one (loadgen.Origins).
func originEngines(ctx context.Context, o *options) (loadgen.Engine, error) {
	var engs []loadgen.Engine
	for _, or := range o.origins {
		one := *o
		one.origins, one.engine = nil, or.engine
		one.cfg.Target = or.target
		e, err := newEngine(ctx, &one)
		if err != nil {
			return nil, err
		}
		engs = append(engs, e)
	}
	eng, err := loadgen.NewOrigins(engs)
	if err != nil {
		return nil, errors.New(userError(err))
	}
	return eng, nil
}
