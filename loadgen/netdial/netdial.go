// Package netdial holds what gowrk's engines share below HTTP: resolving
// the target once, dialling TCP, and the TLS client configuration and
// handshake errors.
package netdial

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gowrk/gowrk/loadgen"
)

// Resolve returns u's host as ip:port, looked up once (as wrk does) so that
// DNS is not part of any request. The default port follows the scheme.
func Resolve(ctx context.Context, u *url.URL) (string, error) {
	host := u.Hostname()
	_, port, _ := net.SplitHostPort(loadgen.HostPort(u)) // the scheme's default port: one rule
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

// ResolveTimed is Resolve, saying how long it took and whether there was
// a name to look up (named: false for an IP address, which takes no
// lookup): the phase the reports call DNS.
func ResolveTimed(ctx context.Context, u *url.URL) (addr string, took time.Duration, named bool, err error) {
	t0 := time.Now()
	addr, err = Resolve(ctx, u)
	return addr, time.Since(t0), net.ParseIP(u.Hostname()) == nil, err
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
		if fatal := TLSFailure(err, cfg, asked); fatal != nil {
			return nil, fatal
		}
		return nil, fmt.Errorf("TLS handshake: %w", err)
	}
	return tc, nil
}

// TLSFailure is the *loadgen.FatalError for a failed TLS handshake that no
// retry can fix (a certificate that fails verification, a server refusing
// every offered protocol or the client's certificate), or nil. asked, when
// not nil, says the server asked for a client certificate (noteAsked).
// QUIC's handshake (HTTP/3) fails the same ways.
func TLSFailure(err error, cfg *tls.Config, asked *bool) error {
	var cv *tls.CertificateVerificationError
	var he x509.HostnameError
	if errors.As(err, &he) && he.Certificate != nil {
		return hostnameError(cfg.ServerName, he.Certificate)
	}
	if noProtocol(err) {
		return &loadgen.FatalError{Err: &NoProtocolError{Server: cfg.ServerName, Offered: cfg.NextProtos}}
	}
	if cfg.MinVersion > tls.VersionTLS12 && olderTLS(err) {
		return &loadgen.FatalError{Err: fmt.Errorf("%s speaks no TLS as new as %s: it speaks an older version", cfg.ServerName, tls.VersionName(cfg.MinVersion)), Fix: loadgen.FixTLSMin}
	}
	var rh tls.RecordHeaderError
	if errors.As(err, &rh) && string(rh.RecordHeader[:]) == "HTTP/" {
		return &loadgen.FatalError{Err: errors.New("the server answered the TLS handshake in plain HTTP: it is an HTTP port, not HTTPS"), Fix: loadgen.FixHTTP}
	}
	if errors.As(err, &cv) {
		return &loadgen.FatalError{Err: fmt.Errorf("TLS certificate of %s is not trusted (%v)", cfg.ServerName, untrusted(cv.Err)), Fix: loadgen.FixTrust}
	}
	if fatal := ClientCertRefused(err, cfg); fatal != nil {
		return fatal
	}
	if asked != nil && *asked {
		return &loadgen.FatalError{Err: fmt.Errorf("%s asked for a TLS client certificate and refused the handshake without one (%v)", cfg.ServerName, err), Fix: loadgen.FixClientCert}
	}
	return nil
}

// untrusted is why a certificate failed verification, in one clause: an
// unknown authority without crypto/x509's hint about the candidate
// authority it tried (a quoted error of its own, which says nothing the
// fix needs and whose "invalid signature: ..." reads as a secret header
// to the secrets rule, which then blanks the rest of the line, fix and
// all).
func untrusted(err error) error {
	var ua x509.UnknownAuthorityError
	if errors.As(err, &ua) {
		return errUnknownAuthority
	}
	return err
}

var errUnknownAuthority = errors.New("x509: certificate signed by unknown authority")

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

// NoProtocolError is the server's TLS alert no_application_protocol: it
// shares none of the protocols the client offered in ALPN.
type NoProtocolError struct {
	Server  string   // the TLS server name
	Offered []string // what the client offered in ALPN
}

func (e *NoProtocolError) Error() string {
	return fmt.Sprintf("%s refused every protocol offered over TLS (ALPN offered %s)", e.Server, strings.Join(e.Offered, ", "))
}

// noProtocol reports whether err is the server's alert 120
// (no_application_protocol). crypto/tls reports a received alert as a
// *net.OpError "remote error" around an unexported type: only its text
// tells which alert it is.
func noProtocol(err error) bool { return remoteAlert(err, 120, "tls: no application protocol") }

// olderTLS reports whether err says the server speaks only older TLS
// versions than the client offered: its alert protocol_version, or (a
// server that ignores the versions offered) a ServerHello of an older one.
func olderTLS(err error) bool {
	return remoteAlert(err, 70, "tls: protocol version not supported") ||
		strings.Contains(err.Error(), "tls: server selected unsupported protocol version")
}

// remoteAlert reports whether err is the server's TLS alert code, which
// crypto/tls reports as a "remote error" with the alert's text, or (QUIC)
// as a tls.AlertError.
func remoteAlert(err error, code tls.AlertError, text string) bool {
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "remote error" && op.Err != nil && op.Err.Error() == text {
		return true
	}
	var alert tls.AlertError
	return errors.As(err, &alert) && alert == code
}

// hostnameError says that the certificate c names other hosts than
// server, and which remedy asks for one it names (Fix, with the name for
// FixSNI). The names are the server's: quoted when they are not plain
// host names, at most four.
func hostnameError(server string, c *x509.Certificate) *loadgen.FatalError {
	var names, plain []string
	for _, n := range c.DNSNames {
		names = append(names, n)
		if !strings.Contains(n, "*") {
			plain = append(plain, n)
		}
	}
	for _, ip := range c.IPAddresses {
		names = append(names, ip.String())
	}
	if len(names) == 0 {
		return &loadgen.FatalError{Err: fmt.Errorf("TLS certificate of %s names no host", server), Fix: loadgen.FixInsecure}
	}
	shown := make([]string, 0, 4)
	for _, n := range names[:min(len(names), 4)] {
		if strings.Trim(n, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-*:") != "" {
			n = strconv.Quote(n)
		}
		shown = append(shown, n)
	}
	list := strings.Join(shown, ", ")
	if len(names) > 4 {
		list += fmt.Sprintf(" and %d more", len(names)-4)
	}
	f := &loadgen.FatalError{Err: fmt.Errorf("TLS certificate of %s is for %s, not %s", server, list, server), Fix: loadgen.FixAddress}
	switch {
	case len(plain) > 0 && strings.Trim(plain[0], "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-") == "":
		f.Fix, f.Name = loadgen.FixSNI, plain[0]
	case len(c.DNSNames) > 0:
		f.Fix = loadgen.FixSNICovered
	}
	return f
}
