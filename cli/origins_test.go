package cli

import (
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestTargetsOrigins: targets on two origins, one http:// and one
// https:// (each origin with the engine of its scheme, or HTTP/2 on both),
// whole and in two shards: each server counts exactly its targets' share
// of -n, and the run's per-target figures say the same.
func TestTargetsOrigins(t *testing.T) {
	var mu sync.Mutex
	n := map[string]int{}
	count := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { mu.Lock(); n[r.URL.Path]++; mu.Unlock() })
	seen := func(path string) int { mu.Lock(); defer mu.Unlock(); return n[path] }
	var srv [2]*httptest.Server
	for i := range srv {
		srv[i] = httptest.NewUnstartedServer(count)
		srv[i].Config.Protocols = new(http.Protocols)
		srv[i].Config.Protocols.SetHTTP1(true)
		srv[i].Config.Protocols.SetHTTP2(true)
		srv[i].Config.Protocols.SetUnencryptedHTTP2(true)
		t.Cleanup(srv[i].Close)
	}
	srv[0].Start()
	srv[1].TLS = &tls.Config{NextProtos: []string{"h2", "http/1.1"}}
	srv[1].StartTLS()
	plain, secure := srv[0], srv[1]
	dir := t.TempDir()
	file := writeFile(t, dir, "t.jsonl", `{"url":"`+plain.URL+`/a","weight":2,"name":"a"}`+"\n"+
		`{"url":"`+secure.URL+`/b","name":"b"}`+"\n"+`{"url":"`+plain.URL+`/c","name":"c"}`+"\n")
	for _, tc := range []struct {
		name   string
		args   []string
		shards []string
	}{
		{"h1", nil, []string{""}},
		{"h1/shards", nil, []string{"0/2", "1/2"}},
		{"h2", []string{"--http2"}, []string{""}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a0, b0, c0 := seen("/a"), seen("/b"), seen("/c")
			var got [3]uint64
			for _, sh := range tc.shards {
				args := append([]string{"--targets", file, "-n", "400", "-t2", "-c4", "-k", "--targets-order", "weighted", "-f", "json"}, tc.args...)
				if sh != "" {
					args = append(args, "--shard", sh)
				}
				code, out, errOut := gowrk(t, args...)
				if code != exitOK || !strings.Contains(errOut, "the targets are on 2 origins") || !strings.Contains(out, `"origins": 2`) {
					t.Fatalf("exit %d, no origins in the report's config: %s", code, errOut)
				}
				for i, f := range targetsOf(t, []byte(out)) {
					got[i] += f.Requests
				}
			}
			if a, b, c := seen("/a")-a0, seen("/b")-b0, seen("/c")-c0; a != 200 || b != 100 || c != 100 || got != [3]uint64{200, 100, 100} {
				t.Errorf("the servers saw a %d, b %d, c %d; the run a, b, c %v; want 200, 100, 100", a, b, c, got)
			}
		})
	}
}

// TestTargetsOriginsNginx: targets on two origins of a real nginx, one
// server block over http:// and one over https:// (HTTP/2 by ALPN under
// --http2), counted from nginx's access log ("port uri"): each origin
// serves exactly its targets' share of -n, whole and over two shards.
func TestTargetsOriginsNginx(t *testing.T) {
	bin := nginxBin(t)
	dir := t.TempDir()
	plain, h2c, secure := freePort(t), freePort(t), freePort(t)
	cert, key, logf := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem"), filepath.Join(dir, "access.log")
	writeSelfSigned(t, cert, key)
	conf := fmt.Sprintf(nginxPrelude+`
  log_format origin '$server_port $request_uri';
  access_log %[4]s origin;
  server {
    listen 127.0.0.1:%[2]d;
    listen 127.0.0.1:%[7]d http2;
    location / { default_type text/plain; return 200 "plain"; }
  }
  server {
    listen 127.0.0.1:%[3]d ssl http2;
    ssl_certificate %[5]s;
    ssl_certificate_key %[6]s;
    location / { default_type text/plain; return 200 "secure"; }
  }
}
`, dir, plain, secure, logf, cert, key, h2c)
	path := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	startProcess(t, exec.Command(bin, "-c", path, "-p", dir, "-e", filepath.Join(dir, "error.log")))
	for _, port := range []int{plain, h2c, secure} {
		waitListening(t, fmt.Sprintf("127.0.0.1:%d", port), 10*time.Second)
	}
	// (--http2 speaks h2c, with prior knowledge, to an http:// origin.)
	files, want := map[int]string{}, map[int]string{}
	for _, p := range []int{plain, h2c} {
		files[p] = writeFile(t, dir, fmt.Sprintf("t%d.txt", p), fmt.Sprintf("GET http://127.0.0.1:%[1]d/a\n\nGET https://127.0.0.1:%[2]d/b\n\nGET http://127.0.0.1:%[1]d/c\n", p, secure))
		want[p] = fmt.Sprint(map[string]int{fmt.Sprintf("%d /a", p): 200, fmt.Sprintf("%d /b", secure): 200, fmt.Sprintf("%d /c", p): 200})
	}
	seen := 0
	for _, tc := range []struct {
		name   string
		port   int
		args   []string
		shards []string
	}{
		{"loop+goroutine", plain, nil, []string{""}},
		{"shards", plain, nil, []string{"0/2", "1/2"}},
		{"h2", h2c, []string{"--http2"}, []string{"0/2", "1/2"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, sh := range tc.shards {
				args := append([]string{"--targets", files[tc.port], "-n", "600", "-t2", "-c4", "--cacert", cert}, tc.args...)
				if sh != "" {
					args = append(args, "--shard", sh)
				}
				if _, requests, errs := jsonCounts(t, args...); requests != 600/uint64(len(tc.shards)) {
					t.Fatalf("gowrk %v: %d requests answered: %s", args, requests, errs)
				}
			}
			var lines []string
			for wait := time.Now().Add(3 * time.Second); ; time.Sleep(10 * time.Millisecond) {
				var all int
				lines, all = accessLines(t, logf, seen)
				if len(lines) >= 600 || time.Now().After(wait) {
					seen = all
					break
				}
			}
			got := map[string]int{}
			for _, l := range lines {
				got[strings.TrimSpace(l)]++
			}
			if fmt.Sprint(got) != want[tc.port] {
				t.Errorf("nginx's access log counts %v; want %v", got, want[tc.port])
			}
		})
	}
}

// TestTargetsOriginsConnectTo: two origins by name, each sent by
// --connect-to to its own loopback server: each server sees only its
// origin's requests, with that origin's Host, in its targets' share.
func TestTargetsOriginsConnectTo(t *testing.T) {
	var mu sync.Mutex
	n := map[string]int{}
	var srv [2]*httptest.Server
	for i := range srv {
		srv[i] = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			n[fmt.Sprintf("%d %s%s", i, r.Host, r.URL.Path)]++
			mu.Unlock()
		}))
		t.Cleanup(srv[i].Close)
	}
	file := writeFile(t, t.TempDir(), "t.txt", "GET http://web.test/a\n\nGET http://api.test:8080/b\n\nGET http://web.test/c\n")
	to := func(from string, s *httptest.Server) string { return from + ":" + strings.TrimPrefix(s.URL, "http://") }
	code, _, errOut := gowrk(t, "--targets", file, "-n", "300", "-t1", "-c3", "--connect-to", to("web.test:80", srv[0]), "--connect-to", to("api.test:8080", srv[1]))
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	mu.Lock()
	defer mu.Unlock()
	if want := map[string]int{"0 web.test/a": 100, "1 api.test:8080/b": 100, "0 web.test/c": 100}; fmt.Sprint(n) != fmt.Sprint(want) {
		t.Errorf("the servers saw %v; want %v", n, want)
	}
}

// TestTargetsOriginsProxy: targets on two https:// origins (one nginx
// server by two names) through tinyproxy: each origin's connections go
// through a CONNECT tunnel to that origin, and nginx serves every request.
func TestTargetsOriginsProxy(t *testing.T) {
	proxyPort, logFile := startTinyproxy(t)
	p := startNginx(t)
	proxy := fmt.Sprintf("http://user:%s@127.0.0.1:%d", proxySecret, proxyPort)
	file := writeFile(t, t.TempDir(), "t.txt", fmt.Sprintf("GET https://localhost:%[1]d/a\n\nGET https://127.0.0.1:%[1]d/b\n", p.tls))
	req0 := nginxRequests(t, p.status)
	counts, requests, errs := jsonCounts(t, "--targets", file, "-t1", "-c2", "-n", "60", "--proxy", proxy, "--cacert", p.certFile)
	if served := nginxRequests(t, p.status) - req0 - 1; requests != 60 || served != 60 {
		t.Errorf("gowrk reports %d requests, nginx served %d; want 60 both (%s)", requests, served, errs)
	}
	b, err := os.ReadFile(logFile)
	if err != nil {
		t.Fatal(err)
	}
	byName := strings.Count(string(b), fmt.Sprintf("CONNECT localhost:%d", p.tls))
	byAddr := strings.Count(string(b), fmt.Sprintf("CONNECT 127.0.0.1:%d", p.tls))
	if byName == 0 || byAddr == 0 || uint64(byName+byAddr) != counts["opened_connections"] {
		t.Errorf("tinyproxy logged %d CONNECTs to localhost and %d to 127.0.0.1; want some to each, one per connection opened (%d)", byName, byAddr, counts["opened_connections"])
	}
}

// TestTargetsOriginsUnixSocket: one unix socket cannot be two origins:
// one line, exit 2, before any load.
func TestTargetsOriginsUnixSocket(t *testing.T) {
	dir := t.TempDir()
	sock := filepath.Join(dir, "s.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	file := writeFile(t, dir, "t.txt", "GET http://a.test/\n\nGET http://b.test/\n")
	code, out, errOut := gowrk(t, "--targets", file, "-n", "1", "--unix-socket", sock)
	if want := "--unix-socket sends every connection to one socket; the targets of " + file + " are on 2 origins"; code != exitBadInput || out != "" || !strings.Contains(errOut, want) || strings.Count(strings.TrimSpace(errOut), "\n") > 0 {
		t.Errorf("exit %d, stdout %q, stderr %q; want exit 2 and one line with %q", code, out, errOut, want)
	}
}
