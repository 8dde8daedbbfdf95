package netdial

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/netip"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gowrk/gowrk/loadgen"
	"github.com/gowrk/gowrk/loadgen/testserver"
)

// rawProxy listens on loopback and answers each connection's request
// head with answer, then writes after; it returns the proxy's URL and
// the request heads it read.
func rawProxy(t *testing.T, answer, after string) (*url.URL, <-chan string) {
	t.Helper()
	heads := make(chan string, 16)
	srv, err := testserver.StartRaw(func(c net.Conn) {
		br := bufio.NewReader(c)
		var head strings.Builder
		for {
			l, err := br.ReadString('\n')
			head.WriteString(l)
			if err != nil || l == "\r\n" {
				break
			}
		}
		heads <- head.String()
		io.WriteString(c, answer+after)
		io.Copy(io.Discard, br)
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	return &url.URL{Scheme: "http", Host: srv.Addr(), User: url.UserPassword("u", "p4ss")}, heads
}

func target(t *testing.T, raw string, r loadgen.Route) loadgen.Target {
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return loadgen.Target{URL: u, Method: "GET", Route: r}
}

// TestConnectTunnel: a CONNECT names the origin, carries the proxy's
// credentials, and leaves every byte after the proxy's answer to the
// connection's user.
func TestConnectTunnel(t *testing.T) {
	proxy, heads := rawProxy(t, "HTTP/1.1 200 Connection established\r\nVia: test\r\n\r\n", "ORIGIN")
	d, err := New(context.Background(), target(t, "https://origin.test/x", loadgen.Route{Proxy: proxy}), false, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	nc, err := d.Dial(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	head := <-heads
	if !strings.HasPrefix(head, "CONNECT origin.test:443 HTTP/1.1\r\nHost: origin.test:443\r\n") || !strings.Contains(head, "Proxy-Authorization: Basic dTpwNHNz\r\n") {
		t.Errorf("CONNECT head %q", head)
	}
	b := make([]byte, 6)
	nc.SetDeadline(time.Now().Add(time.Second))
	if _, err := io.ReadFull(nc, b); err != nil || string(b) != "ORIGIN" {
		t.Errorf("after the tunnel: %q, %v; want the origin's bytes, none consumed", b, err)
	}
}

// TestConnectRefused: a proxy that refuses the tunnel, or is no HTTP
// proxy, stops the run with one line (a FatalError) that shows no
// credential.
func TestConnectRefused(t *testing.T) {
	for _, tc := range []struct {
		answer, want string
		fix          loadgen.Fix
	}{
		{"HTTP/1.1 407 Proxy Authentication Required\r\n\r\n", "407 Proxy Authentication Required", loadgen.FixProxyCredentials},
		{"HTTP/1.1 403 Forbidden\r\n\r\n", "status 403", loadgen.FixNone},
		{"SSH-2.0-OpenSSH_9.2\r\n\r\n", "no HTTP status line", loadgen.FixNone},
		{"HTTP/1.1 200 OK\r\n" + strings.Repeat("X-Pad: 0123456789abcdef\r\n", 1000) + "\r\n", "over 16384 bytes", loadgen.FixNone},
	} {
		proxy, _ := rawProxy(t, tc.answer, "")
		d, err := New(context.Background(), target(t, "https://origin.test/", loadgen.Route{Proxy: proxy}), false, time.Second)
		if err != nil {
			t.Fatal(err)
		}
		_, err = d.Dial(context.Background())
		var fatal *loadgen.FatalError
		if !errors.As(err, &fatal) || !strings.Contains(err.Error(), tc.want) || fatal.Fix != tc.fix || strings.Contains(err.Error(), "p4ss") {
			t.Errorf("%q: %v; want a FatalError with %q and fix %d", tc.answer[:min(len(tc.answer), 30)], err, tc.want, tc.fix)
		}
	}
}

// TestAbsoluteForm: plain HTTP/1.1 through a proxy is not tunnelled: the
// proxy is dialled and takes absolute-form requests; HTTP/2 tunnels.
func TestAbsoluteForm(t *testing.T) {
	proxy, _ := rawProxy(t, "", "")
	tg := target(t, "http://origin.test/", loadgen.Route{Proxy: proxy})
	d, err := New(context.Background(), tg, false, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if !d.Absolute() || d.Addr() != proxy.Host || d.ProxyAuth() != "Basic dTpwNHNz" {
		t.Errorf("absolute %v, addr %s, auth %q", d.Absolute(), d.Addr(), d.ProxyAuth())
	}
	if d, _ = New(context.Background(), tg, true, time.Second); d.Absolute() {
		t.Error("a tunnelling engine (HTTP/2) got absolute form")
	}
}

// TestConnectTo: the first mapping that matches the URL's host and port
// (empty matches any) gives the address dialled.
func TestConnectTo(t *testing.T) {
	for _, tc := range []struct {
		url  string
		maps []loadgen.ConnectTo
		want string
	}{
		{"http://a.test/", []loadgen.ConnectTo{{Host: "a.test", Port: "80", ToHost: "127.0.0.2", ToPort: "8080"}}, "127.0.0.2:8080"},
		{"https://a.test/", []loadgen.ConnectTo{{Host: "a.test", Port: "80", ToHost: "127.0.0.2", ToPort: "8080"}, {ToHost: "127.0.0.3"}}, "127.0.0.3:443"},
		{"http://b.test:81/", []loadgen.ConnectTo{{Host: "a.test", ToHost: "127.0.0.2"}, {Port: "81", ToPort: "9"}}, "b.test:9"},
		{"http://127.0.0.1:81/", []loadgen.ConnectTo{{Host: "a.test", ToHost: "127.0.0.2"}}, "127.0.0.1:81"},
	} {
		u, _ := url.Parse(tc.url)
		if got := hostPort(mapped(u, tc.maps)); got != tc.want {
			t.Errorf("%s %+v: %s, want %s", tc.url, tc.maps, got, tc.want)
		}
	}
}

// TestLocalAddrs: connections come from the route's local addresses, in
// turn, each bound without a port.
func TestLocalAddrs(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	local := []netip.Addr{netip.MustParseAddr("127.0.0.2"), netip.MustParseAddr("127.0.0.3")}
	d, err := New(context.Background(), target(t, "http://"+ln.Addr().String()+"/", loadgen.Route{Local: local}), false, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 4 {
		nc, err := d.Dial(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		sc, err := ln.Accept()
		if err != nil {
			t.Fatal(err)
		}
		got := sc.RemoteAddr().(*net.TCPAddr).IP.String()
		if want := local[i%2].String(); got != want {
			t.Errorf("connection %d came from %s, want %s", i, got, want)
		}
		sc.Close()
		nc.Close()
	}
}

// TestResolveTimed: a host name is one lookup (the DNS phase), an IP
// address none; both resolve to the same address here.
func TestResolveTimed(t *testing.T) {
	want := map[string]bool{"http://localhost:8080/": true, "http://127.0.0.1:8080/": false}
	for raw, wantNamed := range want {
		u, _ := url.Parse(raw)
		addr, took, named, err := ResolveTimed(context.Background(), u)
		if err != nil {
			t.Fatalf("%s: %v", raw, err)
		}
		if named != wantNamed || took < 0 || (addr != "127.0.0.1:8080" && addr != "[::1]:8080") {
			t.Errorf("%s: %s in %s, named %v; want named %v", raw, addr, took, named, wantNamed)
		}
	}
}
