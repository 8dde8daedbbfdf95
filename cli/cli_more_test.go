package cli

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/csv"
	"encoding/json"
	"encoding/pem"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gowrk/gowrk/loadgen/testserver"
)

// TestIPv6Literal: an IPv6 literal URL reaches a server on [::1].
func TestIPv6Literal(t *testing.T) {
	ln, err := net.Listen("tcp", "[::1]:0")
	if err != nil {
		t.Skipf("no IPv6 loopback here: %v", err)
	}
	var n atomic.Int64
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { n.Add(1) })}
	go srv.Serve(ln)
	defer srv.Close()
	code, out, errs := gowrk(t, "-t1", "-c1", "-n", "20", "http://"+ln.Addr().String()+"/")
	if code != 0 || !strings.Contains(out, "20 requests in") || n.Load() != 20 {
		t.Errorf("exit %d, server counted %d\n%s%s", code, n.Load(), out, errs)
	}
}

// TestExactConnectionsHTTP1: -c N opens exactly N connections, spread over
// the threads, and keeps them alive.
func TestExactConnectionsHTTP1(t *testing.T) {
	s := server(t, testserver.Behaviour{})
	if code, _, errs := gowrk(t, "-t3", "-c7", "-d", "500ms", s.URL()); code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if n := s.Conns.Load(); n != 7 {
		t.Errorf("server accepted %d connections, want exactly 7", n)
	}
}

// TestRateCLI: -R with -n and the CSV format; the server counts exactly -n
// and the row carries the achieved rate.
func TestRateCLI(t *testing.T) {
	s := server(t, testserver.Behaviour{})
	code, out, errs := gowrk(t, "-t2", "-c4", "-R", "0.2k", "-n", "100", "-f", "csv", s.URL())
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil || len(rows) != 2 {
		t.Fatalf("csv %q: %v", out, err)
	}
	col := map[string]string{}
	for i, name := range rows[0] {
		col[name] = rows[1][i]
	}
	achieved, _ := strconv.ParseFloat(col["rate_achieved"], 64)
	// 100 requests at 200/s take 0.5 s minus one interval: achieved is a
	// little above 200/s.
	if s.Requests.Load() != 100 || col["requests"] != "100" || col["rate_target"] != "200.00" || achieved < 190 || achieved > 215 {
		t.Errorf("server counted %d; row %v", s.Requests.Load(), col)
	}
}

// TestClientCertificate: a server that requires a client certificate is
// served with --cert/--key and refuses the handshake without them.
func TestClientCertificate(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "client.pem"), filepath.Join(dir, "client.key")
	clientCert := writeClientCert(t, certFile, keyFile)
	pool := x509.NewCertPool()
	pool.AddCert(clientCert)
	ts := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) }))
	ts.TLS = &tls.Config{ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: pool}
	ts.Config.ErrorLog = log.New(io.Discard, "", 0)
	ts.StartTLS()
	defer ts.Close()
	code, out, errs := gowrk(t, "-k", "--cert", certFile, "--key", keyFile, "-t1", "-c1", "-n", "10", ts.URL+"/")
	if code != 0 || !strings.Contains(out, "10 requests in") {
		t.Errorf("with --cert: exit %d\n%s%s", code, out, errs)
	}
	// Under TLS 1.3 the server's refusal arrives as an alert on the first
	// read: the run stops there, with the fix. Counted (-n), not timed, so
	// a handshake slowed by a busy machine still reaches that read.
	code, out, _ = gowrk(t, "-k", "-t1", "-c1", "-n", "10", ts.URL+"/")
	if code != 1 || !strings.Contains(out, "Stopped early") ||
		!strings.Contains(out, "requires a TLS client certificate (alert: certificate required); pass --cert and --key") {
		t.Errorf("without --cert: exit %d\n%s", code, out)
	}
}

// writeClientCert writes a self-signed client certificate and its key.
func writeClientCert(t *testing.T, certFile, keyFile string) *x509.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "gowrk client"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, _ := x509.MarshalECPrivateKey(key)
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600)
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return cert
}

// TestNeighbourHabits: habits from wrk, hey, oha and vegeta that cost
// nothing are taken, saying what was chosen; the server's count is the
// truth of what was sent.
func TestNeighbourHabits(t *testing.T) {
	s := server(t, testserver.Behaviour{})
	var doc struct {
		Requests uint64 `json:"requests"`
		Config   struct {
			Threads int     `json:"threads"`
			Rate    float64 `json:"rate_per_sec"`
		} `json:"config"`
	}
	for _, tc := range []struct {
		args    []string
		threads int
		rate    float64
		note    string
	}{
		{[]string{"-c1", "-n", "20"}, 1, 0, "-c 1 without -t: running 1 thread"},
		{[]string{"-k", "-t1", "-c1", "-n", "20"}, 1, 0, "warning: -k (--insecure) ignored: it applies to https:// URLs only"},
		{[]string{"-t1", "-c1", "-n", "20", "-R", "50/1s"}, 1, 50, ""},
		{[]string{"-t1", "-c1", "-n", "20", "-R", "3000/1m"}, 1, 50, ""},
		{[]string{"-t1", "-c1", "-n", "20", "-R", "100/2s"}, 1, 50, ""},
	} {
		before := s.Requests.Load()
		code, out, errs := gowrk(t, append(tc.args, "-f", "json", s.URL())...)
		if err := json.Unmarshal([]byte(out), &doc); err != nil || code != 0 {
			t.Fatalf("%q: exit %d, %v, %s", tc.args, code, err, errs)
		}
		if sent := s.Requests.Load() - before; sent != 20 || doc.Requests != 20 || doc.Config.Threads != tc.threads || doc.Config.Rate != tc.rate {
			t.Errorf("%q: server counted %d, report %+v; want 20 requests, %d threads, rate %g", tc.args, sent, doc, tc.threads, tc.rate)
		}
		if !strings.Contains(errs, tc.note) {
			t.Errorf("%q: stderr %q lacks %q", tc.args, errs, tc.note)
		}
	}
	if _, _, errs := gowrk(t, "-q", "-c1", "-n", "5", s.URL()); strings.Contains(errs, "without -t") {
		t.Errorf("-q still says what was chosen: %q", errs)
	}
}

// TestMergeChecks: gowrk merge refuses, naming the files and the field,
// a report whose counts contradict its histograms, one run given twice
// (under two names too), and runs not at the same time or of different
// settings unless --allow-mixed; gowrk -q merge says merge has no -q.
func TestMergeChecks(t *testing.T) {
	s := server(t, testserver.Behaviour{})
	dir := t.TempDir()
	file := func(name string) string { return filepath.Join(dir, name) }
	a, later := file("a.json"), file("later.json")
	for _, f := range []string{a, later} {
		if code, _, errs := gowrk(t, "-q", "-t1", "-c1", "-n", "50", "-f", "json", "-o", f, s.URL()); code != 0 {
			t.Fatalf("exit %d: %s", code, errs)
		}
	}
	doc, err := os.ReadFile(a)
	if err != nil {
		t.Fatal(err)
	}
	edit := func(name, from, to string) string {
		if !strings.Contains(string(doc), from) {
			t.Fatalf("%q not in the report", from)
		}
		if err := os.WriteFile(file(name), []byte(strings.Replace(string(doc), from, to, 1)), 0o644); err != nil {
			t.Fatal(err)
		}
		return file(name)
	}
	copyA := edit("copy.json", `"tool"`, `"tool"`)
	var rep struct {
		RunID  string `json:"run_id"`
		Start  string `json:"start"`
		Config struct {
			TimeoutUs int64 `json:"timeout_us"`
		} `json:"config"`
	}
	json.Unmarshal(doc, &rep)
	if len(rep.RunID) != 16 {
		t.Fatalf("run_id %q: want 16 hex digits", rep.RunID)
	}
	// Reports written before run ids: the same run is told by its start,
	// end and counts.
	oldA := edit("old-a.json", `"run_id": "`+rep.RunID+`",`, "")
	oldCopy := edit("old-copy.json", `"run_id": "`+rep.RunID+`",`, "")
	// The same run id under an edited start is still the same run.
	shiftedA := edit("shifted.json", `"start": "`+rep.Start, `"start": "`+time.Unix(1, 0).UTC().Format(time.RFC3339Nano))
	start, _ := time.Parse(time.RFC3339Nano, rep.Start)
	shifted := start.Add(time.Microsecond).UTC().Format(time.RFC3339Nano)
	otherTimeout := strings.Replace(string(doc), `"start": "`+rep.Start, `"start": "`+shifted, 1)
	otherTimeout = strings.Replace(otherTimeout, rep.RunID, "00000000000000ff", 1)
	doc = []byte(otherTimeout)
	slower := edit("slower.json", `"timeout_us": `+strconv.FormatInt(rep.Config.TimeoutUs, 10), `"timeout_us": 9000000`)
	rated := edit("rated.json", `"rate_per_sec": 0,`, `"rate_per_sec": 100,`)
	doc, _ = os.ReadFile(a)
	damaged := edit("damaged.json", `"completed": 50`, `"completed": 51`)
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{a, a}, 2, a + " and " + a + " are the same run (run id " + rep.RunID + ")"},
		{[]string{a, copyA}, 2, a + " and " + copyA + " are the same run (run id " + rep.RunID + ")"},
		{[]string{a, shiftedA}, 2, a + " and " + shiftedA + " are the same run (run id " + rep.RunID + ")"},
		{[]string{oldA, oldCopy}, 2, oldA + " and " + oldCopy + " are the same run (started "},
		{[]string{a, oldCopy}, 2, a + " and " + oldCopy + " are the same run (started "},
		{[]string{a, damaged}, 2, damaged + ": latency.histogram holds 50 values, but the counts say 51"},
		{[]string{a, later}, 2, "not at the same time"},
		{[]string{a, slower}, 2, a + " has --timeout 2s and " + slower + " 9s: runs of different load settings"},
		{[]string{a, rated}, 2, a + " has -R none (closed loop) and " + rated + " "},
		{[]string{"--allow-mixed", a, later}, 0, ""},
	} {
		code, out, errs := gowrk(t, append([]string{"merge"}, tc.args...)...)
		if code != tc.code || !strings.Contains(errs, tc.want) || (code == 2 && (out != "" || strings.Count(errs, "\n") != 1)) {
			t.Errorf("merge %q: exit %d, stderr %q; want exit %d and %q", tc.args, code, errs, tc.code, tc.want)
		}
		if code == 0 && !strings.Contains(out, "requests in") {
			t.Errorf("merge %q: no report: %q", tc.args, out)
		}
	}
	// Every run has its own id, and so has a merge.
	laterDoc, _ := os.ReadFile(later)
	var laterRep, merged struct {
		RunID string `json:"run_id"`
	}
	json.Unmarshal(laterDoc, &laterRep)
	code, out, errs := gowrk(t, "merge", "--allow-mixed", "-f", "json", a, later)
	if err := json.Unmarshal([]byte(out), &merged); err != nil || code != 0 || laterRep.RunID == rep.RunID || len(merged.RunID) != 16 || merged.RunID == rep.RunID || merged.RunID == laterRep.RunID {
		t.Errorf("run ids %q, %q, merged %q (exit %d, %v, %s): want three different ones", rep.RunID, laterRep.RunID, merged.RunID, code, err, errs)
	}
	if code, out, errs := gowrk(t, "-q", "merge", a); code != 2 || out != "" || !strings.Contains(errs, "merge has no -q (it prints no progress line)") {
		t.Errorf("gowrk -q merge: exit %d, %q %q", code, out, errs)
	}
}
