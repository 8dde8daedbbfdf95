package cli

// HTTP/2 against servers nobody here wrote: Go's net/http (TLS, and h2c
// through http.Protocols), nghttpd (Debian's nghttp2-server), hypercorn
// (python3-hypercorn) with an ASGI app, and Node's http2 module (nodejs),
// each over TLS with a self-signed certificate. For each, gowrk's count is
// the server's own and every request arrived as HTTP/2; where h2load is
// installed it runs against the same server and lands within an order of
// magnitude. .ci/run installs them; a missing one skips its case.

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// interopRequests is each case's -n: enough for every stream of every
// connection to carry many requests, small enough for a slow server.
const interopRequests = 3000

type h2Target struct {
	url   string
	count func() (served, nonH2 int64) // the server's own figures
}

func TestHTTP2Servers(t *testing.T) {
	dir := t.TempDir()
	cert, key := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	writeSelfSigned(t, cert, key)
	for _, tc := range []struct {
		name  string
		start func(t *testing.T) h2Target
	}{
		{"go net/http tls", func(t *testing.T) h2Target { return startGoH2(t, cert, key, false) }},
		{"go net/http h2c", func(t *testing.T) h2Target { return startGoH2(t, cert, key, true) }},
		{"nghttpd", func(t *testing.T) h2Target { return startNghttpd(t, cert, key) }},
		{"hypercorn", func(t *testing.T) h2Target { return startHypercorn(t, cert, key) }},
		{"node http2", func(t *testing.T) h2Target { return startNode(t, cert, key) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			target := tc.start(t)
			args := []string{"-q", "-t2", "-c8", "--streams", "10", "-n", strconv.Itoa(interopRequests), "--timeout", "10s", "-f", "json"}
			if strings.HasPrefix(target.url, "https") {
				args = append(args, "--http2", "--cacert", cert)
			} else {
				args = append(args, "--h2c")
			}
			code, out, errs := gowrk(t, append(args, target.url)...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errs)
			}
			var rep struct {
				Requests       uint64  `json:"requests"`
				RequestsPerSec float64 `json:"requests_per_sec"`
				Config         struct {
					Protocol string `json:"protocol"`
				} `json:"config"`
			}
			if err := json.Unmarshal([]byte(out), &rep); err != nil {
				t.Fatal(err)
			}
			var served, nonH2 int64
			for deadline := time.Now().Add(3 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
				if served, nonH2 = target.count(); served >= interopRequests {
					break
				}
			}
			if rep.Requests != interopRequests || served != interopRequests || nonH2 != 0 || !strings.HasPrefix(rep.Config.Protocol, "h2") {
				t.Errorf("gowrk completed %d over %s; the server counted %d, %d of them not HTTP/2", rep.Requests, rep.Config.Protocol, served, nonH2)
			}
			t.Logf("gowrk: %.0f requests/s", rep.RequestsPerSec)
			if h2 := h2loadRate(t, target.url); h2 > 0 {
				t.Logf("h2load: %.0f requests/s", h2)
				if r := rep.RequestsPerSec / h2; r < 0.1 || r > 10 {
					t.Errorf("gowrk %.0f requests/s, h2load %.0f: not the same order of magnitude", rep.RequestsPerSec, h2)
				}
			}
		})
	}
}

// h2loadRate runs h2load with gowrk's shape against url; 0 when h2load is
// not installed.
func h2loadRate(t *testing.T, url string) float64 {
	if _, err := exec.LookPath("h2load"); err != nil {
		return 0
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "h2load", "-t2", "-c8", "-m10", "-n", strconv.Itoa(interopRequests), url).CombinedOutput()
	m := regexp.MustCompile(`finished in [^,]+, ([0-9.]+) req/s`).FindSubmatch(out)
	if err != nil || m == nil {
		t.Fatalf("h2load: %v\n%s", err, out)
	}
	v, _ := strconv.ParseFloat(string(m[1]), 64)
	return v
}

func startGoH2(t *testing.T, cert, key string, h2c bool) h2Target {
	var served, nonH2 atomic.Int64
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		served.Add(1)
		if r.ProtoMajor != 2 {
			nonH2.Add(1)
		}
		w.Write([]byte("Hello, World!"))
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h, Protocols: new(http.Protocols)}
	srv.Protocols.SetHTTP1(true)
	scheme := "https"
	if h2c {
		scheme = "http"
		srv.Protocols.SetUnencryptedHTTP2(true)
		go srv.Serve(ln)
	} else {
		srv.Protocols.SetHTTP2(true)
		go srv.ServeTLS(ln, cert, key)
	}
	t.Cleanup(func() { srv.Close() })
	return h2Target{url: scheme + "://" + ln.Addr().String() + "/", count: func() (int64, int64) { return served.Load(), nonH2.Load() }}
}

func startNghttpd(t *testing.T, cert, key string) h2Target {
	bin, err := exec.LookPath("nghttpd")
	if err != nil {
		t.Skip("nghttpd is not installed (apt-get install nghttp2-server); .ci/run installs it")
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "index.html"), []byte("Hello, World!"), 0o644); err != nil {
		t.Fatal(err)
	}
	port := freePort(t)
	logFile := filepath.Join(t.TempDir(), "nghttpd.log")
	f, err := os.Create(logFile)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	// nghttpd keeps no counter: its verbose frame log (line-buffered) is
	// the count, one "recv HEADERS" per request.
	cmd := exec.Command("stdbuf", "-oL", bin, "-v", "-d", dir, strconv.Itoa(port), key, cert)
	startProcessTo(t, cmd, f)
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	waitListening(t, addr, 5*time.Second)
	return h2Target{url: "https://" + addr + "/", count: func() (int64, int64) {
		b, _ := os.ReadFile(logFile)
		return int64(strings.Count(string(b), "recv HEADERS frame")), 0 // nghttpd speaks only HTTP/2
	}}
}

func startHypercorn(t *testing.T, cert, key string) h2Target {
	if exec.Command("/usr/bin/python3", "-c", "import hypercorn").Run() != nil {
		t.Skip("hypercorn is not installed (apt-get install python3-hypercorn); .ci/run installs it")
	}
	port := freePort(t)
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	cmd := exec.Command("/usr/bin/python3", "-m", "hypercorn", "--certfile", cert, "--keyfile", key, "-b", addr, "h2count_asgi:app")
	cmd.Dir = "testdata/interop"
	startProcess(t, cmd)
	waitListening(t, addr, 10*time.Second)
	return h2Target{url: "https://" + addr + "/", count: countEndpoint(t, "https://"+addr+"/__count")}
}

func startNode(t *testing.T, cert, key string) h2Target {
	bin, err := exec.LookPath("node")
	if err != nil {
		if bin, err = exec.LookPath("nodejs"); err != nil {
			t.Skip("node is not installed (apt-get install nodejs); .ci/run installs it")
		}
	}
	port := freePort(t)
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	startProcess(t, exec.Command(bin, "testdata/interop/h2count.js", strconv.Itoa(port), cert, key))
	waitListening(t, addr, 10*time.Second)
	return h2Target{url: "https://" + addr + "/", count: countEndpoint(t, "https://"+addr+"/__count")}
}

// countEndpoint reads "COUNT NON_H2" from a server's /__count.
func countEndpoint(t *testing.T, url string) func() (int64, int64) {
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	t.Cleanup(client.CloseIdleConnections)
	return func() (int64, int64) {
		resp, err := client.Get(url)
		if err != nil {
			t.Fatalf("reading the server's count: %v", err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		var served, nonH2 int64
		fmt.Sscan(string(b), &served, &nonH2)
		return served, nonH2
	}
}
