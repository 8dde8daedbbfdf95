package cli

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
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
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gowrk/gowrk/loadgen/testserver"
	"github.com/gowrk/gowrk/report"
)

// TestUntrustedSelfSigned: a self-signed certificate is untrusted in one
// whole line that keeps its fix, also where the trusted roots hold a
// certificate of the same name that may not sign (as a system's store may
// hold a host's snakeoil certificate): crypto/x509 then adds a hint
// ("invalid signature: ..."), which must not read as a secret header and
// blank the rest of the line.
func TestUntrustedSelfSigned(t *testing.T) {
	selfSigned := func(ca bool) ([]byte, *ecdsa.PrivateKey) {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "localhost"},
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
			BasicConstraintsValid: true, IsCA: ca,
			DNSNames: []string{"localhost"}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
		if err != nil {
			t.Fatal(err)
		}
		return der, key
	}
	der, key := selfSigned(true) // as openssl req -x509 makes it
	decoy, _ := selfSigned(false)
	roots := filepath.Join(t.TempDir(), "roots.pem")
	if err := os.WriteFile(roots, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: decoy}), 0o644); err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	ts.Config.ErrorLog = log.New(io.Discard, "", 0)
	ts.TLS = &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}
	ts.StartTLS()
	defer ts.Close()
	for _, args := range [][]string{nil, {"--cacert", roots}} {
		code, out, errs := gowrk(t, append(args, "-t1", "-c1", "-n", "5", ts.URL+"/")...)
		line := strings.TrimSpace(errs)
		if code != 1 || out != "" || strings.Count(line, "\n") > 0 || strings.Contains(line, report.Redacted) ||
			!strings.Contains(line, "not trusted (x509: certificate signed by unknown authority)") || !strings.Contains(line, "-k/--insecure") {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want exit 1 and one whole line naming -k/--insecure", args, code, out, errs)
		}
	}
}

// TestTLSWrongPort: https:// to a plain HTTP port, and --tls-min above
// what the server speaks, are one line each that names the fix, exit 1,
// and no request served.
func TestTLSWrongPort(t *testing.T) {
	var served atomic.Int64
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { served.Add(1) })
	plain := httptest.NewServer(h)
	defer plain.Close()
	old := httptest.NewUnstartedServer(h)
	old.Config.ErrorLog = log.New(io.Discard, "", 0)
	old.TLS = &tls.Config{MaxVersion: tls.VersionTLS12}
	old.StartTLS()
	defer old.Close()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-k", strings.Replace(plain.URL, "http://", "https://", 1) + "/"}, "the server answered the TLS handshake in plain HTTP: it is an HTTP port, not HTTPS; use an http:// URL"},
		{[]string{"-k", "--http2", strings.Replace(plain.URL, "http://", "https://", 1) + "/"}, "in plain HTTP: it is an HTTP port, not HTTPS; use an http:// URL"},
		{[]string{"-k", "--tls-min", "1.3", old.URL + "/"}, "127.0.0.1 speaks no TLS as new as TLS 1.3: it speaks an older version; lower --tls-min, or leave it out"},
	} {
		code, out, errs := gowrk(t, append([]string{"-t1", "-c1", "-n", "5"}, tc.args...)...)
		if code != 1 || out != "" || strings.Count(errs, "\n") != 1 || !strings.Contains(errs, tc.want) {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want exit 1 and one line with %q", tc.args, code, out, errs, tc.want)
		}
	}
	if n := served.Load(); n != 0 {
		t.Errorf("the servers answered %d requests", n)
	}
}

// TestInterruptedHandshake: a run interrupted while every connection waits
// on a TLS handshake the server never answers counts them pending at the
// stop, not as failed connects: the interrupt is the user's, no error of
// the server's.
func TestInterruptedHandshake(t *testing.T) {
	_, leaf := testserver.LoopbackCert(t)
	s, err := testserver.StartTLS(testserver.Behaviour{NoRead: true}, &tls.Config{Certificates: []tls.Certificate{leaf}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, proto := range [][]string{nil, {"--http2"}} {
		ctx, cancel := context.WithCancel(context.Background())
		before := s.Accepted()
		go func() {
			for s.Accepted() == before && ctx.Err() == nil { // until the run's first dial waits on its handshake
				time.Sleep(10 * time.Millisecond)
			}
			time.Sleep(100 * time.Millisecond)
			cancel()
		}()
		var out, errb bytes.Buffer
		code := Main(ctx, append(proto, "-k", "-t1", "-c4", "-d", "30s", "-f", "json", s.URL()), &out, &errb)
		cancel()
		var doc struct {
			Interrupted bool
			Errors      struct{ Connect uint64 }
			Pending     uint64 `json:"connects_pending_at_stop"`
		}
		if err := json.Unmarshal(out.Bytes(), &doc); err != nil {
			t.Fatalf("%v: exit %d: %v: %s%s", proto, code, err, out.String(), errb.String())
		}
		if !doc.Interrupted || doc.Errors.Connect != 0 || doc.Pending != 4 {
			t.Errorf("%v: interrupted %v, %d connect errors (want 0), %d pending at the stop (want 4, one per connection); stderr %q", proto, doc.Interrupted, doc.Errors.Connect, doc.Pending, errb.String())
		}
	}
}
