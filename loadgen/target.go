package loadgen

import (
	"crypto/tls"
	"net/url"
)

// Header is one request header line.
type Header struct {
	Name, Value string
}

// Target is the request template every connection sends, built once from the
// command line. Engines convert it once per connection into their own form.
type Target struct {
	// URL is absolute, with scheme http or https.
	URL *url.URL
	// Method is the request method, e.g. "GET".
	Method string
	// Headers are sent in order; a Host header replaces the one from URL.
	Headers []Header
	// Body is sent with every request; nil for none.
	Body []byte
	// TLS is the client configuration for https URLs; nil means Go's defaults
	// (certificates verified, server name from the URL).
	TLS *tls.Config
	// Route is how connections reach the server (a unix socket, a proxy,
	// another address, local addresses); zero: TCP to the URL's host.
	Route Route
	// NoKeepAlive opens a new connection for every request: the request
	// says Connection: close, and the connection is closed after its
	// response whatever the server says (Counts.Opened counts them).
	NoKeepAlive bool
}
