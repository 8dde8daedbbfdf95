package report

import (
	"io"
	"regexp"
	"strings"

	"github.com/gowrk/gowrk/loadgen"
)

// The shapes RedactText looks for in free text.
var (
	// textURL is a URL: scheme://, then up to a space, a quote or an
	// angle bracket (but through a Redacted already there).
	textURL = regexp.MustCompile(`[A-Za-z][A-Za-z0-9+.-]*://(?:` + regexp.QuoteMeta(Redacted) + "|[^\\s\"'<>`])+")
	// textCredential is an HTTP authentication scheme and its credential.
	textCredential = regexp.MustCompile(`\b((?i:bearer)|Basic|Digest|Token|Negotiate|NTLM|AWS4-HMAC-SHA256)([ \t]+)([^\s,;"']+)`)
	// textHeader is "Name: value" to the end of the line; the name is not
	// the tail of a flag (--hdr-log:) or of a file name (script.lua:3:).
	textHeader = regexp.MustCompile(`(?:^|[^-\w.])([A-Za-z][A-Za-z0-9_-]*):[ \t]*`)
	// textPair is name=value, the value up to a space, quote or separator.
	textPair = regexp.MustCompile(`([A-Za-z][\w.-]*)=([^\s&;,"']+)`)
	// textJWT is a JSON Web Token standing on its own.
	textJWT = regexp.MustCompile(`\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*`)
	// canonicalHeader is a header name as written (X-Private, Proxy-Foo):
	// words with capitals joined by hyphens.
	canonicalHeader = regexp.MustCompile(`^[A-Z][A-Za-z0-9]*(-[A-Z0-9][A-Za-z0-9]*)+$`)
)

// RedactText applies the secrets rule (see redact.go) to free text: a Lua
// error, a server's error body, a bad-input line, a warning. URLs in it are
// shown as RedactURL shows them; the value of a "Name: value" whose name is
// a header name that is not shown (X-Private:, or any name SecretName
// flags, in any case) is Redacted to the end of its line; the values of
// secret name=value pairs, the credential after Bearer, Basic and the
// other authentication schemes, and bare JSON Web Tokens are Redacted.
// Redacting redacted text changes nothing.
func RedactText(s string) string {
	if s == "" {
		return s
	}
	s = textURL.ReplaceAllStringFunc(s, RedactURLText)
	s = textCredential.ReplaceAllStringFunc(s, func(m string) string {
		g := textCredential.FindStringSubmatch(m)
		return g[1] + g[2] + Redacted
	})
	s = redactHeaders(s)
	s = textPair.ReplaceAllStringFunc(s, func(m string) string {
		name, _, _ := strings.Cut(m, "=")
		if !SecretName(name) {
			return m
		}
		return name + "=" + Redacted
	})
	return textJWT.ReplaceAllString(s, Redacted)
}

// redactHeaders redacts, to the end of its line, the value of each
// "Name: value" in s whose name is a header's that is not shown.
func redactHeaders(s string) string {
	var b strings.Builder
	done := 0 // s[:done] is in b
	for _, m := range textHeader.FindAllStringSubmatchIndex(s, -1) {
		name, valueAt := s[m[2]:m[3]], m[1]
		if m[0] < done || ShowHeader(name) || !(SecretName(name) || canonicalHeader.MatchString(name)) {
			continue
		}
		eol := strings.IndexAny(s[valueAt:], "\r\n")
		if eol < 0 {
			eol = len(s) - valueAt
		}
		if v := s[valueAt : valueAt+eol]; v == "" || v == Redacted {
			continue
		}
		b.WriteString(s[done:m[2]])
		b.WriteString(name + ": " + Redacted)
		done = valueAt + eol
	}
	if done == 0 {
		return s
	}
	return b.String() + s[done:]
}

// RedactWriter passes every Write through RedactText: gowrk's stderr, so
// that no message can print a secret. Each Write is taken as whole lines
// (fmt.Fprintf writes a message at once).
type RedactWriter struct{ W io.Writer }

// Write writes RedactText(p) to W and reports len(p) written.
func (r RedactWriter) Write(p []byte) (int, error) {
	if _, err := io.WriteString(r.W, RedactText(string(p))); err != nil {
		return 0, err
	}
	return len(p), nil
}

// Aborted is why gowrk stopped r early by itself, redacted (it may hold a
// script's error); "" when it did not. It is an error, not a warning: the
// run failed.
func Aborted(r *loadgen.Result) string {
	if r.Fatal != nil {
		return RedactText(FatalText(r.Fatal))
	}
	return RedactText(r.Aborted)
}
