package cli

import (
	"context"

	"github.com/gowrk/gowrk/loadgen"
	"github.com/gowrk/gowrk/loadgen/h1"
)

// loopAvailable: the event-loop engine runs on Linux (epoll).
const loopAvailable = true

func newLoopEngine(ctx context.Context, o *options) (loadgen.Engine, error) {
	return h1.NewLoop(ctx, o.cfg.Target, o.cfg.ConnectTimeout)
}
