package report

import (
	"net/url"
	"strings"

	"github.com/gowrk/gowrk/loadgen"
)

// Redacted is what a secret is replaced with wherever gowrk prints it.
const Redacted = "<redacted>"

// The rule for secrets is written here once, and every report and every
// message passes through it:
//
//   - a header's value is shown only when its name is in shownHeaders,
//     headers that never carry a secret; any other header is shown by its
//     name with the value Redacted (an allow-list: a new secret's name
//     cannot slip past);
//   - a query parameter's value is Redacted when SecretName says its name
//     may hold one (a broad deny-list, as a query carries mostly harmless
//     values that a report should show);
//   - a URL's userinfo is Redacted and its fragment is never printed;
//   - free text (script errors, server error bodies, bad-input lines)
//     goes through RedactText, which applies the same rules to the URLs,
//     "Name: value" headers, name=value pairs and Bearer/Basic credentials
//     it finds in it.

// shownHeaders are the headers (lower case) whose values are printed.
var shownHeaders = map[string]bool{
	"accept": true, "accept-charset": true, "accept-encoding": true, "accept-language": true,
	"cache-control": true, "connection": true, "content-encoding": true, "content-language": true,
	"content-length": true, "content-type": true, "expect": true, "host": true, "if-modified-since": true,
	"if-unmodified-since": true, "keep-alive": true, "pragma": true, "range": true, "te": true,
	"transfer-encoding": true, "upgrade": true, "user-agent": true, "x-forwarded-proto": true,
	"x-requested-with": true,
}

// ShowHeader reports whether the value of header name may be printed: only
// for the headers listed in the README's Security section (Accept,
// Content-Type, Host, User-Agent and the like), in any case.
func ShowHeader(name string) bool { return shownHeaders[strings.ToLower(strings.TrimSpace(name))] }

// secretParts mark a name (query parameter, name=value, header in free
// text) as holding a secret when they occur anywhere in it, in any case:
// pass (password, passwd, passphrase), pwd, secret, token, key (api_key,
// AWSAccessKeyId, Key-Pair-Id), sig (sig, signature, X-Amz-Signature,
// X-Goog-Signature), auth, jwt, sess (session), cred (credential,
// X-Amz-Credential, X-Goog-Credential), code (OAuth's code), cookie,
// access (GoogleAccessId), private, ticket, assertion, saml, nonce, hmac.
var secretParts = []string{"pass", "pwd", "secret", "token", "key", "sig", "auth", "jwt", "sess", "cred",
	"code", "cookie", "access", "private", "ticket", "assertion", "saml", "nonce", "hmac"}

// secretNames are short names that hold a secret only as the whole name:
// Azure SAS's expiry, start, signed object and tenant ids and key fields
// (se, st, skoid, sktid, skt, ske, sks, skv, saoid, suoid, si), CloudFront's
// Policy, and sid, otp, pin, mac, state.
var secretNames = map[string]bool{"se": true, "st": true, "skoid": true, "sktid": true, "skt": true,
	"ske": true, "sks": true, "skv": true, "saoid": true, "suoid": true, "si": true, "policy": true,
	"sid": true, "otp": true, "pin": true, "mac": true, "state": true}

// SecretName reports whether a query parameter (or a name=value pair in a
// message) called name may hold a secret: see secretParts and secretNames.
func SecretName(name string) bool {
	n := strings.ToLower(strings.TrimSpace(name))
	if secretNames[n] {
		return true
	}
	for _, s := range secretParts {
		if strings.Contains(n, s) {
			return true
		}
	}
	return false
}

// RedactURL renders u for a report or a message: userinfo Redacted, the
// values of secret query parameters Redacted, no fragment.
func RedactURL(u *url.URL) string {
	if u == nil {
		return ""
	}
	c := *u
	c.User, c.Fragment, c.RawFragment = nil, "", ""
	if c.RawQuery != "" {
		c.RawQuery = redactQuery(c.RawQuery)
	}
	s := c.String()
	if u.User != nil {
		s = strings.Replace(s, "//", "//"+Redacted+"@", 1)
	}
	return s
}

// redactQuery replaces the values of secret parameters, keeping the
// order and spelling of everything else.
func redactQuery(q string) string {
	parts := strings.Split(q, "&")
	for i, p := range parts {
		name, _, ok := strings.Cut(p, "=")
		un := name
		if s, err := url.QueryUnescape(name); err == nil {
			un = s
		}
		if ok && SecretName(un) {
			parts[i] = name + "=" + Redacted
		}
	}
	return strings.Join(parts, "&")
}

// RedactURLText is RedactURL for text that may not parse as a URL (the
// argument of an "invalid URL" message): whatever stands between "://" and
// the last "@" of the authority is Redacted, secret query values too, and
// the fragment is dropped.
func RedactURLText(s string) string {
	s, _, _ = strings.Cut(s, "#")
	scheme, rest, ok := strings.Cut(s, "://")
	if !ok {
		scheme, rest = "", s
	}
	end := strings.IndexAny(rest, "/?")
	if end < 0 {
		end = len(rest)
	}
	if at := strings.LastIndex(rest[:end], "@"); at >= 0 {
		rest = Redacted + rest[at:]
	}
	if q := strings.IndexByte(rest, '?'); q >= 0 {
		rest = rest[:q+1] + redactQuery(rest[q+1:])
	}
	if ok {
		return scheme + "://" + rest
	}
	return rest
}

// headerLines returns the target's headers as "Name: value", the values
// of all but the shown headers Redacted.
func headerLines(hs []loadgen.Header) []string {
	out := make([]string, 0, len(hs))
	for _, h := range hs {
		v := h.Value
		if !ShowHeader(h.Name) {
			v = Redacted
		}
		out = append(out, h.Name+": "+v)
	}
	return out
}
