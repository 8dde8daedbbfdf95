package report

import (
	"errors"
	"fmt"

	"github.com/gowrk/gowrk/loadgen"
)

// remedies words each loadgen.Fix with the command line's flags: the one
// place a fatal error's "what to do" is written. %s is FatalError.Name.
var remedies = [...]string{
	loadgen.FixHTTP2:            "add --http2",
	loadgen.FixDropHTTP2:        "drop --http2 to use HTTP/1.1",
	loadgen.FixTryHTTP1:         "drop --http2 if it speaks HTTP/1.1",
	loadgen.FixDropH2C:          "drop --http2/--h2c to use HTTP/1.1, or use https:// for HTTP/2 over TLS",
	loadgen.FixHTTPS:            "use an https:// URL",
	loadgen.FixHTTP:             "use an http:// URL",
	loadgen.FixTLSMin:           "lower --tls-min, or leave it out",
	loadgen.FixTrust:            "use -k/--insecure to skip verification, or --cacert to trust its issuer",
	loadgen.FixInsecure:         "use -k/--insecure to skip verification",
	loadgen.FixSNI:              "pass --sni %s (or use that name in the URL), or -k/--insecure to skip verification",
	loadgen.FixSNICovered:       "pass --sni with a name it covers, or -k/--insecure to skip verification",
	loadgen.FixAddress:          "use that address in the URL, or -k/--insecure to skip verification",
	loadgen.FixClientCert:       "pass --cert and --key",
	loadgen.FixCheckClientCert:  "check --cert and --key",
	loadgen.FixEnableHTTP3:      "enable HTTP/3 on the server (Caddy: `servers { protocols h1 h2 h3 }`), or drop --http3 to use HTTP/2 or HTTP/1.1 over TCP",
	loadgen.FixDropHTTP3:        "drop --http3 to use HTTP/2 or HTTP/1.1 over TCP",
	loadgen.FixSNIName:          "pass --sni with the name its certificate is for, or use that name in the URL",
	loadgen.FixProxyCredentials: "give its credentials in --proxy as http://user:pass@host:port",
}

// Remedy is what the user must change to get past f, in the command
// line's words; "" when f names no remedy.
func Remedy(f *loadgen.FatalError) string {
	if int(f.Fix) >= len(remedies) || remedies[f.Fix] == "" {
		return ""
	}
	r := remedies[f.Fix]
	if f.Fix == loadgen.FixSNI {
		r = fmt.Sprintf(r, f.Name)
	}
	return r
}

// FatalText is f's one line: its facts, then its remedy.
func FatalText(f *loadgen.FatalError) string {
	if r := Remedy(f); r != "" {
		return f.Error() + "; " + r
	}
	return f.Error()
}

// ErrorText is err's text for a user: a *loadgen.FatalError in it is
// worded with its remedy (FatalText); any other error is its own text.
func ErrorText(err error) string {
	var f *loadgen.FatalError
	if errors.As(err, &f) {
		return FatalText(f)
	}
	return err.Error()
}
