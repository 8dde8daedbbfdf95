package luascript

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"net"
	"strconv"
	"time"

	"github.com/gowrk/gowrk/loadgen"
	"github.com/gowrk/gowrk/loadgen/h1"
	lua "github.com/yuin/gopher-lua"
)

// Thread is one thread's interpreter state and the hooks the script
// defines in it: a loadgen.Hooks, used by its thread's engine goroutine
// only (after Threads made it, before Done reads it).
type Thread struct {
	s       *Script
	L       *lua.LState
	out     bytes.Buffer
	addr    string
	stopped bool
	err     error  // the first error of a hook during the run
	static  []byte // wrk.request()'s bytes, for a script without request()

	st    *stopper  // the watchdog's switch during a run (WatchRun); nil outside one
	watch *runWatch // the run's watchdog until this thread's first hook call of the run, then nil

	request, response, delay *lua.LFunction
	strs                     map[string]lua.LString // header names, values and small bodies seen, reused
	headers                  *lua.LTable            // response()'s headers table, reused
	names                    []string               // the names it holds
}

// maxStrs bounds a Thread's cache of header strings (a response's Date
// changes every second): when full, it starts again.
const maxStrs = 256

// str is b as a Lua string, from the cache when it has been seen before.
func (t *Thread) str(b []byte) lua.LString {
	if s, ok := t.strs[string(b)]; ok {
		return s
	}
	if t.strs == nil || len(t.strs) >= maxStrs {
		t.strs = make(map[string]lua.LString, maxStrs)
	}
	s := lua.LString(b)
	t.strs[string(s)] = s
	return s
}

var _ loadgen.Hooks = (*Thread)(nil)

// Threads makes n thread states, as wrk does: each runs the script file
// afresh, with wrk.thread its thread object; setup(thread) runs in the main
// state (where thread:set and thread.addr prepare it), then init(args) in
// the thread's own. An error in either is returned, before any load.
func (s *Script) Threads(n int, args []string) ([]loadgen.Hooks, error) {
	s.mark = s.out.Len()
	hooks := make([]loadgen.Hooks, 0, n)
	for range n {
		t := &Thread{s: s, L: newState()}
		s.threads = append(s.threads, t) // Close releases it, whatever happens
		wrk, err := s.newWrk(t.L, &t.out)
		if err != nil {
			return nil, err
		}
		t.L.SetField(wrk, "thread", t.object(t.L))
		if fn, ok := s.L.GetGlobal("setup").(*lua.LFunction); ok {
			if err := s.call(s.L, "setup()", lua.P{Fn: fn, NRet: 0, Protect: true}, t.object(s.L)); err != nil {
				return nil, err
			}
		}
		if err := s.callInit(t.L, args); err != nil {
			return nil, err
		}
		if err := s.call(t.L, "wrk.request()", lua.P{Fn: t.L.GetField(wrk, "request"), NRet: 1, Protect: true}); err != nil {
			return nil, err
		}
		t.static = []byte(t.L.Get(-1).String())
		t.L.Pop(1)
		t.request, _ = t.L.GetGlobal("request").(*lua.LFunction)
		t.response, _ = t.L.GetGlobal("response").(*lua.LFunction)
		t.delay, _ = t.L.GetGlobal("delay").(*lua.LFunction)
		hooks = append(hooks, t)
	}
	return hooks, nil
}

// Request implements loadgen.Hooks: request()'s string, or the thread's
// wrk.request() when the script defines no request().
func (t *Thread) Request(buf []byte, lens []int) ([]byte, []int, error) {
	if t.request == nil {
		return t.split(append(buf, t.static...), len(buf), lens)
	}
	t.begin()
	L := t.L
	if err := L.CallByParam(lua.P{Fn: t.request, NRet: 1, Protect: true}); err != nil {
		return buf, lens, t.fail(t.hookError(err, "request()"))
	}
	v := L.Get(-1)
	L.Pop(1)
	str, ok := v.(lua.LString)
	if !ok {
		return buf, lens, t.fail(fmt.Errorf("--script %s: request() returned a %s, want the request as a string (wrk.format)", t.s.name, v.Type()))
	}
	return t.split(append(buf, str...), len(buf), lens)
}

// split appends the lengths of the requests in buf[from:] to lens.
func (t *Thread) split(buf []byte, from int, lens []int) ([]byte, []int, error) {
	lens, err := h1.SplitRequests(buf[from:], lens)
	if err != nil {
		return buf, lens, t.fail(err)
	}
	return buf, lens, nil
}

// Delay implements loadgen.Hooks: delay()'s milliseconds.
func (t *Thread) Delay() (time.Duration, error) {
	if t.delay == nil {
		return 0, nil
	}
	t.begin()
	L := t.L
	if err := L.CallByParam(lua.P{Fn: t.delay, NRet: 1, Protect: true}); err != nil {
		return 0, t.fail(t.hookError(err, "delay()"))
	}
	v := L.Get(-1)
	L.Pop(1)
	ms, ok := v.(lua.LNumber)
	// The bounds are checked on the float: converting 1e18 ms or an
	// infinity to a Duration overflows (to a negative on amd64), and NaN
	// compares false with everything.
	f := float64(ms)
	if !ok || math.IsNaN(f) || f < 0 || f*float64(time.Millisecond) > float64(loadgen.ScriptDelay) {
		return 0, t.fail(fmt.Errorf("--script %s: delay() returned %s, want milliseconds from 0 to %d", t.s.name, v, loadgen.ScriptDelay.Milliseconds()))
	}
	return time.Duration(f * float64(time.Millisecond)), nil
}

// WantsResponse implements loadgen.Hooks.
func (t *Thread) WantsResponse() bool { return t.response != nil }

// Response implements loadgen.Hooks: response(status, headers, body), the
// headers a table by their names as received. As in wrk the table is the
// call's; unlike wrk's it is reused by the next call (keep its values, not
// the table): a new table per response cost a third of the CPU against
// nginx in gopher-lua's maps.
func (t *Thread) Response(status int, header, body []byte) error {
	t.begin()
	L := t.L
	if t.headers == nil {
		t.headers = L.NewTable()
	}
	headers := t.headers
	for _, n := range t.names {
		headers.RawSetString(n, lua.LNil)
	}
	t.names = t.names[:0]
	if i := bytes.IndexByte(header, '\n'); i >= 0 {
		header = header[i+1:] // the status line
	}
	for len(header) > 0 {
		line := header
		if i := bytes.IndexByte(header, '\n'); i >= 0 {
			line, header = header[:i], header[i+1:]
		} else {
			header = nil
		}
		if c := bytes.IndexByte(line, ':'); c > 0 {
			name := string(t.str(line[:c]))
			headers.RawSetString(name, t.str(bytes.TrimSpace(line[c+1:])))
			t.names = append(t.names, name)
		}
	}
	b := lua.LString(body)
	if len(body) <= maxCachedBody {
		b = t.str(body)
	}
	err := L.CallByParam(lua.P{Fn: t.response, NRet: 0, Protect: true}, lua.LNumber(status), headers, b)
	if err != nil {
		return t.fail(t.hookError(err, "response()"))
	}
	return nil
}

// maxCachedBody is the largest response body kept in the string cache.
const maxCachedBody = 4096

// begin tells the run's watchdog that the run's hooks have begun, on the
// thread's first hook call of the run.
func (t *Thread) begin() {
	if t.watch != nil {
		t.watch.begin()
		t.watch = nil
	}
}

// hookError is the error of the hook fn: the watchdog's line when it
// stopped the hook, else the script's own error.
func (t *Thread) hookError(err error, fn string) error {
	if t.st != nil && t.st.stopped() {
		return t.s.stuck(err, fn, t.st.why)
	}
	return t.s.errorf(err)
}

// fail keeps the thread's first error, for RunError, and returns it.
func (t *Thread) fail(err error) error {
	if t.err == nil {
		t.err = err
	}
	return err
}

// RunError is the first error a hook raised during the run (which stopped
// the run), nil if none did. It is read after the run.
func (s *Script) RunError() error {
	for _, t := range s.threads {
		if t.err != nil {
			return t.err
		}
	}
	return nil
}

// Stopped implements loadgen.Hooks: thread:stop() was called.
func (t *Thread) Stopped() bool { return t.stopped }

// Addr implements loadgen.Hooks: thread.addr, as setup left it.
func (t *Thread) Addr() string { return t.addr }

// object is t's thread object in state L (wrk's thread userdata): addr,
// get(name), set(name, value), stop().
func (t *Thread) object(L *lua.LState) *lua.LUserData {
	ud := L.NewUserData()
	ud.Value = t
	mt := L.NewTable()
	methods := map[string]lua.LGFunction{
		"get": func(L *lua.LState) int {
			L.Push(copyValue(L, t.L.GetGlobal(L.CheckString(2)), 0))
			return 1
		},
		"set": func(L *lua.LState) int {
			t.L.SetGlobal(L.CheckString(2), copyValue(t.L, L.Get(3), 0))
			return 0
		},
		"stop": func(L *lua.LState) int { t.stopped = true; return 0 },
	}
	L.SetField(mt, "__index", L.NewFunction(func(L *lua.LState) int {
		switch k := L.CheckString(2); k {
		case "addr":
			if t.addr == "" {
				L.Push(lua.LNil)
			} else {
				L.Push(lua.LString(t.addr))
			}
		default:
			if m, ok := methods[k]; ok {
				L.Push(L.NewFunction(m))
			} else {
				L.Push(lua.LNil)
			}
		}
		return 1
	}))
	L.SetField(mt, "__newindex", L.NewFunction(func(L *lua.LState) int {
		if L.CheckString(2) != "addr" {
			L.RaiseError("thread.%s cannot be set; only thread.addr", L.CheckString(2))
		}
		a := L.CheckString(3)
		if _, _, err := net.SplitHostPort(a); err != nil || net.ParseIP(hostOf(a)) == nil {
			L.RaiseError("thread.addr %q: want ip:port, as wrk.lookup returns", a)
		}
		t.addr = a
		return 0
	}))
	L.SetMetatable(ud, mt)
	return ud
}

func hostOf(hostport string) string {
	h, _, _ := net.SplitHostPort(hostport)
	return h
}

// copyValue copies v into L's world (wrk copies values between states):
// strings, numbers, booleans and tables of them; functions and userdata
// become nil.
func copyValue(L *lua.LState, v lua.LValue, depth int) lua.LValue {
	switch x := v.(type) {
	case lua.LString, lua.LNumber, lua.LBool:
		return x
	case *lua.LTable:
		if depth > 32 {
			return lua.LNil
		}
		t := L.NewTable()
		x.ForEach(func(k, v lua.LValue) { t.RawSet(copyValue(L, k, depth+1), copyValue(L, v, depth+1)) })
		return t
	}
	return lua.LNil
}

// lookup is wrk.lookup(host, service): the host's addresses as "ip:port"
// strings, or nil and a message.
func lookup(L *lua.LState) int {
	host, service := L.CheckString(1), L.OptString(2, "http")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	port, err := net.DefaultResolver.LookupPort(ctx, "tcp", service)
	var ips []string
	if err == nil {
		ips, err = net.DefaultResolver.LookupHost(ctx, host)
	}
	if err != nil {
		L.Push(lua.LNil)
		L.Push(lua.LString(err.Error()))
		return 2
	}
	t := L.NewTable()
	for _, ip := range ips {
		t.Append(lua.LString(net.JoinHostPort(ip, strconv.Itoa(port))))
	}
	L.Push(t)
	return 1
}

// connect is wrk.connect(addr): whether a TCP connection to addr opens
// within a second (it is closed at once).
func connect(L *lua.LState) int {
	c, err := net.DialTimeout("tcp", L.CheckString(1), time.Second)
	if err == nil {
		c.Close()
	}
	L.Push(lua.LBool(err == nil))
	return 1
}

// newState is an interpreter state sized for a script thread: gopher-lua's
// default registry and call stack cost about 500 KB a state, which at one
// state per connection (-c1000 under HTTP/2) was 550 MB; these grow on
// demand instead.
func newState() *lua.LState {
	return lua.NewState(lua.Options{CallStackSize: 64, RegistrySize: 256, RegistryMaxSize: 1 << 20, RegistryGrowStep: 256, MinimizeStackMemory: true})
}
