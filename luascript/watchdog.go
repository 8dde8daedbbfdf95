package luascript

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	lua "github.com/yuin/gopher-lua"
)

// The watchdog stops a script function that does not return. gopher-lua
// checks a state's context between instructions (LState.SetContext): once
// the context is cancelled, the running function raises an error, which
// unwinds it as any script error does.
//
//   - A function called outside the run (the file's top level, setup,
//     init, wrk.format and wrk.request as init leaves them, done) is
//     stopped once it has run for the run's length (warm-up and -d) and
//     Grace, and, but for done, at once when gowrk is interrupted.
//   - The hooks of the run (request, response, delay) are stopped Grace
//     after the run's end: its length counted from the first hook call of
//     the run, or Grace after gowrk is interrupted, whichever comes first.
//
// A run without a length (-n alone) has no deadline: only a signal stops
// its hooks.

// Grace is how long a script function may run on past the end it was
// given before the watchdog stops it.
const Grace = time.Second

// stopper is an interpreter state's stop switch, its LState context.
type stopper struct {
	context.Context                 // a cancelCtx: coroutines' contexts hang from it without a goroutine each
	done            <-chan struct{} // Context.Done(), kept: the VM asks for it before every instruction
	cancel          context.CancelFunc
	once            sync.Once
	why             string // why it was stopped: written before cancel, read after done is closed
}

func newStopper() *stopper {
	ctx, cancel := context.WithCancel(context.Background())
	return &stopper{Context: ctx, done: ctx.Done(), cancel: cancel}
}

// Done is the channel the VM polls; it is closed when the state is stopped.
func (s *stopper) Done() <-chan struct{} { return s.done }

// stop stops the state's running function, for why; only the first call counts.
func (s *stopper) stop(why string) {
	s.once.Do(func() { s.why = why; s.cancel() })
}

// stopped reports whether stop was called (and makes why readable).
func (s *stopper) stopped() bool {
	select {
	case <-s.done:
		return true
	default:
		return false
	}
}

// bounded runs call, a call of the script function fn in state L outside
// the run, under the watchdog: it is stopped after the run's length and
// Grace (when the run has a length) and, when onSignal, as soon as s.ctx
// ends. A stopped call's error names fn and why.
func (s *Script) bounded(L *lua.LState, fn string, onSignal bool, call func() error) error {
	st := newStopper()
	defer st.cancel()
	L.SetContext(st)
	defer L.RemoveContext()
	if s.length > 0 {
		limit := s.length + Grace
		t := time.AfterFunc(limit, func() {
			st.stop(fmt.Sprintf("did not return within %s (the run's length and %s); it was stopped", limit, Grace))
		})
		defer t.Stop()
	}
	if onSignal && s.ctx != nil {
		defer context.AfterFunc(s.ctx, func() { st.stop("had not returned when gowrk was interrupted; it was stopped") })()
	}
	err := call()
	if err != nil && st.stopped() {
		return s.stuck(err, fn, st.why)
	}
	return err
}

// stuck is the one line for fn, stopped by the watchdog for why: the file
// and the line where it was running, when Lua knows it.
func (s *Script) stuck(err error, fn, why string) error {
	where := s.name
	var ae *lua.ApiError
	if errors.As(err, &ae) {
		if m, ok := ae.Object.(lua.LString); ok {
			pos, found := strings.CutSuffix(string(m), ": "+context.Canceled.Error())
			if found && strings.HasPrefix(pos, s.name+":") && !strings.ContainsAny(pos[len(s.name):], " \n") {
				where = pos
			}
		}
	}
	return &stuckError{fmt.Sprintf("--script %s: %s %s", where, fn, why)}
}

// stuckError is the watchdog's line for a function it stopped.
type stuckError struct{ msg string }

func (e *stuckError) Error() string { return e.msg }

// runWatch is the watchdog of one run's hooks.
type runWatch struct {
	once  sync.Once
	begun chan struct{} // closed by the run's first hook call
}

// begin notes a hook call; a thread calls it once per run.
func (w *runWatch) begin() { w.once.Do(func() { close(w.begun) }) }

// WatchRun arms the watchdog over the threads' hooks for one run of
// length (warm-up and -d; 0 for a run without one, -n alone), ctx ending
// when gowrk is interrupted; release, called after the run, disarms it.
// No hook may be running when either is called.
func (s *Script) WatchRun(ctx context.Context, length time.Duration) (release func()) {
	w := &runWatch{begun: make(chan struct{})}
	for _, t := range s.threads {
		t.st, t.watch = newStopper(), w
		t.L.SetContext(t.st)
	}
	quit, finished := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(finished)
		if why := w.wait(ctx, length, quit); why != "" {
			for _, t := range s.threads {
				t.st.stop(why)
			}
		}
	}()
	return func() {
		close(quit)
		<-finished
		for _, t := range s.threads {
			t.L.RemoveContext()
			t.st.cancel()
			t.st, t.watch = nil, nil
		}
	}
}

// wait waits for the moment the run's hooks must be stopped and says why;
// "" when quit came first.
func (w *runWatch) wait(ctx context.Context, length time.Duration, quit <-chan struct{}) string {
	begun := w.begun
	if length <= 0 {
		begun = nil // no deadline
	}
	var expire <-chan time.Time
	for {
		select {
		case <-quit:
			return ""
		case <-begun:
			begun = nil
			t := time.NewTimer(length + Grace)
			defer t.Stop()
			expire = t.C
		case <-expire:
			return fmt.Sprintf("did not return within %s of the run's end; the run was stopped", Grace)
		case <-ctx.Done():
			t := time.NewTimer(Grace)
			defer t.Stop()
			select {
			case <-quit:
				return ""
			case <-t.C:
				return fmt.Sprintf("did not return within %s of gowrk's interruption; the run was stopped", Grace)
			}
		}
	}
}
