package enginetest_test

import (
	"context"
	"time"

	"github.com/gowrk/gowrk/loadgen"
	"github.com/gowrk/gowrk/loadgen/enginetest"
	"github.com/gowrk/gowrk/loadgen/h1"
)

// The event-loop engine (epoll) runs on Linux.
func init() {
	newLoop := func(ctx context.Context, t loadgen.Target, dial time.Duration) (loadgen.Engine, error) {
		return h1.NewLoop(ctx, t, dial)
	}
	engines = append([]enginetest.Engine{{Name: "loop", Proto: enginetest.HTTP1, New: newLoop},
		{Name: "loop/unix", Proto: enginetest.HTTP1, New: newLoop, Via: enginetest.ViaUnix},
		{Name: "loop/local-addr", Proto: enginetest.HTTP1, New: newLoop, Via: enginetest.ViaLocalAddr},
		{Name: "loop/no-keepalive", Proto: enginetest.HTTP1, New: newLoop, Via: enginetest.ViaNoKeepAlive}}, engines...)
}
