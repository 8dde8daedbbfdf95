package loadgen

import "time"

// Hooks are a script's per-request functions for one thread (wrk's
// request(), delay() and response(), and thread:stop()). The thread's
// engine goroutine is the only one that calls them, so an interpreter
// behind them is never shared or locked. Engines that cannot run them
// refuse a Config with Hooks (the caller checks Engine.RunsHooks).
//
// The hooks are the script's, not the run's rules: every request they make
// is taken, counted and timed through the thread's Slots like any other.
type Hooks interface {
	// Request appends the next requests to buf, as HTTP/1.1 bytes, and
	// the length of each to lens, and returns both: several requests in a
	// row are pipelined, as wrk does with a request() that returns them
	// concatenated. (HTTP/1.1 text is read in loadgen/h1: SplitRequests.)
	Request(buf []byte, lens []int) ([]byte, []int, error)
	// Delay is how long the next batch of requests waits (wrk's delay()):
	// after the previous response in closed loop, after its due time under
	// a schedule (where it adds to the due time, as in wrk2). 0: none.
	Delay() (time.Duration, error)
	// WantsResponse says whether Response must be called: only then do
	// engines keep a response's header block and body.
	WantsResponse() bool
	// Response is called with every complete response: its status, its
	// header block as received (status line excluded) and its body
	// (de-chunked). The slices are only valid during the call.
	Response(status int, header, body []byte) error
	// Stopped reports whether the script stopped its thread
	// (thread:stop()); the engine then ends the thread as a run end does.
	Stopped() bool
	// Addr is the address the thread connects to ("host:port", wrk's
	// thread.addr set in setup()); "" for the target's.
	Addr() string
}

// HookRunner is an Engine that can run Hooks. The HTTP/1.1 event loop
// drives a whole thread from one goroutine and takes one Hooks per thread,
// as wrk has one interpreter per thread; the engines with a goroutine per
// connection (HTTP/1.1 over TLS, HTTP/2) take one per connection
// (HooksPerConn), so that no interpreter is shared between goroutines.
type HookRunner interface {
	HooksPerConn() bool
}

// A SlotHookRunner is a HookRunner whose every stream slot runs on a
// goroutine of its own (HTTP/3 under the adapter): with HooksPerSlot it
// takes one Hooks per slot, connections x streams, so that no
// interpreter is shared between goroutines.
type SlotHookRunner interface {
	HookRunner
	HooksPerSlot() bool
}

// HooksFor is the Hooks of the thread's connection i (counted within the
// thread), or of its slot i for a SlotHookRunner; nil without a script.
func (t *Thread) HooksFor(i int) Hooks {
	if t.ConnHooks != nil {
		return t.ConnHooks[i]
	}
	return t.Hooks
}

// Abort stops the whole run early because of err (a script's request()
// or response() failed): the report says why and shows what was done.
func (t *Thread) Abort(err error) { t.run.abort(err.Error()) }

// MaxKeptBody bounds the response body an engine keeps for a script's
// response(): beyond it the body is counted but not kept.
const MaxKeptBody = 16 << 20

// KeepBody appends b to a kept body, up to MaxKeptBody; every engine keeps
// bodies through it.
func KeepBody(dst, b []byte) []byte {
	if n := min(len(b), MaxKeptBody-len(dst)); n > 0 {
		dst = append(dst, b[:n]...)
	}
	return dst
}

// ScriptDelay is the longest delay() gowrk accepts: a script returning
// more is an error, not a run that hangs past its end.
const ScriptDelay = time.Hour
