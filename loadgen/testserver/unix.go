package testserver

import (
	"crypto/tls"
	"time"
)

// A server on a unix socket is reached at a path, not an address: its
// URL names localhost (which the test CA's certificates cover) and the
// client dials the path (loadgen.Route.Unix, Addr).

func unixURL(tls bool) string {
	if tls {
		return "https://localhost/"
	}
	return "http://localhost/"
}

// StartUnix starts the HTTP/1.1 test server with behaviour b on a new unix
// socket at path, over TLS with cfg unless nil. Addr is the path.
func StartUnix(b Behaviour, cfg *tls.Config, path string) (*Server, error) {
	s := &Server{b: b, start: time.Now()}
	s.tlsConf = cfg
	if err := s.listen(path, s.serve); err != nil {
		return nil, err
	}
	return s, nil
}

// StartH2Unix is StartUnix for the raw HTTP/2 server.
func StartH2Unix(b H2Behaviour, cfg *tls.Config, path string) (*H2Server, error) {
	s := &H2Server{b: b}
	s.tlsConf = cfg
	if err := s.listen(path, s.serve); err != nil {
		return nil, err
	}
	return s, nil
}
