//go:build !linux

package h2

import (
	"context"
	"errors"

	"github.com/gowrk/gowrk/loadgen"
)

// loopSupported: the event loop needs epoll; elsewhere h2c runs on
// goroutines (Driver).
const loopSupported = false

type loopTimer struct{}

func (e *Engine) runLoop(ctx context.Context, _ *loadgen.Thread, conns []*conn) {
	runGoroutines(ctx, conns)
}

func (s *session) flushRaw() error { return errors.New("no event loop on this system") }

func (s *session) release() {}
