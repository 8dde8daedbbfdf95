package netdial

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"testing"

	"github.com/gowrk/gowrk/loadgen"
)

// TestTLSFailureOlder: --tls-min above what the server speaks is one fatal
// error with its fix, whether the server says so (alert protocol_version)
// or answers with an older version; without --tls-min, or for another
// failure, it is no such error.
func TestTLSFailureOlder(t *testing.T) {
	min13 := &tls.Config{ServerName: "example.test", MinVersion: tls.VersionTLS13}
	for _, tc := range []struct {
		name string
		err  error
		cfg  *tls.Config
		want bool
	}{
		{"alert", &net.OpError{Op: "remote error", Err: errors.New("tls: protocol version not supported")}, min13, true},
		{"older ServerHello", fmt.Errorf("TLS handshake: %w", errors.New("tls: server selected unsupported protocol version 303")), min13, true},
		{"no --tls-min", &net.OpError{Op: "remote error", Err: errors.New("tls: protocol version not supported")}, &tls.Config{ServerName: "example.test"}, false},
		{"another alert", &net.OpError{Op: "remote error", Err: errors.New("tls: handshake failure")}, min13, false},
	} {
		var fatal *loadgen.FatalError
		got := errors.As(TLSFailure(tc.err, tc.cfg, nil), &fatal) && fatal.Fix == loadgen.FixTLSMin
		if got != tc.want {
			t.Errorf("%s: TLSFailure gives the --tls-min fix: %v, want %v", tc.name, got, tc.want)
		}
		if got && fatal.Error() != "example.test speaks no TLS as new as TLS 1.3: it speaks an older version" {
			t.Errorf("%s: %q", tc.name, fatal.Error())
		}
	}
}
