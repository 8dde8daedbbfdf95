package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/csv"
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
	// read: the run stops there, with the fix.
	code, out, _ = gowrk(t, "-k", "-t1", "-c1", "-d", "300ms", ts.URL+"/")
	if code != 1 || !strings.Contains(out, "Running 300ms test") || !strings.Contains(out, "Stopped early") ||
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
