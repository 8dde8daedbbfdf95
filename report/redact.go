package report

import (
	"net/url"
	"strings"

	"github.com/gowrk/gowrk/loadgen"
)

// Redacted is what a secret is replaced with wherever gowrk prints it.
const Redacted = "REDACTED"

// sensitiveParts are the name fragments that mark a header or a query
// parameter as a secret. The rule is one for headers and query parameters,
// in every report and every message.
var sensitiveParts = []string{"auth", "key", "token", "secret", "password", "passwd", "session", "cookie", "signature", "credential"}

// Sensitive reports whether the value of a header or query parameter called
// name must never be printed: its name contains auth, key, token, secret,
// password, session, cookie, signature or credential (any case).
func Sensitive(name string) bool {
	n := strings.ToLower(name)
	for _, s := range sensitiveParts {
		if strings.Contains(n, s) {
			return true
		}
	}
	return false
}

// RedactURL renders u for a report or a message: userinfo is dropped (a
// password never shows) and the values of sensitive query parameters
// (?api_key=, ?token=) are replaced with REDACTED.
func RedactURL(u *url.URL) string {
	if u == nil {
		return ""
	}
	c := *u
	if c.User != nil {
		c.User = url.User(Redacted)
	}
	if c.RawQuery != "" {
		c.RawQuery = redactQuery(c.RawQuery)
	}
	return c.String()
}

// redactQuery replaces the values of sensitive parameters, keeping the
// order and spelling of everything else.
func redactQuery(q string) string {
	parts := strings.Split(q, "&")
	for i, p := range parts {
		name, _, ok := strings.Cut(p, "=")
		if un, err := url.QueryUnescape(name); err == nil {
			name = un
		}
		if ok && Sensitive(name) {
			k, _, _ := strings.Cut(p, "=")
			parts[i] = k + "=" + Redacted
		}
	}
	return strings.Join(parts, "&")
}

// RedactURLText is RedactURL for text that may not parse as a URL (the
// argument of an "invalid URL" message): whatever stands between "://" and
// the last "@" of the authority is replaced, and sensitive query values too.
func RedactURLText(s string) string {
	scheme, rest, ok := strings.Cut(s, "://")
	if !ok {
		scheme, rest = "", s
	}
	end := strings.IndexAny(rest, "/?#")
	if end < 0 {
		end = len(rest)
	}
	if at := strings.LastIndex(rest[:end], "@"); at >= 0 {
		rest = Redacted + rest[at:]
	}
	if q := strings.IndexByte(rest, '?'); q >= 0 {
		frag := ""
		query := rest[q+1:]
		if h := strings.IndexByte(query, '#'); h >= 0 {
			query, frag = query[:h], query[h:]
		}
		rest = rest[:q+1] + redactQuery(query) + frag
	}
	if ok {
		return scheme + "://" + rest
	}
	return rest
}

// headerLines returns the target's headers as "Name: value", redacted.
func headerLines(hs []loadgen.Header) []string {
	out := make([]string, 0, len(hs))
	for _, h := range hs {
		v := h.Value
		if Sensitive(h.Name) {
			v = Redacted
		}
		out = append(out, h.Name+": "+v)
	}
	return out
}
