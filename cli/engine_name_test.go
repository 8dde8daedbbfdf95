package cli

import (
	"context"
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

// TestEngineNames: what each command line names as its engine, and which
// driver its h2c connections get, parsed without a run: one URL or several
// origins (--targets), each named by what runs it; an https:// URL or
// first target does not put the h2c origins on goroutines.
func TestEngineNames(t *testing.T) {
	loop := "loop"
	if runtime.GOOS != "linux" {
		loop = "goroutine"
	}
	dir := t.TempDir()
	mixed := writeFile(t, dir, "mixed.txt", "GET https://127.0.0.1:1/a\n\nGET http://127.0.0.1:2/b\n")
	plain := writeFile(t, dir, "plain.txt", "GET http://127.0.0.1:1/a\n\nGET http://127.0.0.1:2/b\n")
	for _, tc := range []struct {
		args       []string
		want       string
		goroutines bool // o.h2.Goroutines
	}{
		{[]string{"http://127.0.0.1:1/"}, loop, false},
		{[]string{"https://127.0.0.1:1/"}, "goroutine", false},
		{[]string{"--engine", "goroutine", "http://127.0.0.1:1/"}, "goroutine", false},
		{[]string{"--h2c", "http://127.0.0.1:1/"}, loop, false},
		{[]string{"--h2c", "--engine", "goroutine", "http://127.0.0.1:1/"}, "goroutine", true},
		{[]string{"--http2", "https://127.0.0.1:1/"}, "goroutine", false},
		{[]string{"--http3", "https://127.0.0.1:1/"}, "h3", false},
		{[]string{"--targets", plain}, loop, false},
		{[]string{"--targets", mixed}, "goroutine+" + loop, false},
		{[]string{"--http2", "--targets", mixed}, "goroutine+" + loop, false},
		{[]string{"--http2", "--engine", "goroutine", "--targets", mixed}, "goroutine", true},
	} {
		o, err := parseArgs(context.Background(), append([]string{"-n", "1"}, tc.args...))
		if err != nil {
			t.Errorf("%v: %v", tc.args, err)
			continue
		}
		if got := engineNames(o); got != tc.want || o.cfg.Engine != tc.want || o.h2.Goroutines != tc.goroutines {
			t.Errorf("%v: engine %q (config %q), h2c on goroutines %v; want %q, %v", tc.args, got, o.cfg.Engine, o.h2.Goroutines, tc.want, tc.goroutines)
		}
	}
}
