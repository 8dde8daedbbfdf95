// Package netdial holds what gowrk's engines share below HTTP: resolving
// the target once, dialling TCP, and the TLS client configuration and
// handshake errors.
package netdial

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/url"

	"github.com/gowrk/gowrk/loadgen"
)

// Resolve returns u's host as ip:port, looked up once (as wrk does) so that
// DNS is not part of any request. The default port follows the scheme.
func Resolve(ctx context.Context, u *url.URL) (string, error) {
	host, port := u.Hostname(), u.Port()
	if port == "" {
		port = "80"
		if u.Scheme == "https" {
			port = "443"
		}
	}
	if net.ParseIP(host) != nil {
		return net.JoinHostPort(host, port), nil
	}
	addrs, err := net.DefaultResolver.LookupIPAddr(ctx, host)
	if err != nil {
		var dnsErr *net.DNSError
		if errors.As(err, &dnsErr) {
			err = errors.New(dnsErr.Err)
		}
		return "", fmt.Errorf("cannot resolve host %q: %v", host, err)
	}
	if len(addrs) == 0 {
		return "", fmt.Errorf("cannot resolve host %q: no addresses", host)
	}
	return net.JoinHostPort(addrs[0].IP.String(), port), nil
}

// TLSConfig returns the client TLS configuration for t, offering alpn. The
// server name defaults to the URL's host.
func TLSConfig(t loadgen.Target, alpn ...string) *tls.Config {
	c := &tls.Config{}
	if t.TLS != nil {
		c = t.TLS.Clone()
	}
	if c.ServerName == "" {
		c.ServerName = t.URL.Hostname()
	}
	c.NextProtos = alpn
	return c
}

// Handshake runs the TLS handshake over raw. A certificate that fails
// verification, or a server's refusal of the client's certificate
// (ClientCertRefused), is a *loadgen.FatalError: retrying cannot fix it.
func Handshake(ctx context.Context, raw net.Conn, cfg *tls.Config) (*tls.Conn, error) {
	hcfg, asked := noteAsked(cfg)
	tc := tls.Client(raw, hcfg)
	if err := tc.HandshakeContext(ctx); err != nil {
		var cv *tls.CertificateVerificationError
		if errors.As(err, &cv) {
			return nil, &loadgen.FatalError{Err: fmt.Errorf("TLS certificate of %s is not trusted (%v); use -k/--insecure to skip verification, or --cacert to trust its issuer", cfg.ServerName, cv.Err)}
		}
		if fatal := ClientCertRefused(err, cfg); fatal != nil {
			return nil, fatal
		}
		if asked != nil && *asked {
			return nil, &loadgen.FatalError{Err: fmt.Errorf("%s asked for a TLS client certificate and refused the handshake without one (%v); pass --cert and --key", cfg.ServerName, err)}
		}
		return nil, fmt.Errorf("TLS handshake: %w", err)
	}
	return tc, nil
}

// Info describes a TLS connection for the reports.
func Info(protocol string, tc *tls.Conn) loadgen.ConnInfo {
	info := loadgen.ConnInfo{Protocol: protocol}
	if tc != nil {
		st := tc.ConnectionState()
		info.TLSVersion = tls.VersionName(st.Version)
		info.CipherSuite = tls.CipherSuiteName(st.CipherSuite)
	}
	return info
}
