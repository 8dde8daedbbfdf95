//go:build noh3

package cli

import (
	"context"

	"github.com/gowrk/gowrk/loadgen"
)

// h3Available is false in a gowrk built with -tags noh3: quic-go is not
// linked, and engineOptions refuses --http3 with errNoH3.
const h3Available = false

func newH3Engine(context.Context, *options) (loadgen.Engine, error) {
	return nil, errNoH3
}
