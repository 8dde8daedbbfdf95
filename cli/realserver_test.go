package cli

// Tests against real servers from Debian: nginx (nginx-light) and a FastAPI
// app under uvicorn (python3-fastapi, python3-uvicorn). .ci/run installs
// them; on a machine without them these tests skip and say what to install.

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func waitListening(t *testing.T, addr string, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		if c, err := net.DialTimeout("tcp", addr, 100*time.Millisecond); err == nil {
			c.Close()
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("nothing listens on %s after %s", addr, within)
}

// startProcess runs cmd in a process group of its own, its output in a log
// file that the test prints if it fails, and kills the whole group (nginx's
// workers too) when the test ends.
func startProcess(t *testing.T, cmd *exec.Cmd) {
	t.Helper()
	logf, err := os.CreateTemp(t.TempDir(), "server-*.log")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { logf.Close() })
	startProcessTo(t, cmd, logf)
}

// startProcessTo is startProcess with the output in logf.
func startProcessTo(t *testing.T, cmd *exec.Cmd, logf *os.File) {
	t.Helper()
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		cmd.Wait()
		if t.Failed() {
			b, _ := os.ReadFile(logf.Name())
			if len(b) > 8000 {
				b = b[len(b)-8000:]
			}
			t.Logf("%s output:\n%s", cmd.Path, b)
		}
	})
}

// nginxPorts are the ports of the test's nginx: HTTP/1.1, h2c, HTTP/2 over
// TLS (certificate in certFile, for 127.0.0.1) and stub_status.
type nginxPorts struct {
	h1, h2c, tls, status int
	certFile             string
}

// startNginx starts nginx on loopback with one worker, a keep-alive
// "Hello, World!" location on HTTP/1.1, h2c and TLS, and stub_status.
func startNginx(t *testing.T) nginxPorts {
	t.Helper()
	bin := nginxBin(t)
	dir := t.TempDir()
	p := nginxPorts{h1: freePort(t), h2c: freePort(t), tls: freePort(t), status: freePort(t)}
	p.certFile = filepath.Join(dir, "cert.pem")
	keyFile := filepath.Join(dir, "key.pem")
	writeSelfSigned(t, p.certFile, keyFile)
	conf := fmt.Sprintf(nginxPrelude+`
  access_log off;
  server {
    listen 127.0.0.1:%[2]d;
    listen 127.0.0.1:%[3]d http2;
    listen 127.0.0.1:%[4]d ssl http2;
    ssl_certificate %[6]s;
    ssl_certificate_key %[7]s;
    location / { default_type text/plain; return 200 "Hello, World!"; }
  }
  server {
    listen 127.0.0.1:%[5]d;
    location / { stub_status; }
  }
}
`, dir, p.h1, p.h2c, p.tls, p.status, p.certFile, keyFile)
	path := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	startProcess(t, exec.Command(bin, "-c", path, "-p", dir, "-e", filepath.Join(dir, "error.log")))
	for _, port := range []int{p.h1, p.h2c, p.tls, p.status} {
		waitListening(t, fmt.Sprintf("127.0.0.1:%d", port), 10*time.Second)
	}
	return p
}

// writeSelfSigned writes a self-signed certificate for 127.0.0.1 and
// localhost, and its key, as PEM files.
func writeSelfSigned(t *testing.T, certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "gowrk test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, DNSNames: []string{"localhost"},
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true, IsCA: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
		t.Fatal(err)
	}
}

// nginxRequests reads stub_status's request counter (which counts the
// stub_status request itself).
func nginxRequests(t *testing.T, statusPort int) int64 {
	_, requests := nginxCounters(t, statusPort)
	return requests
}

// nginxCounters reads stub_status's accepted connections and requests; each
// read opens one connection and makes one request of its own.
func nginxCounters(t *testing.T, statusPort int) (accepts, requests int64) {
	t.Helper()
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := client.Get(fmt.Sprintf("http://127.0.0.1:%d/", statusPort))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		// " 4 4 120 " follows the "server accepts handled requests" line.
		if strings.HasPrefix(sc.Text(), "server accepts") && sc.Scan() {
			f := strings.Fields(sc.Text())
			a, err1 := strconv.ParseInt(f[0], 10, 64)
			r, err2 := strconv.ParseInt(f[len(f)-1], 10, 64)
			if err1 != nil || err2 != nil {
				t.Fatalf("stub_status %q", sc.Text())
			}
			return a, r
		}
	}
	t.Fatal("no counters in stub_status")
	return 0, 0
}

// TestNginx: gowrk's request count is nginx's own, over HTTP/1.1, h2c and
// HTTP/2 over TLS; and under --http2 exactly -c connections are opened.
func TestNginx(t *testing.T) {
	p := startNginx(t)
	statusPort := p.status
	url := fmt.Sprintf("http://127.0.0.1:%d/", p.h1)
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"http/1.1", []string{url}},
		{"h2c", []string{"--h2c", "--streams", "10", fmt.Sprintf("http://127.0.0.1:%d/", p.h2c)}},
		{"h2-tls", []string{"--http2", "--streams", "10", "--cacert", p.certFile, fmt.Sprintf("https://127.0.0.1:%d/", p.tls)}},
		{"http/1.1-tls", []string{"--cacert", p.certFile, fmt.Sprintf("https://localhost:%d/", p.tls)}},
	} {
		t.Run("requests "+tc.name, func(t *testing.T) {
			acc0, req0 := nginxCounters(t, statusPort)
			code, out, errs := gowrk(t, append([]string{"-t2", "-c20", "-n", "20000", "-f", "json"}, tc.args...)...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errs)
			}
			acc1, req1 := nginxCounters(t, statusPort)
			if served := req1 - req0 - 1; !strings.Contains(out, `"requests": 20000,`) || served != 20000 {
				t.Errorf("nginx served %d requests; gowrk's report: %s", served, out[:min(len(out), 600)])
			}
			if conns := acc1 - acc0 - 1; conns != 20 {
				t.Errorf("nginx accepted %d connections, want exactly -c 20", conns)
			}
		})
	}
	t.Run("duration", func(t *testing.T) {
		before := nginxRequests(t, statusPort)
		code, out, errs := gowrk(t, "-t2", "-c20", "-d", "2s", "-f", "csv", url)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errs)
		}
		served := nginxRequests(t, statusPort) - before - 1
		rows := strings.Split(strings.TrimSpace(out), "\n")
		cols, vals := strings.Split(rows[0], ","), strings.Split(rows[1], ",")
		get := func(name string) int64 {
			for i, c := range cols {
				if c == name {
					n, _ := strconv.ParseInt(vals[i], 10, 64)
					return n
				}
			}
			t.Fatalf("no column %s", name)
			return 0
		}
		completed, inFlight := get("requests"), get("in_flight_at_stop")
		// nginx counts a request when it has read it: the completed ones,
		// and any of those cut off by the stop that had reached it.
		if served < completed || served > completed+inFlight || completed == 0 {
			t.Errorf("nginx served %d; gowrk completed %d with %d in flight", served, completed, inFlight)
		}
	})
}

// TestFastAPISync1: a sync FastAPI endpoint that sleeps 1 s serves about
// 40 requests/s (anyio's thread pool of 40). With 200 connections and a 2 s
// timeout most requests wait past the timeout; gowrk keeps waiting (as wrk
// does), so it counts what the server really served and reports the pool's
// rate, with the timeout line in plain words. The truth is the app's own
// count of finished responses.
func TestFastAPISync1(t *testing.T) {
	base := startFastAPI(t)
	began := time.Now()
	code, out, errs := gowrk(t, "-t2", "-c200", "-d", "5s", "--timeout", "2s", "-f", "json", base+"/sync_1")
	if el := time.Since(began); el > 10*time.Second { // a hang bound
		t.Errorf("run took %s, want at most duration + timeout + 3s", el)
	}
	var r jsonRun
	if err := json.Unmarshal([]byte(out), &r); err != nil || code != 0 {
		t.Fatalf("exit %d, %v: %s %s", code, err, out, errs)
	}
	served := fastAPICount(t, base, "sync_1")
	t.Logf("gowrk: %d completed, %d in flight, timeouts %+v; the app finished %d", r.Requests, r.InFlight, r.Timeouts, served)
	// The app finished every response gowrk read, and any of those in
	// flight at the stop that it finished as gowrk closed the connections.
	if served < int64(r.Requests) || served > int64(r.Requests+r.InFlight) {
		t.Errorf("the app finished %d, gowrk completed %d with %d in flight", served, r.Requests, r.InFlight)
	}
	// The pool's rate: 40/s from the first second on (the first answers
	// come at 1 s), 160 in 5 s; at least 70% of it on a loaded machine.
	if r.Requests < 110 || r.Timeouts.Abandoned != 0 || r.Timeouts.Late == 0 {
		t.Errorf("completed %d (want about 160), timeouts %+v (want late answers, none abandoned)", r.Requests, r.Timeouts)
	}
	if !strings.Contains(errs, "passed --timeout 2s") || !strings.Contains(errs, "were answered late") {
		t.Errorf("stderr lacks the timeout line: %q", errs)
	}
}

// startFastAPI starts the project's FastAPI app (testdata/fastapi_app.py)
// under uvicorn on a free loopback port, stopped at the test's end, and
// returns its base URL; it skips the test where FastAPI or uvicorn is
// missing.
func startFastAPI(t *testing.T) string {
	t.Helper()
	py := "/usr/bin/python3"
	if err := exec.Command(py, "-c", "import fastapi, uvicorn").Run(); err != nil {
		t.Skip("FastAPI and uvicorn are not installed (apt-get install python3-fastapi python3-uvicorn); .ci/run installs them")
	}
	port := freePort(t)
	startProcess(t, exec.Command(py, "-m", "uvicorn", "fastapi_app:app", "--app-dir", "testdata",
		"--host", "127.0.0.1", "--port", strconv.Itoa(port), "--log-level", "warning", "--no-access-log"))
	waitListening(t, fmt.Sprintf("127.0.0.1:%d", port), 30*time.Second)
	return fmt.Sprintf("http://127.0.0.1:%d", port)
}

// fastAPICount reads the app's own count of finished responses of endpoint.
func fastAPICount(t *testing.T, base, endpoint string) int64 {
	t.Helper()
	resp, err := http.Get(base + "/count")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]int64
	if err := json.NewDecoder(resp.Body).Decode(&m); err != nil {
		t.Fatal(err)
	}
	return m[endpoint]
}
