package loadgen

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
)

// runState is what the workers of one run share. They touch it only when
// they dial or when a request proves the run pointless, never per request.
type runState struct {
	cancel context.CancelFunc
	host   string // the target's host:port, for messages
	// workers is how many workers the run has; firstFails counts those
	// whose first dial failed while no dial had succeeded.
	workers    int64
	firstFails atomic.Int64
	connected  atomic.Bool // some dial has succeeded
	stopped    atomic.Bool // abort was called

	mu     sync.Mutex
	reason string
	fatal  *FatalError // the error behind reason, when it is one
}

// abort stops the run early, for reason (the first reason given wins).
func (s *runState) abort(reason string) {
	s.mu.Lock()
	if s.reason == "" {
		s.reason = reason
	}
	s.mu.Unlock()
	s.stopped.Store(true)
	s.cancel()
}

// abortFatal stops the run early for f, kept whole so that a report can
// word its remedy (the first reason given wins).
func (s *runState) abortFatal(f *FatalError) {
	s.mu.Lock()
	if s.reason == "" {
		s.fatal = f
	}
	s.mu.Unlock()
	s.abort(f.Error())
}

// aborted returns why the run was stopped early ("" if it was not), and
// the *FatalError behind it, if any.
func (s *runState) aborted() (string, *FatalError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.reason, s.fatal
}

// firstDialFailed notes a worker whose first dial failed. When every
// worker's first dial has failed and none has ever succeeded, the target is
// not there: the run stops (as wrk's "unable to connect") instead of
// redialling for its whole duration.
func (s *runState) firstDialFailed(err error) {
	if s.connected.Load() {
		return
	}
	if s.firstFails.Add(1) < s.workers || s.connected.Load() {
		return
	}
	if dialClass(err) == ClassPorts {
		s.abort(fmt.Sprintf("cannot connect to %s: this machine has no ephemeral port left (EADDRNOTAVAIL); every first connection attempt failed", s.host))
		return
	}
	if ce := (*ClassError)(nil); errors.As(err, &ce) && ce.Class == ClassProtocol {
		// The server answered in the protocol (an HTTP/2 GOAWAY, no stream
		// allowed) and refused the connection: it listens.
		s.abort(fmt.Sprintf("cannot use %s (%s): every first connection was refused before it carried a request", s.host, errorText(err)))
		return
	}
	s.abort(fmt.Sprintf("cannot connect to %s (%s): every first connection attempt failed and none succeeded; check that the server is listening there", s.host, errorText(err)))
}
