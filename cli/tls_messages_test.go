package cli

import (
	"crypto/tls"
	"encoding/pem"
	"io"
	"log"
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

// TestTLSMessages: a TLS problem the user can fix gets the fix: a
// certificate for another host name suggests --sni with the name it has
// (not --cacert, already given), and the suggestion works; a server that
// refuses HTTP/1.1 in ALPN says whether it speaks HTTP/2 or neither, and
// one that refuses h2 under --http2 says to drop it. Each
// is one line on stderr and exit 1, and the server answers nothing.
func TestTLSMessages(t *testing.T) {
	ca, err := testserver.NewCA()
	if err != nil {
		t.Fatal(err)
	}
	other, err := ca.Leaf([]string{"other.test"}, time.Now().Add(time.Hour), false)
	if err != nil {
		t.Fatal(err)
	}
	ok, err := ca.Leaf([]string{"127.0.0.1"}, time.Now().Add(time.Hour), false)
	if err != nil {
		t.Fatal(err)
	}
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: other.Certificate[1]}), 0o644); err != nil {
		t.Fatal(err)
	}
	start := func(cert tls.Certificate, protos ...string) (string, *atomic.Int64) {
		var n atomic.Int64
		ts := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			n.Add(1)
			w.Write([]byte("ok"))
		}))
		ts.TLS = &tls.Config{Certificates: []tls.Certificate{cert}, NextProtos: protos}
		ts.Config.ErrorLog = log.New(io.Discard, "", 0) // the handshakes gowrk refuses are expected
		ts.StartTLS()
		t.Cleanup(ts.Close)
		return ts.URL + "/", &n
	}
	for _, tc := range []struct {
		name   string
		cert   tls.Certificate
		protos []string
		args   []string
		want   string
	}{
		{"certificate for another name", other, nil, nil,
			"TLS certificate of 127.0.0.1 is for other.test, not 127.0.0.1; pass --sni other.test (or use that name in the URL), or -k/--insecure to skip verification"},
		{"only HTTP/2", ok, []string{"h2"}, nil, "127.0.0.1 speaks only HTTP/2 over TLS"},
		{"neither protocol", ok, []string{"smtp"}, nil, "127.0.0.1 speaks neither HTTP/1.1 nor HTTP/2 over TLS (ALPN offered http/1.1, then h2; the server refused both)"},
		{"--http2 to neither protocol", ok, []string{"smtp"}, []string{"--http2"}, "did not negotiate HTTP/2: ALPN offered h2, the server refused it; drop --http2 if it speaks HTTP/1.1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			url, served := start(tc.cert, tc.protos...)
			code, out, errs := gowrk(t, append(tc.args, "-t1", "-c1", "-n", "5", "--cacert", caFile, url)...)
			if code != 1 || out != "" || strings.Count(errs, "\n") != 1 || !strings.Contains(errs, tc.want) || strings.Contains(errs, "--cacert") {
				t.Errorf("exit %d, stdout %q, stderr %q; want exit 1 and one line with %q (not --cacert, which was given)", code, out, errs, tc.want)
			}
			if n := served.Load(); n != 0 {
				t.Errorf("the server answered %d requests", n)
			}
		})
	}
	// The suggestion works: the name the certificate has, by --sni.
	url, served := start(other)
	code, out, errs := gowrk(t, "-t1", "-c1", "-n", "5", "--cacert", caFile, "--sni", "other.test", url)
	if code != 0 || !strings.Contains(out, "5 requests in") || served.Load() != 5 {
		t.Errorf("--sni other.test: exit %d, server counted %d, %q %q", code, served.Load(), out, errs)
	}
}
