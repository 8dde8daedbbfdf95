package netdial

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strings"

	"github.com/gowrk/gowrk/loadgen"
)

// TLS alerts (RFC 8446 6.2) by which a server refuses the client's
// certificate, or its absence.
const (
	alertBadCertificate      = tls.AlertError(42)
	alertUnsupportedCert     = tls.AlertError(43)
	alertCertificateRevoked  = tls.AlertError(44)
	alertCertificateExpired  = tls.AlertError(45)
	alertUnknownCA           = tls.AlertError(48)
	alertCertificateRequired = tls.AlertError(116)
)

// ClientCertRefused returns a *loadgen.FatalError when err carries a TLS
// alert by which the server refuses to go on without a client certificate
// (certificate_required), or refuses the one cfg presents; nil otherwise.
// No retry can fix either, so the run stops with one line. Under TLS 1.3
// the alert comes after the client's side of the handshake is done: on the
// connection's first read, so an engine asks this of its first exchange's
// read error as well as of the handshake's (Handshake does).
func ClientCertRefused(err error, cfg *tls.Config) error {
	if err == nil || cfg == nil {
		return nil
	}
	if isAlert(err, alertCertificateRequired) {
		return &loadgen.FatalError{Err: fmt.Errorf("%s requires a TLS client certificate (alert: %s)", cfg.ServerName, alertText(alertCertificateRequired)), Fix: loadgen.FixClientCert}
	}
	if len(cfg.Certificates) == 0 && cfg.GetClientCertificate == nil {
		return nil
	}
	for _, a := range []tls.AlertError{alertBadCertificate, alertUnsupportedCert, alertCertificateRevoked, alertCertificateExpired, alertUnknownCA} {
		if isAlert(err, a) {
			return &loadgen.FatalError{Err: fmt.Errorf("%s refused the TLS client certificate (alert: %s)", cfg.ServerName, alertText(a)), Fix: loadgen.FixCheckClientCert}
		}
	}
	return nil
}

// isAlert reports whether err is the TLS alert a, received from the peer
// (crypto/tls words it "remote error: " and the alert's text) or given as
// a tls.AlertError.
func isAlert(err error, a tls.AlertError) bool {
	var ae tls.AlertError
	if errors.As(err, &ae) {
		return ae == a
	}
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "remote error" && op.Err != nil && op.Err.Error() == a.Error()
}

// noteAsked returns cfg, or, when cfg presents no client certificate, a
// copy that sends none either and notes in *asked whether the server asked
// for one (TLS 1.2 servers refuse a handshake without it with a bare
// handshake_failure alert). *asked is written by the handshake, read
// after it, on one goroutine.
func noteAsked(cfg *tls.Config) (*tls.Config, *bool) {
	if len(cfg.Certificates) > 0 || cfg.GetClientCertificate != nil {
		return cfg, nil
	}
	asked := new(bool)
	c := cfg.Clone()
	c.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
		*asked = true
		return &tls.Certificate{}, nil
	}
	return c, asked
}

// alertText is an alert's name without crypto/tls's "tls: " prefix.
func alertText(a tls.AlertError) string { return strings.TrimPrefix(a.Error(), "tls: ") }
