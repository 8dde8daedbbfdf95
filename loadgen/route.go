package loadgen

import (
	"net"
	"net/netip"
	"net/url"
)

// Route says how a run's connections reach its target, when not by a
// plain TCP connection to the URL's host: a unix socket, another address
// for the URL's host:port, an HTTP proxy, and the local addresses to dial
// from. The zero Route is the plain one. Engines do not read it: they dial
// through loadgen/netdial, which reads it once when the engine is built.
type Route struct {
	// Unix is the path of a unix domain socket that every connection
	// opens instead of TCP; the URL still gives Host (and TLS's name).
	Unix string
	// ConnectTo send a host:port's connections to another address (curl's
	// --connect-to); the first that matches the URL applies. Host, TLS
	// server name and request stay the URL's.
	ConnectTo []ConnectTo
	// Proxy, when set, is an HTTP proxy (http://[user:pass@]host:port):
	// plain HTTP/1.1 requests go to it in absolute form; TLS and HTTP/2
	// go through a CONNECT tunnel to the origin. Its credentials are sent
	// as Proxy-Authorization and never shown.
	Proxy *url.URL
	// Local are the source addresses connections are spread over, in
	// turn, each bound without a port (IP_BIND_ADDRESS_NO_PORT) so that
	// every address has its own ephemeral ports.
	Local []netip.Addr
}

// ConnectTo is one --connect-to mapping: connections to Host:Port go to
// ToHost:ToPort instead. An empty Host or Port matches any; an empty
// ToHost or ToPort keeps the original's.
type ConnectTo struct {
	Host, Port     string
	ToHost, ToPort string
}

// Plain reports whether r is the zero Route: TCP to the URL's host.
func (r *Route) Plain() bool {
	return r.Unix == "" && len(r.ConnectTo) == 0 && r.Proxy == nil && len(r.Local) == 0
}

// Map returns where a connection to host:port goes under r's ConnectTo:
// the first mapping that matches (an empty Host or Port matches any),
// with an empty ToHost or ToPort keeping the original's; ok is false
// when none matches.
func (r *Route) Map(host, port string) (toHost, toPort string, ok bool) {
	for _, m := range r.ConnectTo {
		if (m.Host != "" && m.Host != host) || (m.Port != "" && m.Port != port) {
			continue
		}
		toHost, toPort = m.ToHost, m.ToPort
		if toHost == "" {
			toHost = host
		}
		if toPort == "" {
			toPort = port
		}
		return toHost, toPort, true
	}
	return host, port, false
}

// Describe names, for messages, what a connection to u dials under r:
// u's host, or the socket, the proxy (never its credentials) or the
// mapped address, with u's host beside it.
func (r *Route) Describe(u *url.URL) string {
	switch {
	case r.Unix != "":
		return "unix socket " + r.Unix + " (for " + u.Host + ")"
	case r.Proxy != nil:
		return "the proxy " + r.Proxy.Host + " (for " + u.Host + ")"
	}
	if host, port, err := net.SplitHostPort(HostPort(u)); err == nil {
		if h, p, ok := r.Map(host, port); ok {
			return net.JoinHostPort(h, p) + " (for " + u.Host + ")"
		}
	}
	return u.Host
}

// HostPort is u's host:port, the port defaulting to the scheme's (80 for
// http, 443 for https).
func HostPort(u *url.URL) string {
	port := u.Port()
	if port == "" {
		port = "80"
		if u.Scheme == "https" {
			port = "443"
		}
	}
	return net.JoinHostPort(u.Hostname(), port)
}
