//go:build linux

package h2_test

import (
	"strings"
	"syscall"
	"testing"

	"github.com/gowrk/gowrk/loadgen/h2"
	"github.com/gowrk/gowrk/loadgen/testserver"
)

// TestNoEpoll: an h2c thread whose loop gets no epoll instance fails each
// connection's first dial with the cause, as HTTP/1.1's loop does, and
// sends nothing, rather than run on goroutines under the loop's name.
func TestNoEpoll(t *testing.T) {
	s := startRaw(t, testserver.H2Behaviour{})
	restore := h2.FailPoller(syscall.EMFILE)
	defer restore()
	cfg := config(t, s.URL())
	cfg.Duration, cfg.Requests = 0, 100
	res, _ := run(t, cfg)
	if res == nil {
		t.Fatal("no result")
	}
	c := res.Counts
	conns := uint64(cfg.Connections) // -c: over all threads
	if c.Connect != conns || c.Sent != 0 || s.Streams.Load() != 0 {
		t.Errorf("%d connect errors (want %d, one per connection), %d sent, %d streams at the server (want 0): %v", c.Connect, conns, c.Sent, s.Streams.Load(), res.ErrorMessages)
	}
	var msg string
	for _, m := range res.ErrorMessages {
		if m.Class == "connect" {
			msg = m.Message
		}
	}
	if !strings.HasPrefix(msg, "epoll: ") || !strings.Contains(msg, "too many open files") {
		t.Errorf("connect error message %q, want the epoll failure", msg)
	}
}
