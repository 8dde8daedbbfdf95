package h1

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gowrk/gowrk/loadgen"
	"github.com/gowrk/gowrk/loadgen/netdial"
)

// TestRoutedRequest: through an HTTP proxy the request line carries the
// whole URL (Host unchanged) and the proxy's credentials; without
// keep-alive the request says Connection: close.
func TestRoutedRequest(t *testing.T) {
	u, _ := url.Parse("http://origin.test:8080/p?q=1")
	local, _ := url.Parse("http://127.0.0.1:8080/p?q=1")
	proxy := &url.URL{Scheme: "http", Host: "127.0.0.1:3128", User: url.UserPassword("u", "p")}
	for _, tc := range []struct {
		t    loadgen.Target
		want []string
	}{
		{loadgen.Target{URL: u, Method: "GET", Route: loadgen.Route{Proxy: proxy}},
			[]string{"GET http://origin.test:8080/p?q=1 HTTP/1.1\r\n", "Host: origin.test:8080\r\n", "Proxy-Authorization: Basic dTpw\r\n"}},
		{loadgen.Target{URL: local, Method: "GET", NoKeepAlive: true},
			[]string{"GET /p?q=1 HTTP/1.1\r\n", "Connection: close\r\n"}},
	} {
		d, err := netdial.New(context.Background(), tc.t, false, time.Second)
		if err != nil {
			t.Fatal(err)
		}
		req, err := routedRequest(tc.t, d)
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range tc.want {
			if !strings.Contains(string(req), w) {
				t.Errorf("request %q has no %q", req, w)
			}
		}
	}
}
