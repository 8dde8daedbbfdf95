//go:build !noh3

package cli

import (
	"context"

	"github.com/gowrk/gowrk/loadgen"
	"github.com/gowrk/gowrk/loadgen/h3"
)

// h3Available: this gowrk links HTTP/3 (quic-go); -tags noh3 leaves it
// out (engine_noh3.go).
const h3Available = true

func newH3Engine(ctx context.Context, o *options) (loadgen.Engine, error) {
	return h3.New(ctx, o.cfg.Target, h3.Options{DialTimeout: o.cfg.ConnectTimeout})
}
