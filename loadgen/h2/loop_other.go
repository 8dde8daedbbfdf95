//go:build !linux

package h2

import (
	"context"
	"errors"

	"github.com/gowrk/gowrk/loadgen"
)

// runLoop: the event loop needs epoll; elsewhere h2c runs on goroutines.
func (e *Engine) runLoop(context.Context, *loadgen.Thread, []*conn) bool { return false }

func (s *session) flushRaw() error { return errors.New("no event loop on this system") }

func (s *session) release() {}
