package cli

import (
	"crypto/tls"
	"encoding/json"
	"runtime"
	"strings"
	"testing"

	"github.com/gowrk/gowrk/loadgen/testserver"
)

// TestEngineName: the reports name what ran the connections, HTTP/2 by its
// driver (the event loop or a goroutine per connection), never "h2" for
// both; the requests the server answered are the report's.
func TestEngineName(t *testing.T) {
	loop := "loop"
	if runtime.GOOS != "linux" {
		loop = "goroutine"
	}
	h1, err := testserver.Start(testserver.Behaviour{})
	if err != nil {
		t.Fatal(err)
	}
	defer h1.Close()
	h2c, err := testserver.StartH2(testserver.H2Behaviour{})
	if err != nil {
		t.Fatal(err)
	}
	defer h2c.Close()
	_, leaf := testserver.LoopbackCert(t)
	h2s, err := testserver.StartH2TLS(testserver.H2Behaviour{}, &tls.Config{Certificates: []tls.Certificate{leaf}, NextProtos: []string{"h2"}})
	if err != nil {
		t.Fatal(err)
	}
	defer h2s.Close()
	for _, tc := range []struct {
		name, url string
		args      []string
		engine    string
		text      string // the text report's protocol line
	}{
		{"http/1.1", h1.URL(), nil, loop, "Protocol: http/1.1, engine " + loop},
		{"http/1.1 goroutine", h1.URL(), []string{"--engine", "goroutine"}, "goroutine", "Protocol: http/1.1, engine goroutine"},
		{"h2c", h2c.URL(), []string{"--h2c"}, loop, "Protocol: h2c, engine " + loop},
		{"h2c goroutine", h2c.URL(), []string{"--h2c", "--engine", "goroutine"}, "goroutine", "Protocol: h2c, engine goroutine"},
		{"h2 over TLS", h2s.URL(), []string{"--http2", "-k"}, "goroutine", ", engine goroutine"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append(append([]string{}, tc.args...), "-t1", "-c2", "-n", "40")
			code, out, errs := gowrk(t, append(args, "-f", "json", tc.url)...)
			var doc struct {
				Requests uint64
				Config   struct{ Engine string }
			}
			if code != 0 || json.Unmarshal([]byte(out), &doc) != nil {
				t.Fatalf("exit %d: %s%s", code, out, errs)
			}
			if doc.Config.Engine != tc.engine || doc.Requests != 40 {
				t.Errorf("JSON config.engine %q, %d requests; want %q, 40", doc.Config.Engine, doc.Requests, tc.engine)
			}
			code, out, errs = gowrk(t, append(args, tc.url)...)
			if code != 0 || !strings.Contains(out, tc.text+"\n") {
				t.Errorf("exit %d, text report lacks %q:\n%s%s", code, tc.text, out, errs)
			}
		})
	}
}
