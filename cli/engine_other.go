//go:build !linux

package cli

import (
	"context"
	"errors"

	"github.com/gowrk/gowrk/loadgen"
)

const loopAvailable = false

func newLoopEngine(context.Context, *options) (loadgen.Engine, error) {
	return nil, errors.New("--engine loop needs Linux")
}
