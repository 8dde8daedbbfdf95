//go:build linux

package h2

import "github.com/gowrk/gowrk/loadgen/poll"

// FailPoller makes every h2c loop's poller fail with err (as at the
// descriptor limit) until the returned restore is called.
func FailPoller(err error) (restore func()) {
	old := newPoller
	newPoller = func() (*poll.Poller, error) { return nil, err }
	return func() { newPoller = old }
}
