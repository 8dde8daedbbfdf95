package main

// First contact: the built-in target, a dead or wrong target, secrets in
// every message and format, and the rough edges a new user meets.

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gowrk/gowrk/loadgen/testserver"
)

// TestServeCommand: gowrk serve answers HTTP/1.1, h2c and (with --tls)
// HTTPS with the certificate it writes out, and when stopped prints its own
// request count, which equals what gowrk counted.
func TestServeCommand(t *testing.T) {
	for _, tc := range []struct {
		name  string
		serve []string
		load  []string
	}{
		{"http/1.1", []string{"--delay", "2ms"}, nil},
		{"h2c", []string{"--workers", "2"}, []string{"--h2c"}},
		{"tls", []string{"--tls"}, []string{"--http2"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cert := filepath.Join(t.TempDir(), "cert.pem")
			args := append([]string{"serve", "-l", "127.0.0.1:0", "-d", "20s", "--cert-out", cert}, tc.serve...)
			if tc.name != "tls" {
				args = append([]string{"serve", "-l", "127.0.0.1:0", "-d", "20s"}, tc.serve...)
			}
			ctx, stop := context.WithCancel(context.Background())
			pr, pw := io.Pipe()
			var out strings.Builder
			done := make(chan int)
			go func() { done <- run(ctx, args, &out, pw); pw.Close() }()
			line, err := bufio.NewReader(pr).ReadString('\n')
			if err != nil {
				t.Fatalf("no start line: %v", err)
			}
			go io.Copy(io.Discard, pr)
			_, rest, _ := strings.Cut(line, "listening on ")
			url, _, _ := strings.Cut(rest, " ")
			load := append([]string{"-t1", "-c2", "-n", "200"}, tc.load...)
			if tc.name == "tls" {
				load = append(load, "--cacert", cert)
			}
			code, rep, errs := gowrk(t, append(load, url)...)
			stop()
			if c := <-done; c != 0 || code != 0 || !strings.Contains(rep, "200 requests in") {
				t.Fatalf("serve exit %d, gowrk exit %d: %s%s", c, code, rep, errs)
			}
			if !strings.Contains(out.String(), "gowrk serve: 200 requests, 200 responses") || !strings.Contains(out.String(), "p99 ") {
				t.Errorf("serve's own count: %q", out.String())
			}
		})
	}
	if code, _, errs := gowrk(t, "serve", "-l", "0.0.0.0:0"); code != 2 || !strings.Contains(errs, "loopback only") {
		t.Errorf("non-loopback listen: exit %d, %q", code, errs)
	}
	if code, _, errs := gowrk(t, "serve", "--delay", "soon"); code != 2 || !strings.Contains(errs, "--delay") {
		t.Errorf("bad delay: exit %d, %q", code, errs)
	}
}

// TestRefusedStopsEarly: a refused port ends the run after one dial per
// connection (plus the run's first), not after the whole -d of redialling.
func TestRefusedStopsEarly(t *testing.T) {
	for eng, dials := range map[string]uint64{"loop": 10, "goroutine": 11} {
		r, code := faultRun(t, 5*time.Second, "--engine", eng, "-t2", "-c10", "-d", "30s", testserver.ClosedPortURL(t))
		if code != 1 || r.Errors["connect"] != dials || !strings.Contains(r.Aborted, "cannot connect to") {
			t.Errorf("%s: exit %d, connect errors %d (want %d), aborted %q", eng, code, r.Errors["connect"], dials, r.Aborted)
		}
	}
}

// TestUnsentAndSendLag: under -R, a server slower than the schedule leaves
// requests due but unsent; they are counted, and every request that was
// sent is in the send-lag distribution.
func TestUnsentAndSendLag(t *testing.T) {
	s := server(t, testserver.Behaviour{Delay: 3 * time.Second})
	code, out, errs := gowrk(t, "-t1", "-c4", "-d", "2s", "-R", "20", "--timeout", "1s", "-f", "json", s.URL())
	var r struct {
		Sent    uint64 `json:"sent"`
		Unsent  uint64 `json:"unsent_at_stop"`
		SendLag struct {
			Count uint64 `json:"count"`
		} `json:"send_lag"`
		Rate struct {
			Due uint64 `json:"due"`
		} `json:"rate"`
	}
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("exit %d: %v %s", code, err, errs)
	}
	// 20/s for 2 s: 40 due; each of the 4 connections sent its first and
	// waited the rest of the run.
	if r.Sent != 4 || r.Sent+r.Unsent < 39 || r.Sent+r.Unsent > 40 || r.Rate.Due != r.Sent+r.Unsent || r.SendLag.Count != r.Sent {
		t.Errorf("sent %d, unsent %d, due %d, send lag count %d", r.Sent, r.Unsent, r.Rate.Due, r.SendLag.Count)
	}
}

// TestSecretsEverywhere: credentials in the URL, sensitive query
// parameters and any header whose name says it holds a secret are sent to
// the server and redacted in every format, every warning, and every
// message of a bad command line.
func TestSecretsEverywhere(t *testing.T) {
	var key atomic.Value
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key.Store(r.Header.Get("X-Auth-Key") + "|" + r.URL.Query().Get("api_key"))
		w.WriteHeader(401)
	}))
	defer ts.Close()
	secrets := []string{"hunter2", "k3yv4lue", "qs3cret", "s1gnature"}
	u := strings.Replace(ts.URL, "http://", "http://bob:hunter2@", 1) + "/x?api_key=qs3cret&page=2&Signature=s1gnature"
	for _, format := range []string{"text", "json", "csv"} {
		_, out, errs := gowrk(t, "-t1", "-c1", "-n", "3", "-f", format, "-H", "X-Auth-Key: k3yv4lue", u)
		for _, s := range secrets {
			if strings.Contains(out+errs, s) {
				t.Errorf("%s report prints %q:\n%s%s", format, s, out, errs)
			}
		}
		if !strings.Contains(out, "page=2") {
			t.Errorf("%s: a harmless query parameter was redacted too:\n%s", format, out)
		}
	}
	if got := key.Load(); got != "k3yv4lue|qs3cret" {
		t.Errorf("server got %q", got)
	}
	for _, args := range [][]string{
		{"http://bob:hunter2@127.0.0.1:99x/"},
		{"http://bob:hunter2@/"},
		{"http://bob:hunter2@127.0.0.1:0/"},
		{"-H", "Authorization:", "hunter2", "http://127.0.0.1/"},
		{"-H", "Authorization: Bearer", "hunter2", "http://127.0.0.1/"},
		{"ftp://bob:hunter2@127.0.0.1/"},
	} {
		code, out, errs := gowrk(t, args...)
		if code != 2 || out != "" || strings.Contains(errs, "hunter2") || strings.Count(errs, "\n") != 1 {
			t.Errorf("gowrk %q: exit %d, stderr %q", args, code, errs)
		}
	}
}

// TestFirstContactEdges: methods are sent as given, -n runs say what they
// run, wrk's last two lines are last, and a run where every response is an
// error status says so.
func TestFirstContactEdges(t *testing.T) {
	var method atomic.Value
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		method.Store(r.Method)
		w.WriteHeader(404)
	}))
	defer ts.Close()
	code, out, errs := gowrk(t, "-t1", "-c1", "-n", "10", "-m", "purge", ts.URL+"/")
	if method.Load() != "purge" {
		t.Errorf("server got method %v, want purge as given", method.Load())
	}
	if code != 0 || !strings.HasPrefix(out, "Running 10 requests test @ ") {
		t.Errorf("exit %d, report:\n%s", code, out)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if n := len(lines); n < 2 || !strings.HasPrefix(lines[n-2], "Requests/sec:") || !strings.HasPrefix(lines[n-1], "Transfer/sec:") {
		t.Errorf("wrk's last two lines are not last:\n%s", out)
	}
	if !strings.Contains(errs, "every one of the 10 responses had a status of 400 or more (404 x 10)") {
		t.Errorf("stderr lacks the status line: %q", errs)
	}
	if code, out, _ := gowrk(t, "--help"); code != 0 || strings.Contains(out, "stringArray") || strings.Contains(out, "[=true|false]") {
		t.Errorf("--help shows Go type names:\n%s", out)
	}
}

func TestMain(m *testing.M) {
	// The built-in target writes its certificate to the temporary folder
	// by default; keep tests from leaving one behind in the real one.
	dir, err := os.MkdirTemp("", "gowrk-test")
	if err == nil {
		os.Setenv("TMPDIR", dir)
	}
	code := m.Run()
	if err == nil {
		os.RemoveAll(dir)
	}
	os.Exit(code)
}
