package cli

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"os"
	"strconv"
	"strings"

	"github.com/gowrk/gowrk/loadgen"
	"github.com/gowrk/gowrk/report"
	"github.com/spf13/pflag"
)

// The transports: how a run's connections reach the server, from
// --unix-socket, --connect-to, --proxy, --local-addr and --no-keepalive.

// routeFlags are the transport flags' values before they become a Route.
type routeFlags struct {
	unix        string
	connectTo   []string
	proxy       string
	local       string
	noKeepAlive bool
}

func addRouteFlags(fs *pflag.FlagSet, r *routeFlags) {
	fs.StringVar(&r.unix, "unix-socket", "", "connect over the unix domain socket at `PATH` instead of TCP; the URL still gives Host and path (HTTP/1.1, h2c, TLS)")
	fs.StringArrayVar(&r.connectTo, "connect-to", nil, "send connections for HOST:PORT to ADDR:PORT instead (`HOST:PORT:ADDR:PORT`, curl's form; an empty HOST or PORT matches any; repeatable, the first match wins), keeping Host and TLS SNI")
	fs.StringVar(&r.proxy, "proxy", "", "send the load through the HTTP proxy at `URL` (http://[user:pass@]host:port): absolute-form requests for http://, a CONNECT tunnel for https:// and HTTP/2; the proxy is part of what is measured")
	fs.StringVar(&r.local, "local-addr", "", "spread connections over these source addresses, `ADDR[,ADDR...]`, in turn (each with its own ephemeral ports: past 64k connections to one server)")
	fs.BoolVar(&r.noKeepAlive, "no-keepalive", false, "open a new connection for every request (Connection: close), as clients without keep-alive do; HTTP/1.1 only")
}

// routeOptions turns the transport flags into the target's Route and
// keep-alive, and refuses what cannot go together. It runs once the
// protocol and engine are chosen.
func routeOptions(o *options, r *routeFlags) error {
	t := &o.cfg.Target
	rt := &t.Route
	if r.unix != "" {
		if fi, err := os.Stat(r.unix); err != nil {
			return fmt.Errorf("--unix-socket %q: %v; want the path of a listening unix socket", r.unix, errors.Unwrap(err))
		} else if fi.Mode()&os.ModeSocket == 0 {
			return fmt.Errorf("--unix-socket %q: not a socket; want the path of a listening unix socket", r.unix)
		}
		rt.Unix = r.unix
	}
	for _, s := range r.connectTo {
		m, err := parseConnectTo(s)
		if err != nil {
			return err
		}
		rt.ConnectTo = append(rt.ConnectTo, m)
	}
	if r.proxy != "" {
		u, err := parseProxy(r.proxy)
		if err != nil {
			return err
		}
		rt.Proxy = u
	}
	if r.local != "" {
		for _, a := range strings.Split(r.local, ",") {
			ip, err := netip.ParseAddr(strings.TrimSpace(a))
			if err != nil {
				return fmt.Errorf("--local-addr %q: want IP addresses separated by commas, such as 127.0.0.2,127.0.0.3", a)
			}
			rt.Local = append(rt.Local, ip.Unmap())
		}
	}
	t.NoKeepAlive = r.noKeepAlive
	if err := routeConflicts(o, r); err != nil {
		return err
	}
	if !rt.Plain() && !o.quiet {
		o.notes = append(o.notes, "connecting to "+rt.Describe(t.URL)+routeNote(rt))
	}
	return nil
}

// routeNote is what the start note adds about a route: its source
// addresses, and that a proxy's time is in the figures.
func routeNote(rt *loadgen.Route) string {
	var note string
	if len(rt.Local) > 0 {
		from := make([]string, len(rt.Local))
		for i, a := range rt.Local {
			from[i] = a.String()
		}
		note = " from " + strings.Join(from, ", ")
	}
	if rt.Proxy != nil {
		note += ": the proxy is part of what is measured"
	}
	return note
}

// routeConflicts refuses the transport flags that cannot go together, or
// with the protocol, engine or script chosen.
func routeConflicts(o *options, r *routeFlags) error {
	rt := &o.cfg.Target.Route
	given := 0
	for _, g := range []bool{rt.Unix != "", len(rt.ConnectTo) > 0, rt.Proxy != nil} {
		if g {
			given++
		}
	}
	if given > 1 {
		return errors.New("--unix-socket, --connect-to and --proxy each say where connections go: give one of them")
	}
	if o.http3 && (given > 0 || len(rt.Local) > 0 || r.noKeepAlive) {
		return errors.New("--unix-socket, --connect-to, --proxy, --local-addr and --no-keepalive route TCP connections; --http3 runs over UDP: drop them, or drop --http3")
	}
	if rt.Unix != "" && len(rt.Local) > 0 {
		return errors.New("--local-addr applies to TCP, not to --unix-socket")
	}
	if len(rt.Local) > 0 && rt.Proxy == nil {
		ip := net.ParseIP(o.cfg.Target.URL.Hostname())
		for _, a := range rt.Local {
			if ip != nil && (ip.To4() != nil) != a.Is4() {
				return fmt.Errorf("--local-addr %s: not of the target's address family (%s)", a, ip)
			}
		}
	}
	if r.noKeepAlive {
		if o.engine == "h2" {
			return errors.New("--no-keepalive is for HTTP/1.1: HTTP/2 multiplexes its requests on one connection, and a connection per request would measure only handshakes; drop --http2, or use -c to set the connections")
		}
		if o.cfg.Pipeline > 1 {
			return errors.New("--no-keepalive and -P/--pipeline: a pipeline needs a connection that stays open; give one of them")
		}
	}
	if rt.Proxy != nil && o.script != nil && o.engine != "h2" && o.cfg.Target.URL.Scheme == "http" {
		return errors.New("--proxy with --script over http://: a script writes its requests in origin form, which a proxy does not take; use an https:// URL (tunnelled) or run without the script")
	}
	return nil
}

// parseConnectTo reads curl's HOST:PORT:ADDR:PORT (an IPv6 ADDR or HOST
// in brackets).
func parseConnectTo(s string) (loadgen.ConnectTo, error) {
	bad := fmt.Errorf("--connect-to %q: want HOST:PORT:ADDR:PORT, e.g. example.com:443:127.0.0.1:8443 (IPv6 in brackets; an empty HOST or PORT matches any)", s)
	parts, rest := make([]string, 0, 4), s
	for len(parts) < 4 {
		var p string
		if strings.HasPrefix(rest, "[") {
			end := strings.IndexByte(rest, ']')
			if end < 0 {
				return loadgen.ConnectTo{}, bad
			}
			p, rest = rest[1:end], rest[end+1:]
			if rest != "" && rest[0] != ':' {
				return loadgen.ConnectTo{}, bad
			}
			rest = strings.TrimPrefix(rest, ":")
		} else if i := strings.IndexByte(rest, ':'); i >= 0 && len(parts) < 3 {
			p, rest = rest[:i], rest[i+1:]
		} else {
			p, rest = rest, ""
		}
		parts = append(parts, p)
		if rest == "" && len(parts) < 4 {
			return loadgen.ConnectTo{}, bad
		}
	}
	for _, port := range []string{parts[1], parts[3]} {
		if n, err := strconv.Atoi(port); port != "" && (err != nil || n < 1 || n > 65535) {
			return loadgen.ConnectTo{}, bad
		}
	}
	if parts[2] == "" && parts[3] == "" {
		return loadgen.ConnectTo{}, bad
	}
	return loadgen.ConnectTo{Host: parts[0], Port: parts[1], ToHost: parts[2], ToPort: parts[3]}, nil
}

// parseProxy reads --proxy: an http:// URL with a host and port (a
// scheme-less host:port is taken as http://). Its credentials are never
// shown, in an error or a report.
func parseProxy(s string) (*url.URL, error) {
	if !strings.Contains(s, "://") {
		s = "http://" + s
	}
	shown := report.RedactURLText(s)
	u, err := url.Parse(s)
	if err != nil || u.Hostname() == "" {
		return nil, fmt.Errorf("--proxy %q: want http://[user:pass@]host:port", shown)
	}
	if u.Scheme != "http" {
		return nil, fmt.Errorf("--proxy %q: scheme %q: gowrk speaks to HTTP proxies (http://); an https:// target goes through one in a CONNECT tunnel", shown, u.Scheme)
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return nil, fmt.Errorf("--proxy %q: port %s; want 1 to 65535", shown, p)
		}
	}
	if u.Port() == "" {
		u.Host = net.JoinHostPort(u.Hostname(), "1080") // curl's default proxy port
	}
	if (u.Path != "" && u.Path != "/") || u.RawQuery != "" {
		return nil, fmt.Errorf("--proxy %q: a proxy is a host and port, with no path or query", shown)
	}
	return u, nil
}
