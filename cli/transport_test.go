package cli

// The transports against real components: nginx listening on unix sockets
// (HTTP/1.1 and h2c) and on TCP, its counts from stub_status and its
// access log ($remote_addr, $host); tinyproxy in transport_proxy_test.go.

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gowrk/gowrk/loadgen/testserver"
)

// transportNginx is the test's nginx: the same location on a unix socket
// (HTTP/1.1), a unix socket (h2c) and TCP, an access log of every request
// ("remote_addr host"), and stub_status on TCP.
type transportNginx struct {
	h1Sock, h2cSock string
	tcp, status     int
	accessLog       string
}

func startTransportNginx(t *testing.T) transportNginx {
	t.Helper()
	bin := nginxBin(t)
	dir := t.TempDir()
	n := transportNginx{h1Sock: filepath.Join(dir, "h1.sock"), h2cSock: filepath.Join(dir, "h2c.sock"),
		tcp: freePort(t), status: freePort(t), accessLog: filepath.Join(dir, "access.log")}
	conf := fmt.Sprintf(nginxPrelude+`
  log_format who '$remote_addr $host';
  server {
    listen unix:%[2]s;
    listen unix:%[3]s http2;
    listen 127.0.0.1:%[4]d;
    access_log %[6]s who;
    location / { default_type text/plain; return 200 "Hello, World!"; }
  }
  server {
    listen 127.0.0.1:%[5]d;
    access_log off;
    location / { stub_status; }
  }
}
`, dir, n.h1Sock, n.h2cSock, n.tcp, n.status, n.accessLog)
	path := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	startProcess(t, exec.Command(bin, "-c", path, "-p", dir, "-e", filepath.Join(dir, "error.log")))
	for _, port := range []int{n.tcp, n.status} {
		waitListening(t, fmt.Sprintf("127.0.0.1:%d", port), 10*time.Second)
	}
	return n
}

// nginxPrelude begins a test nginx's configuration, its files under the
// folder %[1]s, up to the inside of its http block: one worker, in the
// foreground, keep-alive without a request limit.
const nginxPrelude = `daemon off;
master_process on;
worker_processes 1;
pid %[1]s/nginx.pid;
error_log %[1]s/error.log warn;
events { worker_connections 4096; }
http {
  client_body_temp_path %[1]s/body;
  proxy_temp_path %[1]s/proxy;
  fastcgi_temp_path %[1]s/fastcgi;
  uwsgi_temp_path %[1]s/uwsgi;
  scgi_temp_path %[1]s/scgi;
  keepalive_requests 1000000;`

// nginxBin is nginx's path; the test skips without it.
func nginxBin(t *testing.T) string {
	t.Helper()
	if bin, err := exec.LookPath("nginx"); err == nil {
		return bin
	}
	if _, err := os.Stat("/usr/sbin/nginx"); err != nil {
		t.Skip("nginx is not installed (apt-get install nginx-light); .ci/run installs it")
	}
	return "/usr/sbin/nginx"
}

// accessLines are the access log's lines from line from on, and how many
// there are in all (nginx writes each when its request ends).
func accessLines(t *testing.T, path string, from int) ([]string, int) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(b) == 0 {
		lines = nil
	}
	return lines[min(from, len(lines)):], len(lines)
}

// jsonCounts runs gowrk with -f json and returns its counts and
// "requests"; a failed run fails the test.
func jsonCounts(t *testing.T, args ...string) (counts map[string]uint64, requests uint64, stderr string) {
	t.Helper()
	code, out, errs := gowrk(t, append([]string{"-f", "json", "-q"}, args...)...)
	if code != 0 {
		t.Fatalf("gowrk %s: exit %d: %s", strings.Join(args, " "), code, errs)
	}
	var rep struct {
		Requests uint64            `json:"requests"`
		Counts   map[string]uint64 `json:"counts"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("report: %v\n%s", err, out)
	}
	return rep.Counts, rep.Requests, errs
}

// TestTransportNginx: over a unix socket (loop, goroutine, h2c), through
// a --connect-to mapping, and from --local-addr source addresses, nginx
// serves exactly the requests gowrk reports, with the URL's Host, from
// the addresses given; under --no-keepalive it accepts one connection per
// request, and gowrk's opened_connections says so.
func TestTransportNginx(t *testing.T) {
	n := startTransportNginx(t)
	tcpURL := fmt.Sprintf("http://127.0.0.1:%d/", n.tcp)
	for _, tc := range []struct {
		name  string
		args  []string
		host  string   // the Host nginx must see
		from  []string // the source addresses it must see (all of them, and no other)
		conns uint64   // connections nginx must accept (0: not checked)
	}{
		{name: "unix loop", args: []string{"--engine", "loop", "--unix-socket", n.h1Sock, "http://gowrk.test/"}, host: "gowrk.test", from: []string{"unix:"}},
		{name: "unix goroutine", args: []string{"--engine", "goroutine", "--unix-socket", n.h1Sock, "http://gowrk.test/"}, host: "gowrk.test", from: []string{"unix:"}},
		{name: "unix h2c", args: []string{"--h2c", "--streams", "4", "--unix-socket", n.h2cSock, "http://gowrk.test/"}, host: "gowrk.test", from: []string{"unix:"}},
		{name: "connect-to loop", args: []string{"--engine", "loop", "--connect-to", fmt.Sprintf("example.test:80:127.0.0.1:%d", n.tcp), "http://example.test/"}, host: "example.test"},
		{name: "connect-to goroutine", args: []string{"--engine", "goroutine", "--connect-to", fmt.Sprintf("example.test:80:127.0.0.1:%d", n.tcp), "http://example.test/"}, host: "example.test"},
		{name: "local-addr loop", args: []string{"--engine", "loop", "--local-addr", "127.0.0.2,127.0.0.3", tcpURL}, from: []string{"127.0.0.2", "127.0.0.3"}},
		{name: "local-addr goroutine", args: []string{"--engine", "goroutine", "--local-addr", "127.0.0.2,127.0.0.3", tcpURL}, from: []string{"127.0.0.2", "127.0.0.3"}},
		{name: "no-keepalive loop", args: []string{"--engine", "loop", "--no-keepalive", tcpURL}, conns: 400},
		{name: "no-keepalive goroutine", args: []string{"--engine", "goroutine", "--no-keepalive", tcpURL}, conns: 400},
		{name: "no-keepalive unix", args: []string{"--no-keepalive", "--unix-socket", n.h1Sock, "http://gowrk.test/"}, conns: 400, from: []string{"unix:"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, line0 := accessLines(t, n.accessLog, 0)
			acc0, req0 := nginxCounters(t, n.status)
			counts, requests, _ := jsonCounts(t, append([]string{"-t2", "-c4", "-n", "400"}, tc.args...)...)
			acc1, req1 := nginxCounters(t, n.status)
			if served := req1 - req0 - 1; requests != 400 || served != 400 {
				t.Errorf("gowrk reports %d requests, nginx served %d; want 400 both", requests, served)
			}
			opened := counts["opened_connections"]
			if accepted := uint64(acc1 - acc0 - 1); accepted != opened {
				t.Errorf("nginx accepted %d connections, gowrk says it opened %d", accepted, opened)
			}
			if tc.conns > 0 && opened != tc.conns {
				t.Errorf("--no-keepalive opened %d connections for %d requests; want one each", opened, tc.conns)
			}
			if tc.conns == 0 && opened != 4 {
				t.Errorf("keep-alive opened %d connections; want -c 4", opened)
			}
			checkAccessLog(t, n.accessLog, line0, tc.host, tc.from)
		})
	}
}

// checkAccessLog checks the access log's lines from line0 on: 400 of them,
// each with Host host (unless ""), from the addresses from, each of them
// seen (unless nil).
func checkAccessLog(t *testing.T, path string, line0 int, host string, from []string) {
	t.Helper()
	var lines []string
	for range 50 { // nginx logs a request as it ends, which may trail the report
		if lines, _ = accessLines(t, path, line0); len(lines) >= 400 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if len(lines) != 400 {
		t.Fatalf("nginx logged %d requests, want 400", len(lines))
	}
	seen := map[string]int{}
	for _, l := range lines {
		addr, h, _ := strings.Cut(l, " ")
		if host != "" && h != host {
			t.Fatalf("nginx saw Host %q, want %q (access log: %q)", h, host, l)
		}
		seen[addr]++
	}
	if from == nil {
		return
	}
	for _, a := range from {
		if seen[a] == 0 {
			t.Errorf("nginx saw no request from %s; it saw %v", a, seen)
		}
	}
	if len(seen) != len(from) {
		t.Errorf("nginx saw requests from %v, want only %v", seen, from)
	}
}

// TestTransportBadInput: each transport flag's bad value, or a mix that
// cannot go together, is one line naming the flag, exit 2, and a proxy's
// password shows in none.
func TestTransportBadInput(t *testing.T) {
	notSock := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(notSock, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--unix-socket", "/no/such/socket"}, `--unix-socket "/no/such/socket": no such file or directory`},
		{[]string{"--unix-socket", notSock}, "not a socket"},
		{[]string{"--connect-to", "example.com:80"}, "want HOST:PORT:ADDR:PORT"},
		{[]string{"--connect-to", "a:99999:b:80"}, "want HOST:PORT:ADDR:PORT"},
		{[]string{"--proxy", "ftp://user:hunter2@proxy:21"}, `scheme "ftp"`},
		{[]string{"--proxy", "http://user:hunter2@proxy:3128/path"}, "no path or query"},
		{[]string{"--local-addr", "127.0.0.2,nope"}, `--local-addr "nope"`},
		{[]string{"--local-addr", "::1"}, "not of the target's address family"},
		{[]string{"--no-keepalive", "--http2"}, "--no-keepalive is for HTTP/1.1"},
		{[]string{"--no-keepalive", "-P", "4"}, "a pipeline needs a connection that stays open"},
		{[]string{"--proxy", "127.0.0.1:3128", "--connect-to", "a:80:b:80"}, "give one of them"},
		{[]string{"--http3", "--no-keepalive", "https://127.0.0.1:1/"}, "--http3 runs over UDP"},
		{[]string{"--http3", "--local-addr", "127.0.0.2", "https://127.0.0.1:1/"}, "--http3 runs over UDP"},
		{[]string{"--http3", "--proxy", "127.0.0.1:3128", "https://127.0.0.1:1/"}, "--http3 runs over UDP"},
	} {
		args := tc.args
		if !strings.HasPrefix(args[len(args)-1], "https://") {
			args = append(args, "http://127.0.0.1:1/")
		}
		code, out, errs := gowrk(t, args...)
		if code != 2 || out != "" || !strings.Contains(errs, tc.want) || strings.Count(strings.TrimSpace(errs), "\n") > 0 {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want exit 2 and one line with %q", tc.args, code, out, errs, tc.want)
		}
		if strings.Contains(errs, "hunter2") {
			t.Errorf("%v: the proxy's password shows: %q", tc.args, errs)
		}
	}
}

// TestTransportUnreachable: when nothing answers where the route goes,
// the stop line names that place (the proxy, without its password; the
// mapped address), beside the URL's host.
func TestTransportUnreachable(t *testing.T) {
	closed := strings.TrimSuffix(strings.TrimPrefix(testserver.ClosedPortURL(t), "http://"), "/")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--proxy", "http://user:hunter2@" + closed, "http://origin.test/"}, "cannot connect to the proxy " + closed + " (for origin.test)"},
		{[]string{"--connect-to", "origin.test:80:" + closed, "http://origin.test/"}, "cannot connect to " + closed + " (for origin.test)"},
	} {
		code, _, errs := gowrk(t, append([]string{"-q", "-t1", "-c1", "-d2s"}, tc.args...)...)
		if code != 1 || !strings.Contains(errs, tc.want) || strings.Contains(errs, "hunter2") {
			t.Errorf("%v: exit %d, stderr %q; want exit 1 and %q", tc.args, code, errs, tc.want)
		}
	}
	// Without -q the start note says where the load goes, and that the
	// proxy is measured too.
	_, _, errs := gowrk(t, "-t1", "-c1", "-d1s", "--proxy", "http://user:hunter2@"+closed, "http://origin.test/")
	if want := "connecting to the proxy " + closed + " (for origin.test): the proxy is part of what is measured"; !strings.Contains(errs, want) || strings.Contains(errs, "hunter2") {
		t.Errorf("stderr %q; want the note %q", errs, want)
	}
}
