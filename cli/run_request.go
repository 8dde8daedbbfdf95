package cli

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"

	"github.com/gowrk/gowrk/loadgen"
	"github.com/gowrk/gowrk/report"
)

// The request a run sends, from its command line: the URL, -H headers,
// the body and the TLS configuration.

// oneURL checks that exactly one argument, the URL, is left after the
// flags. The extra arguments are not echoed: an unquoted -H value splits
// into words, and the words may be a token. Only the first one is named,
// and only when it looks like a URL.
func oneURL(args []string) error {
	switch len(args) {
	case 0:
		return errors.New("missing URL: usage is gowrk [flags] URL, e.g. gowrk -t2 -c10 -d10s http://127.0.0.1:8080/")
	case 1:
		return nil
	}
	for _, a := range args {
		if a == "true" || a == "false" {
			return fmt.Errorf("one URL expected, got %d arguments, one of them %q: a boolean flag takes no separate value (write -L, or --latency=false)", len(args), a)
		}
	}
	first := "not shown"
	if strings.Contains(args[0], "://") {
		first = fmt.Sprintf("%q", report.RedactURLText(args[0]))
	}
	return fmt.Errorf("one URL expected, got %d arguments (the first: %s); quote a -H value that has spaces: -H 'Name: value'", len(args), first)
}

func parseURL(s string) (*url.URL, error) {
	shown := report.RedactURLText(s) // never a password in a message
	if !strings.Contains(s, "://") {
		return nil, fmt.Errorf("invalid URL %q: missing scheme; want http:// or https://", shown)
	}
	if strings.ContainsAny(s, " \t") {
		// (curl refuses it too; net/url would send it as %20)
		return nil, fmt.Errorf("invalid URL %q: a space in it; write %%20 for a space in a path or query", shown)
	}
	u, err := url.Parse(s)
	if err != nil {
		return nil, fmt.Errorf("invalid URL %q: %s", shown, report.RedactURLText(errors.Unwrap(err).Error()))
	}
	switch u.Scheme {
	case "http", "https":
	case "":
		return nil, fmt.Errorf("invalid URL %q: missing scheme; want http:// or https://", shown)
	default:
		return nil, fmt.Errorf("invalid URL %q: scheme %q is not supported; want http:// or https://", shown, u.Scheme)
	}
	if u.Hostname() == "" {
		return nil, fmt.Errorf("invalid URL %q: missing host", shown)
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return nil, fmt.Errorf("invalid URL %q: port %s; want 1 to 65535", shown, p)
		}
	} else if strings.HasSuffix(u.Host, ":") {
		return nil, fmt.Errorf("invalid URL %q: empty port; want 1 to 65535, or no colon for the scheme's default", shown)
	}
	if bad := badEscape(u.RawQuery); bad != "" {
		return nil, fmt.Errorf("invalid URL %q: %q in the query is not a %%XX escape; write %%25 for a literal %%", shown, bad)
	}
	if strings.IndexFunc(u.RawQuery, isControl) >= 0 {
		return nil, fmt.Errorf("invalid URL %q: a control character in the query; escape it as %%XX", shown)
	}
	if u.Path == "" {
		u.Path = "/"
	}
	return u, nil
}

// badEscape returns the first % in q that does not begin %XX (two hex
// digits), with what follows it; "" when every escape is whole.
func badEscape(q string) string {
	isHex := func(c byte) bool { return strings.IndexByte("0123456789abcdefABCDEF", c) >= 0 }
	for i := 0; i < len(q); i++ {
		if q[i] == '%' && (i+2 >= len(q) || !isHex(q[i+1]) || !isHex(q[i+2])) {
			return q[i:min(i+3, len(q))]
		}
	}
	return ""
}

// userinfoHeader turns credentials in the URL (http://user:pass@host/) into
// a Basic Authorization header, as curl does, and removes them from the URL
// so that no report prints them. An explicit -H Authorization wins.
func userinfoHeader(u *url.URL, hs []loadgen.Header) []loadgen.Header {
	if u.User == nil {
		return hs
	}
	pass, _ := u.User.Password()
	cred := base64.StdEncoding.EncodeToString([]byte(u.User.Username() + ":" + pass))
	u.User = nil
	for _, h := range hs {
		if strings.EqualFold(h.Name, "Authorization") {
			return hs
		}
	}
	return append(hs, loadgen.Header{Name: "Authorization", Value: "Basic " + cred})
}

func parseHeaders(lines []string) ([]loadgen.Header, error) {
	hs := make([]loadgen.Header, 0, len(lines))
	for _, l := range lines {
		name, value, ok := strings.Cut(l, ":")
		name = strings.TrimSpace(name)
		if !ok || name == "" || strings.ContainsAny(name, " \t") || strings.IndexFunc(l, isControl) >= 0 {
			// Name only: the value may be a secret (a token without its colon).
			first, _, _ := strings.Cut(strings.TrimSpace(l), " ")
			first, _, _ = strings.Cut(first, ":")
			if len(first) > 40 {
				first = first[:40]
			}
			return nil, fmt.Errorf("--header starting %q: want \"Name: value\" (value not shown)", first)
		}
		value = strings.TrimSpace(value)
		if value == "" && strings.EqualFold(name, "Host") {
			return nil, errors.New("--header \"Host:\" has no value: want -H 'Host: name[:port]'")
		}
		hs = append(hs, loadgen.Header{Name: name, Value: value})
	}
	return hs, nil
}

// isControl reports an ASCII control character other than tab: none may
// stand in a header (a CR or LF would split the request).
func isControl(r rune) bool { return (r < 0x20 && r != '\t') || r == 0x7f }

func readBody(p *parsed, bodySet bool) ([]byte, error) {
	if bodySet && p.bodyFile != "" {
		return nil, errors.New("--body and --body-file: give one of them, not both")
	}
	if p.bodyFile == "" {
		if p.body == "" {
			return nil, nil
		}
		return []byte(p.body), nil
	}
	b, err := os.ReadFile(p.bodyFile)
	if err != nil {
		return nil, fmt.Errorf("--body-file %q: cannot read it: %v", p.bodyFile, errors.Unwrap(err))
	}
	return b, nil
}

// tlsOptions builds the TLS client configuration from -k, --cacert,
// --cert/--key, --sni and --tls-min; nil when none is given.
func tlsOptions(p *parsed, https bool) (*tls.Config, error) {
	given := p.cacert != "" || p.cert != "" || p.key != "" || p.sni != "" || p.tlsMin != ""
	if !given && !(p.insecure && https) {
		return nil, nil // -k alone on http:// is ignored, as wrk, hey and oha do
	}
	if !https {
		return nil, errors.New("--cacert, --cert, --key, --sni and --tls-min apply to https:// URLs only")
	}
	c := &tls.Config{InsecureSkipVerify: p.insecure, ServerName: p.sni}
	if p.cacert != "" {
		pem, err := os.ReadFile(p.cacert)
		if err != nil {
			return nil, fmt.Errorf("--cacert %q: cannot read it: %v", p.cacert, errors.Unwrap(err))
		}
		c.RootCAs = x509.NewCertPool()
		if !c.RootCAs.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("--cacert %q: no PEM certificate in it", p.cacert)
		}
	}
	if (p.cert == "") != (p.key == "") {
		return nil, errors.New("--cert and --key: give both, the certificate and its private key")
	}
	if p.cert != "" {
		pair, err := tls.LoadX509KeyPair(p.cert, p.key)
		if err != nil {
			return nil, fmt.Errorf("--cert %q / --key %q: %v", p.cert, p.key, err)
		}
		c.Certificates = []tls.Certificate{pair}
	}
	switch p.tlsMin {
	case "":
	case "1.2":
		c.MinVersion = tls.VersionTLS12
	case "1.3":
		c.MinVersion = tls.VersionTLS13
	default:
		return nil, fmt.Errorf("--tls-min %q: want 1.2 or 1.3", p.tlsMin)
	}
	return c, nil
}
