package loadgen

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
)

// A StreamEngine is a ConnEngine whose connections each carry
// Thread.Streams requests at once, each on its own stream (HTTP/3 over
// QUIC), through blocking calls. The adapter runs one worker per stream
// slot, as it runs one per HTTP/1.1 connection; the workers of one
// connection share it through one Shared. Each worker's Conn is its
// stream handle: closing it (after a failed request) ends the stream, and
// the connection only when the engine finds it dead.
type StreamEngine interface {
	ConnEngine
	// DialStream returns a stream handle on sh's connection, dialling the
	// connection first when sh has none that is alive (a dial is counted
	// as a connect, on the worker that made it). A dial that another
	// stream of sh made at the same time, and that failed, is returned as
	// ErrSharedDialFailed: counted once, by that stream.
	DialStream(ctx context.Context, sh *Shared) (Conn, error)
	// CloseShared closes sh's connection, once its workers are done (or
	// a Shared holding only a Seed no worker adopted).
	CloseShared(sh *Shared)
}

// Shared is one connection of a StreamEngine as its stream workers see it.
// Mu guards it; the engine owns Conn and Gen.
type Shared struct {
	Mu sync.Mutex
	// Conn is the engine's connection; nil before the first dial.
	Conn any
	// Gen counts the dials made for the connection, failed or not, so
	// that a worker that waited on another's dial can tell (read before
	// taking Mu).
	Gen atomic.Uint64
	// Seed is the run's first connection's stream handle (FirstDialer),
	// adopted by the connection's first worker; the engine takes its
	// connection from it for the others. Nil otherwise.
	Seed Conn
}

// A StreamConn is a StreamEngine's stream handle: it says what is the
// connection's, not the slot's, so that the seam's rules see the
// connection. Safe for use from the connection's stream goroutines.
type StreamConn interface {
	Conn
	// Dialled says whether DialStream opened the connection for this
	// handle (a connection is counted opened once, not per stream).
	Dialled() bool
	// Answered says whether the connection has carried a response on any
	// stream: an end before a response is then a stale connection's, not
	// a refusal of a new one.
	Answered() bool
}

// ErrSharedDialFailed is DialStream's answer to a worker that waited on
// another stream's dial of the same connection, which failed.
var ErrSharedDialFailed = errors.New("the connection's dial failed")

// shares makes one Shared per connection of th, for a StreamEngine; nil
// for any other engine.
func (a *connThreads) shares(th *Thread) []*Shared {
	if _, ok := a.eng.(StreamEngine); !ok {
		return nil
	}
	sh := make([]*Shared, th.Connections())
	for i := range sh {
		sh[i] = &Shared{}
	}
	return sh
}

// closeShares closes the connections of a StreamEngine's thread once its
// workers are done; first is the run's first connection when no worker
// adopted it.
func (a *connThreads) closeShares(shares []*Shared, first Conn) {
	se, ok := a.eng.(StreamEngine)
	if !ok {
		return
	}
	for _, sh := range shares {
		se.CloseShared(sh)
	}
	if first != nil {
		se.CloseShared(&Shared{Seed: first})
	}
}
