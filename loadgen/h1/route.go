package h1

import (
	"bytes"
	"errors"

	"github.com/gowrk/gowrk/loadgen"
	"github.com/gowrk/gowrk/loadgen/netdial"
)

// routedRequest is BuildRequest(t) as d's route sends it: to an HTTP
// proxy in absolute form (the request line carries the whole URL; Host
// stays the URL's), with the proxy's credentials as Proxy-Authorization.
// A -H Proxy-Authorization wins over credentials in the proxy's URL.
func routedRequest(t loadgen.Target, d *netdial.Dialer) ([]byte, error) {
	if !d.Absolute() {
		return BuildRequest(t)
	}
	if auth := d.ProxyAuth(); auth != "" && !hasHeader(t.Headers, "Proxy-Authorization") {
		t.Headers = append(append([]loadgen.Header(nil), t.Headers...), loadgen.Header{Name: "Proxy-Authorization", Value: auth})
	}
	req, err := BuildRequest(t)
	if err != nil {
		return nil, err
	}
	// Request line: METHOD SP origin-form SP HTTP/1.1.
	sp1 := bytes.IndexByte(req, ' ')
	sp2 := bytes.IndexByte(req[sp1+1:], ' ') + sp1 + 1
	if sp1 < 0 || sp2 <= sp1 {
		return nil, errors.New("building the request: no request line")
	}
	abs := *t.URL
	abs.User, abs.Fragment, abs.RawFragment = nil, "", ""
	out := make([]byte, 0, len(req)+len(abs.Host)+len(abs.Scheme)+3)
	out = append(out, req[:sp1+1]...)
	out = append(out, abs.String()...)
	return append(out, req[sp2:]...), nil
}

func hasHeader(hs []loadgen.Header, name string) bool {
	for _, h := range hs {
		if bytes.EqualFold([]byte(h.Name), []byte(name)) {
			return true
		}
	}
	return false
}
