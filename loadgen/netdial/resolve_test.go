package netdial

import (
	"context"
	"net/url"
	"testing"
)

// TestResolveTimed: a host name is one lookup (the DNS phase), an IP
// address none; both resolve to the same address here.
func TestResolveTimed(t *testing.T) {
	for _, tc := range []struct {
		url   string
		named bool
	}{{"http://localhost:8080/", true}, {"http://127.0.0.1:8080/", false}} {
		u, _ := url.Parse(tc.url)
		addr, took, named, err := ResolveTimed(context.Background(), u)
		if err != nil {
			t.Fatalf("%s: %v", tc.url, err)
		}
		if named != tc.named || took < 0 || (addr != "127.0.0.1:8080" && addr != "[::1]:8080") {
			t.Errorf("%s: %s in %s, named %v; want named %v", tc.url, addr, took, named, tc.named)
		}
	}
}
