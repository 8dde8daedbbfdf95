//go:build !race

package h1_test

import (
	"context"
	"testing"
	"time"

	"github.com/gowrk/gowrk/loadgen"
	"github.com/gowrk/gowrk/loadgen/h1"
)

// TestConnDoAllocs locks in the zero-allocation hot path: one exchange on a
// kept-alive connection allocates nothing (the race detector allocates, so
// this file is built without it).
func TestConnDoAllocs(t *testing.T) {
	for _, tc := range []struct{ name, response string }{
		{"content-length", helloResponse},
		{"chunked", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nHello\r\n8\r\n, World!\r\n0\r\n\r\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := config(t, rawServer(t, tc.response))
			eng, err := h1.New(context.Background(), cfg.Target, time.Second)
			if err != nil {
				t.Fatal(err)
			}
			c, err := eng.Dial(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			var res loadgen.Response
			n := testing.AllocsPerRun(1000, func() {
				if err := c.Do(time.Now().Add(time.Second), &res); err != nil || res.Status != 200 {
					t.Fatalf("Do: %v, status %d", err, res.Status)
				}
			})
			if n != 0 {
				t.Errorf("Conn.Do allocates %.2f times per request, want 0", n)
			}
		})
	}
}
