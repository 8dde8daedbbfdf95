package h1_test

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gowrk/gowrk/loadgen"
	"github.com/gowrk/gowrk/loadgen/h1"
)

// TestClientCertificateRequired: a TLS server that requires a client
// certificate, and gets none, stops the run with one line that says so and
// what to pass, under TLS 1.3 (the refusal arrives on the first read, after
// the client's handshake is done) as under TLS 1.2 (a bare handshake
// failure, after the server asked for one), instead of a reconnect loop
// counting a read error per handshake: at most one error per connection.
func TestClientCertificateRequired(t *testing.T) {
	for _, version := range []uint16{tls.VersionTLS13, tls.VersionTLS12} {
		t.Run(tls.VersionName(version), func(t *testing.T) {
			ts := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
			ts.TLS = &tls.Config{ClientAuth: tls.RequireAnyClientCert, MinVersion: version, MaxVersion: version}
			ts.Config.ErrorLog = log.New(io.Discard, "", 0)
			ts.StartTLS()
			defer ts.Close()
			cfg := config(t, ts.URL+"/")
			cfg.Duration, cfg.Timeout = 10*time.Second, time.Second
			cfg.Target.TLS = &tls.Config{InsecureSkipVerify: true}
			eng, err := h1.New(context.Background(), cfg.Target, cfg.Timeout)
			if err != nil {
				t.Fatal(err)
			}
			res, err := loadgen.Run(context.Background(), cfg, eng)
			var why string
			var fatal *loadgen.FatalError
			switch {
			case errors.As(err, &fatal):
				why = err.Error() // refused in the run's first dial
			case err != nil:
				t.Fatal(err)
			default:
				why, fatal = res.Aborted, res.Fatal
				if n := res.Counts.Errors(); n > uint64(cfg.Connections) {
					t.Errorf("%d errors from %d connections: %v", n, cfg.Connections, res.ErrorMessages)
				}
			}
			if !strings.Contains(why, "client certificate") || fatal == nil || fatal.Fix != loadgen.FixClientCert || strings.Contains(why, "\n") {
				t.Errorf("the run stopped with %q (%+v), want one line naming the client certificate, and the fix a client certificate", why, fatal)
			}
		})
	}
}
