package cli

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// proxySecret is the test proxy's password: it must show nowhere.
const proxySecret = "pr0xy-s3cret"

// startTinyproxy starts Debian's tinyproxy on loopback, asking for Basic
// credentials (user:proxySecret), logging every request it forwards to
// the file it returns. The test skips without tinyproxy.
func startTinyproxy(t *testing.T) (port int, logFile string) {
	t.Helper()
	bin, err := exec.LookPath("tinyproxy")
	if err != nil {
		if _, err = os.Stat("/usr/bin/tinyproxy"); err != nil {
			t.Skip("tinyproxy is not installed (apt-get install tinyproxy); scripts/install-test-deps.sh installs it")
		}
		bin = "/usr/bin/tinyproxy"
	}
	dir := t.TempDir()
	port, logFile = freePort(t), filepath.Join(dir, "tinyproxy.log")
	conf := fmt.Sprintf(`Port %d
Listen 127.0.0.1
Timeout 30
MaxClients 100
LogLevel Info
LogFile "%s"
PidFile "%s/tinyproxy.pid"
Allow 127.0.0.1
BasicAuth user %s
`, port, logFile, dir, proxySecret)
	path := filepath.Join(dir, "tinyproxy.conf")
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	startProcess(t, exec.Command(bin, "-d", "-c", path))
	waitListening(t, fmt.Sprintf("127.0.0.1:%d", port), 10*time.Second)
	return port, logFile
}

// proxyLog counts the requests tinyproxy logged: absolute-form GETs and
// CONNECTs.
func proxyLog(t *testing.T, path string) (gets, connects int) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Count(string(b), "): GET http://"), strings.Count(string(b), "): CONNECT ")
}

// TestTransportProxy: through tinyproxy, http:// requests go in absolute
// form (loop and goroutine engines) and https:// ones (HTTP/1.1 and
// HTTP/2) in CONNECT tunnels with TLS to the origin; nginx serves exactly
// the requests gowrk reports, the proxy logs one GET per request or one
// CONNECT per connection, and the proxy's password shows nowhere. Wrong
// credentials stop the run with one line.
func TestTransportProxy(t *testing.T) {
	proxyPort, logFile := startTinyproxy(t)
	p := startNginx(t)
	proxy := fmt.Sprintf("http://user:%s@127.0.0.1:%d", proxySecret, proxyPort)
	for _, tc := range []struct {
		name   string
		args   []string
		tunnel bool
	}{
		{"http loop", []string{"--engine", "loop", fmt.Sprintf("http://127.0.0.1:%d/", p.h1)}, false},
		{"http goroutine", []string{"--engine", "goroutine", fmt.Sprintf("http://127.0.0.1:%d/", p.h1)}, false},
		{"https", []string{"--cacert", p.certFile, fmt.Sprintf("https://localhost:%d/", p.tls)}, true},
		{"https h2", []string{"--http2", "--cacert", p.certFile, fmt.Sprintf("https://localhost:%d/", p.tls)}, true},
		{"h2c", []string{"--h2c", fmt.Sprintf("http://127.0.0.1:%d/", p.h2c)}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			gets0, connects0 := proxyLog(t, logFile)
			req0 := nginxRequests(t, p.status)
			counts, requests, errs := jsonCounts(t, append([]string{"-t1", "-c2", "-n", "60", "--proxy", proxy}, tc.args...)...)
			served := nginxRequests(t, p.status) - req0 - 1
			if requests != 60 || served != 60 {
				t.Errorf("gowrk reports %d requests, nginx served %d; want 60 both", requests, served)
			}
			gets, connects := proxyLog(t, logFile)
			gets, connects = gets-gets0, connects-connects0
			if tc.tunnel && (gets != 0 || uint64(connects) != counts["opened_connections"]) {
				t.Errorf("tinyproxy logged %d GETs and %d CONNECTs; want none and one per connection opened (%d)", gets, connects, counts["opened_connections"])
			}
			// (tinyproxy closes a client's connection after each request:
			// gowrk's next request on it meets the close, and goes out on
			// a new connection, a reconnect the proxy never saw.)
			if !tc.tunnel && (connects != 0 || gets != 60) {
				t.Errorf("tinyproxy logged %d GETs and %d CONNECTs; want one GET per request (60), no CONNECT", gets, connects)
			}
			if strings.Contains(errs, proxySecret) {
				t.Errorf("the proxy's password shows on stderr: %s", errs)
			}
		})
	}
	t.Run("wrong credentials", func(t *testing.T) {
		bad := fmt.Sprintf("http://user:wrong-%s@127.0.0.1:%d", proxySecret, proxyPort)
		code, out, errs := gowrk(t, "-t1", "-c2", "-d1s", "--proxy", bad, "--cacert", p.certFile, fmt.Sprintf("https://localhost:%d/", p.tls))
		if code == 0 || !strings.Contains(errs, "the proxy refused CONNECT") || strings.Contains(out+errs, proxySecret) {
			t.Errorf("exit %d, stderr %q; want a failure naming the proxy's refusal, without the password", code, errs)
		}
	})
}
