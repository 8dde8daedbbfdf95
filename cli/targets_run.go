package cli

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/gowrk/gowrk/loadgen"
	"github.com/gowrk/gowrk/loadgen/h1"
	"github.com/spf13/pflag"
)

// targetsFirst reads --targets' file, when given, before the URL is
// parsed: without a URL argument the first target's URL stands for it.
func targetsFirst(p *parsed, args []string) ([]fileTarget, []string, error) {
	if p.targets.file == "" {
		return nil, args, nil
	}
	ts, err := readTargets(p.targets.file)
	if err != nil {
		return nil, nil, err
	}
	if len(args) == 0 {
		args = []string{ts[0].u.String()}
	}
	return ts, args, nil
}

// targetOptions builds the run's Targets from the file's targets, once the
// protocol, engine and route are chosen: each one's request with the -H
// headers under its own, and refuses what does not go with them.
func targetOptions(o *options, p *parsed, fs *pflag.FlagSet, ts []fileTarget) error {
	if ts == nil {
		if fs.Changed("targets-order") || fs.Changed("seed") {
			return errors.New("--targets-order and --seed pick among --targets; there is no --targets")
		}
		return nil
	}
	order, err := parseTargetOrder(p.targets.order)
	if err != nil {
		return err
	}
	if err := targetConflicts(o, fs); err != nil {
		return err
	}
	t := &o.cfg.Target
	common := t.Headers
	names, wire, weights := make([]string, len(ts)), make([][]byte, len(ts)), make([]uint32, len(ts))
	of, firsts := numberOrigins(ts)
	if !slices.ContainsFunc(ts, func(ft fileTarget) bool { return originKey(ft.u) == originKey(t.URL) }) {
		return fmt.Errorf("--targets %s: the URL argument %s://%s is on no target's origin; leave it out (the first target's stands for it) or give one of the targets' origins", p.targets.file, t.URL.Scheme, t.URL.Host)
	}
	if len(firsts) > 1 {
		if err := originOptions(o, p, fs, ts, firsts); err != nil {
			return err
		}
	}
	for i, ft := range ts {
		req := loadgen.Target{URL: ft.u, Method: ft.method, Headers: underHeaders(common, ft.headers), Body: ft.body, NoKeepAlive: t.NoKeepAlive}
		if wire[i], err = h1.BuildRequest(req); err != nil {
			return fmt.Errorf("--targets %s:%d: %v", p.targets.file, ft.line, err)
		}
		names[i], weights[i] = ft.name, ft.weight
		if i == 0 {
			t.URL, t.Method, t.Headers, t.Body = req.URL, req.Method, req.Headers, req.Body
		}
	}
	o.cfg.Targets, err = loadgen.NewTargets(names, wire, weights, order, p.targets.seed)
	if err == nil {
		err = o.cfg.Targets.SetOrigins(of)
	}
	if err != nil {
		return fmt.Errorf("--targets %s: %v", p.targets.file, strings.TrimPrefix(err.Error(), "targets: "))
	}
	if !o.quiet {
		o.notes = append(o.notes, fmt.Sprintf("%d targets from %s, %s", len(ts), p.targets.file, p.targets.order))
	}
	return nil
}

// targetConflicts refuses the flags that do not go with --targets.
func targetConflicts(o *options, fs *pflag.FlagSet) error {
	switch {
	case o.script != nil:
		return errors.New("--targets and --script both give the requests: give one of them")
	case o.cfg.Pipeline > 1:
		return errors.New("--targets with -P/--pipeline is not supported yet: each connection sends one target's request at a time; drop -P")
	case fs.Changed("method") || fs.Changed("body") || fs.Changed("body-file"):
		return errors.New("--targets gives each target's method and body: drop -m, --body and --body-file (-H headers go to every target)")
	case o.cfg.Target.Route.Proxy != nil && o.engine != "h2" && !o.http3 && o.cfg.Target.URL.Scheme == "http":
		return errors.New("--proxy with --targets over http:// is not supported yet (the targets' requests are in origin form); use an https:// URL (tunnelled)")
	}
	return nil
}

// underHeaders is the -H headers, less those a target sets itself, then
// the target's own.
func underHeaders(common, own []loadgen.Header) []loadgen.Header {
	out := make([]loadgen.Header, 0, len(common)+len(own))
	for _, c := range common {
		mine := false
		for _, h := range own {
			mine = mine || strings.EqualFold(h.Name, c.Name)
		}
		if !mine {
			out = append(out, c)
		}
	}
	return append(out, own...)
}

func parseTargetOrder(s string) (loadgen.TargetOrder, error) {
	switch s {
	case "round-robin":
		return loadgen.OrderRoundRobin, nil
	case "weighted":
		return loadgen.OrderWeighted, nil
	case "random":
		return loadgen.OrderRandom, nil
	}
	return 0, fmt.Errorf("--targets-order %q: want round-robin, weighted or random", s)
}

// targetThresholds refuses a --fail-on that names a target the run does
// not have: a typo would fail the run only after it.
func targetThresholds(o *options) error {
	for _, th := range o.thresholds {
		name := th.Target()
		if name == "" {
			continue
		}
		if o.cfg.Targets == nil {
			return fmt.Errorf("--fail-on %q names a target; there is no --targets", th.Expr)
		}
		if !slices.Contains(o.cfg.Targets.Names, name) {
			return fmt.Errorf("--fail-on %q: no target is named %q; the names are %s", th.Expr, name, strings.Join(o.cfg.Targets.Names, ", "))
		}
	}
	return nil
}
