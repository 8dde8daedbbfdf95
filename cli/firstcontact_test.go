package cli

// First contact: the built-in target, a dead or wrong target, secrets in
// every message and format, and the rough edges a new user meets.

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gowrk/gowrk/loadgen"
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
			args := append([]string{"-l", "127.0.0.1:0", "-d", "20s", "--cert-out", cert}, tc.serve...)
			if tc.name != "tls" {
				args = append([]string{"-l", "127.0.0.1:0", "-d", "20s"}, tc.serve...)
			}
			ctx, stop := context.WithCancel(context.Background())
			url, _, out, done := serveCommand(t, ctx, args)
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
// connection (plus the run's first, on an engine that dials one before
// the load), not after the whole -d of redialling. On a busy machine the
// last first dial can come late: a connection whose first dial failed may
// redial meanwhile, at most as often as loadgen.NextBackoff's waits fit in
// the run's own length.
func TestRefusedStopsEarly(t *testing.T) {
	forEngines(t, "", func(t *testing.T, eng []string) {
		r, code := faultRun(t, 5*time.Second, append(eng, "-t2", "-c10", "-d", "30s", testserver.ClosedPortURL(t))...)
		most := 11 + 10*redialsWithin(r.runTime())
		if n := r.Errors["connect"]; code != 1 || n < 10 || n > uint64(most) || !strings.Contains(r.Aborted, "cannot connect to") {
			t.Errorf("exit %d, connect errors %d (want 10, or 11 with the run's first dial, and at most %d with the redials that fit in the run's %s), aborted %q", code, n, most, r.runTime(), r.Aborted)
		}
	})
}

// redialsWithin is how many redials one connection can make within d
// after its first failed dial: the backoffs of loadgen.NextBackoff that
// fit in d one after another.
func redialsWithin(d time.Duration) int {
	n := 0
	for b, sum := loadgen.NextBackoff(0), time.Duration(0); sum+b <= d; b = loadgen.NextBackoff(b) {
		sum += b
		n++
	}
	return n
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

// secretArgs put every secret shape on one command line: userinfo, query
// parameters of many spellings (cloud signatures among them), a fragment,
// and headers of which only the listed ones may show their values.
func secretArgs(base string) (args, secrets []string) {
	u := strings.Replace(base, "http://", "http://bob:hunter2@", 1) +
		"/x?api_key=qs3cret&page=2&Signature=s1gnature&pass=pw1&pwd=pw2&jwt=pw3&sig=pw4&X-Amz-Signature=aw1&X-Amz-Credential=aw2&X-Goog-Signature=gg1&se=az1&skoid=az2#access_token=fr1"
	return []string{"-H", "X-Auth-Key: k3yv4lue", "-H", "X-Private: pr1v4te", "-H", "Authorization: Bearer b34rer", "-H", "Accept: text/x-shown", u},
		[]string{"hunter2", "k3yv4lue", "qs3cret", "s1gnature", "pw1", "pw2", "pw3", "pw4", "aw1", "aw2", "gg1", "az1", "az2", "fr1", "pr1v4te", "b34rer", "access_token"}
}

// TestSecretsEverywhere: every secret shape (secretArgs) is sent to the
// server and shows in no output: text, JSON, CSV, --stream, HTML,
// --hdr-log, the progress line, a Lua error() that quotes a header (on
// stderr and in the report's "Stopped early" and warnings), and every
// message of a bad command line. Harmless values still show.
func TestSecretsEverywhere(t *testing.T) {
	var got atomic.Value
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got.Store(r.Header.Get("X-Private") + "|" + r.URL.Query().Get("pwd"))
		w.WriteHeader(401)
	}))
	defer ts.Close()
	args, secrets := secretArgs(ts.URL)
	dir := t.TempDir()
	lua := writeScript(t, `n = 0
function response(status, headers, body)
  n = n + 1
  if n == 2 then error("login failed with " .. wrk.headers["Authorization"] .. " X-Private: " .. wrk.headers["X-Private"]) end
end`)
	for _, tc := range []struct {
		name  string
		flags []string
		files []string // written by the run, read back
		shown []string // harmless values the output must keep
	}{
		{"text", []string{"-f", "text", "--progress", "-L"}, nil, nil},
		{"json", []string{"-f", "json"}, nil, []string{"page=2", "Accept: text/x-shown", "X-Private: <redacted>"}},
		{"csv", []string{"-f", "csv"}, nil, []string{"page=2"}},
		{"stream", []string{"-f", "json", "--stream"}, nil, []string{"page=2"}},
		{"html+hlog", []string{"-q", "--html", filepath.Join(dir, "r.html"), "--hdr-log", filepath.Join(dir, "r.hlog")},
			[]string{filepath.Join(dir, "r.html"), filepath.Join(dir, "r.hlog")}, nil},
		{"lua error", []string{"-s", lua}, nil, []string{"login failed with Bearer <redacted>"}},
		{"lua error json", []string{"-f", "json", "-s", lua}, nil, []string{"login failed"}},
	} {
		_, out, errs := gowrk(t, append(append([]string{"-t1", "-c1", "-n", "3"}, tc.flags...), args...)...)
		all := out + errs
		for _, f := range tc.files {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			all += string(b)
		}
		for _, s := range secrets {
			if strings.Contains(all, s) {
				t.Errorf("%s prints %q:\n%s", tc.name, s, all)
			}
		}
		for _, s := range tc.shown {
			if !strings.Contains(all, s) {
				t.Errorf("%s lacks the harmless %q:\n%s", tc.name, s, all)
			}
		}
	}
	if g := got.Load(); g != "pr1v4te|pw2" {
		t.Errorf("server got %q", g)
	}
	for _, args := range [][]string{
		{"http://bob:hunter2@127.0.0.1:99x/"},
		{"http://bob:hunter2@/"},
		{"http://bob:hunter2@127.0.0.1:0/"},
		{"http://127.0.0.1:0/?pass=hunter2#access_token=hunter2"},
		{"-H", "Authorization:", "hunter2", "http://127.0.0.1/"},
		{"-H", "Authorization: Bearer", "hunter2", "http://127.0.0.1/"},
		{"ftp://bob:hunter2@127.0.0.1/"},
		{"-s", writeScript(t, "error('no login: Authorization: Bearer hunter2')"), "http://127.0.0.1/"},
		{"-s", writeScript(t, "error('cannot open http://u:hunter2@h/?token=hunter2')"), "http://127.0.0.1/"},
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
	spinIfAsked() // the CPU hog of startCPUHog, when this binary is it
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
