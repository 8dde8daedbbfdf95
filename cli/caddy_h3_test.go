package cli

// HTTP/3 against a real server: Caddy from Debian (2.6.2 serves HTTP/3 on
// UDP beside HTTP/2 on TCP with `servers { protocols h1 h2 h3 }`). Its
// access log is the server's count. Skipped, with a reason, where caddy is
// missing; scripts/install-test-deps.sh installs it.

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// caddyServer is a Caddy on loopback serving "hello" over HTTP/1.1, HTTP/2
// and HTTP/3 on one port (TCP and UDP), with a certificate for localhost
// and 127.0.0.1 in certFile and a JSON access log.
type caddyServer struct {
	port      int
	certFile  string
	accessLog string
}

func startCaddy(t *testing.T) caddyServer {
	t.Helper()
	bin, err := exec.LookPath("caddy")
	if err != nil {
		t.Skip("caddy is not installed (apt-get install caddy); scripts/install-test-deps.sh installs it")
	}
	dir := t.TempDir()
	c := caddyServer{port: freePort(t), certFile: filepath.Join(dir, "cert.pem"), accessLog: filepath.Join(dir, "access.log")}
	keyFile := filepath.Join(dir, "key.pem")
	writeSelfSigned(t, c.certFile, keyFile)
	conf := fmt.Sprintf(`{
	admin off
	auto_https disable_redirects
	skip_install_trust
	servers {
		protocols h1 h2 h3
	}
}
https://localhost:%[1]d {
	tls %[2]s %[3]s
	log {
		output file %[4]s
		format json
	}
	respond "hello" 200
}
`, c.port, c.certFile, keyFile, c.accessLog)
	path := filepath.Join(dir, "Caddyfile")
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "run", "--config", path, "--adapter", "caddyfile")
	cmd.Env = append(os.Environ(), "HOME="+dir, "XDG_DATA_HOME="+dir, "XDG_CONFIG_HOME="+dir)
	startProcess(t, cmd)
	waitListening(t, fmt.Sprintf("127.0.0.1:%d", c.port), 15*time.Second)
	return c
}

// h3Served counts the HTTP/3 requests in Caddy's access log; it waits for
// the log to stop growing (Caddy writes it after each response).
func (c caddyServer) h3Served(t *testing.T) int {
	t.Helper()
	last := -1
	for range 50 {
		b, _ := os.ReadFile(c.accessLog)
		n := bytes.Count(b, []byte(`"proto":"HTTP/3.0"`))
		if n == last {
			return n
		}
		last = n
		time.Sleep(100 * time.Millisecond)
	}
	return last
}

// TestHTTP3Caddy: --http3 against Caddy sends exactly what Caddy logs,
// -n bounded, over -c connections x --streams; an IP URL without --sni
// gets the one line that says to pass it.
func TestHTTP3Caddy(t *testing.T) {
	c := startCaddy(t)
	url := fmt.Sprintf("https://localhost:%d/", c.port)
	code, out, errs := gowrk(t, "--http3", "--cacert", c.certFile, "-t2", "-c4", "--streams", "5", "-n", "3000", "-f", "json", url)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if served := c.h3Served(t); !strings.Contains(out, `"requests": 3000,`) || served != 3000 {
		t.Errorf("Caddy logged %d HTTP/3 requests; gowrk's report: %.600s", served, out)
	}
	if !strings.Contains(out, `"protocol": "h3"`) || !strings.Contains(out, `"handshakes": 4,`) {
		t.Errorf("the report does not say h3 over 4 QUIC connections: %.1500s", out)
	}

	// The CSV report carries the same QUIC figures, in its quic_ and udp_
	// columns: one handshake per connection, packets sent, the buffers.
	before := c.h3Served(t)
	code, out, errs = gowrk(t, "--http3", "--cacert", c.certFile, "-t1", "-c3", "-n", "300", "-f", "csv", url)
	rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if code != 0 || err != nil || len(rows) != 2 {
		t.Fatalf("CSV run: exit %d, %v, %d rows: %s", code, err, len(rows), errs)
	}
	col := map[string]string{}
	for i, name := range rows[0] {
		col[name] = rows[1][i]
	}
	if served := c.h3Served(t) - before; served != 300 || col["requests"] != "300" || col["quic_handshakes"] != "3" ||
		col["quic_packets_sent"] == "0" || col["udp_recv_buffer"] == "0" || col["udp_buffer_wanted"] != "7340032" {
		t.Errorf("CSV over HTTP/3: Caddy logged %d; requests %s, quic_handshakes %s (want 3), quic_packets_sent %s, udp_recv_buffer %s, udp_buffer_wanted %s",
			served, col["requests"], col["quic_handshakes"], col["quic_packets_sent"], col["udp_recv_buffer"], col["udp_buffer_wanted"])
	}

	// A script with a dynamic request() runs one interpreter per stream
	// slot: -c2 --streams 3 is six threads, each numbering its own requests.
	script := filepath.Join(t.TempDir(), "post.lua")
	os.WriteFile(script, []byte(`local n = 0
request = function() n = n + 1; return wrk.format("POST", "/p?n=" .. n, nil, "body") end
`), 0o644)
	before = c.h3Served(t)
	code, _, errs = gowrk(t, "--http3", "--cacert", c.certFile, "-t2", "-c2", "--streams", "3", "-n", "60", "-s", script, url)
	b, _ := os.ReadFile(c.accessLog)
	if served := c.h3Served(t) - before; code != 0 || served != 60 || bytes.Count(b, []byte(`"uri":"/p?n=1"`)) != 6 {
		t.Errorf("script over --streams 3: exit %d, Caddy logged %d, /p?n=1 %d times (want 60 and 6): %s", code, served, bytes.Count(b, []byte(`"uri":"/p?n=1"`)), errs)
	}

	ipURL := fmt.Sprintf("https://127.0.0.1:%d/", c.port)
	code, out, errs = gowrk(t, "--http3", "--cacert", c.certFile, "-c1", "-t1", "-d1s", ipURL)
	if code == 0 || !strings.Contains(errs, "--sni") || strings.Count(strings.TrimSpace(errs), "\n") != 0 || out != "" {
		t.Errorf("an IP URL without SNI: exit %d, stderr %q, stdout %.200q; want one line naming --sni", code, errs, out)
	}
	code, _, errs = gowrk(t, "--http3", "--cacert", c.certFile, "--sni", "localhost", "-c1", "-t1", "-n", "10", ipURL)
	if code != 0 {
		t.Errorf("an IP URL with --sni localhost: exit %d: %s", code, errs)
	}
}

// TestHTTP3Refusals: --http3 against nothing on UDP, or with flags it
// cannot take, is one line and the right exit code, before any load.
func TestHTTP3Refusals(t *testing.T) {
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	closed := fmt.Sprintf("https://localhost:%d/", c.LocalAddr().(*net.UDPAddr).Port)
	c.Close()
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--http3", "-t1", "-c1", "-d2s", closed}, exitFailed, "nothing listens on UDP port"},
		{[]string{"--h3", "-t1", "-c1", "-d2s", "http://localhost:1/"}, exitBadInput, "--http3 needs an https:// URL"},
		{[]string{"--http3", "--http2", "-t1", "-c1", "-d2s", closed}, exitBadInput, "give one protocol"},
		{[]string{"--http3", "-P", "4", "-t1", "-c1", "-d2s", closed}, exitBadInput, "use --streams"},
	} {
		code, out, errs := gowrk(t, tc.args...)
		if code != tc.code || !strings.Contains(errs, tc.want) || strings.Count(strings.TrimSpace(errs), "\n") != 0 || out != "" {
			t.Errorf("%v: exit %d, stderr %q, stdout %.200q; want exit %d and one line with %q", tc.args, code, errs, out, tc.code, tc.want)
		}
	}
}
