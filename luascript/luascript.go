// Package luascript runs wrk's Lua scripts (-s) on gopher-lua.
//
// A script that only sets wrk.method, wrk.path, wrk.headers and wrk.body
// (at the top level or in init(args)) is static: the request it describes
// is built once and costs nothing per request. A script that defines
// setup, request, response or delay is dynamic: as in wrk, each thread
// gets an interpreter state of its own (Threads), set up by setup(thread)
// in the main state and init(args) in its own, and the thread's engine
// goroutine calls its hooks (loadgen.Hooks); no state is shared between
// goroutines or locked. print and io.write go to buffers that the CLI
// writes to stdout after the report.
//
// A Script is used by one goroutine: Load and Threads before the run,
// Done after it; each Thread by its thread's goroutine during the run.
package luascript

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"sort"
	"strings"
	"time"

	"github.com/gowrk/gowrk/loadgen"
	lua "github.com/yuin/gopher-lua"
)

// Script is a loaded script and its main interpreter state.
type Script struct {
	L       *lua.LState
	name    string
	ctx     context.Context // ends when gowrk is interrupted (the watchdog's)
	length  time.Duration   // the run's length, warm-up and -d: the watchdog's bound on a call outside the run; 0 for none
	out     bytes.Buffer
	target  loadgen.Target
	dynamic bool
	threads []*Thread
	mark    int // the main state's output before the threads began
}

// Request is what the script made of the request.
type Request struct {
	Method, Path string
	Headers      []loadgen.Header
	Body         []byte
}

// hooks are wrk's functions that make a script dynamic.
var hooks = []string{"setup", "request", "response", "delay"}

// Load runs the script file at path for target t. A static script's
// init(args) runs here, and the request it describes is returned; a
// dynamic one's init runs in each thread's state (Threads), and the
// request returned is the top level's. Every error names the file, and the
// line where Lua knows it. ctx ends when gowrk is interrupted and length is
// the run's (warm-up and -d; 0 for none): the watchdog's bounds on every
// call outside the run (see Grace).
func Load(ctx context.Context, path string, args []string, t loadgen.Target, length time.Duration) (*Script, Request, error) {
	s := &Script{L: newState(), name: path, ctx: ctx, length: length, target: t}
	wrk, err := s.newWrk(s.L, &s.out)
	if err != nil {
		s.Close()
		return nil, Request{}, err
	}
	L := s.L
	for _, hook := range hooks {
		if L.GetGlobal(hook).Type() == lua.LTFunction {
			s.dynamic = true
		}
	}
	if !s.dynamic {
		if err := s.callInit(L, args); err != nil {
			s.Close()
			return nil, Request{}, err
		}
	}
	req, err := s.request(L, wrk)
	if err != nil {
		s.Close()
		return nil, Request{}, err
	}
	return s, req, nil
}

// Dynamic reports whether the script has per-thread hooks (setup,
// request, response, delay): it then runs through Threads.
func (s *Script) Dynamic() bool { return s.dynamic }

// callInit calls init(args) in L, when the script defines it, and then
// fixes wrk.request() to the request init left, as wrk.init does.
func (s *Script) callInit(L *lua.LState, args []string) error {
	if fn := L.GetGlobal("init"); fn.Type() == lua.LTFunction {
		targs := L.NewTable()
		for _, a := range args {
			targs.Append(lua.LString(a))
		}
		if err := s.call(L, "init()", lua.P{Fn: fn, NRet: 0, Protect: true}, targs); err != nil {
			return err
		}
	}
	wrk := L.GetGlobal("wrk").(*lua.LTable)
	if err := s.call(L, "wrk.format()", lua.P{Fn: L.GetField(wrk, "format"), NRet: 1, Protect: true}); err != nil {
		return err
	}
	req := L.Get(-1)
	L.Pop(1)
	L.SetField(wrk, "request", L.NewFunction(func(L *lua.LState) int { L.Push(req); return 1 }))
	return nil
}

// newWrk gives L the wrk table and output to out, and runs the script
// file in it.
func (s *Script) newWrk(L *lua.LState, out *bytes.Buffer) (*lua.LTable, error) {
	t := s.target
	redirectOutput(L, out)
	wrk := L.NewTable()
	host, port := t.URL.Hostname(), t.URL.Port()
	if port == "" {
		port = "80"
		if t.URL.Scheme == "https" {
			port = "443"
		}
	}
	L.SetField(wrk, "scheme", lua.LString(t.URL.Scheme))
	L.SetField(wrk, "host", lua.LString(host))
	L.SetField(wrk, "port", lua.LString(port))
	L.SetField(wrk, "method", lua.LString(t.Method))
	L.SetField(wrk, "path", lua.LString(t.URL.RequestURI()))
	headers := L.NewTable()
	for _, h := range t.Headers {
		L.SetField(headers, h.Name, lua.LString(h.Value))
	}
	L.SetField(wrk, "headers", headers)
	if len(t.Body) > 0 {
		L.SetField(wrk, "body", lua.LString(t.Body))
	}
	L.SetField(wrk, "format", L.NewFunction(format(wrk, net.JoinHostPort(host, port))))
	L.SetField(wrk, "lookup", L.NewFunction(lookup))
	L.SetField(wrk, "connect", L.NewFunction(connect))
	L.SetGlobal("wrk", wrk)
	err := s.bounded(L, "the file's top level", true, func() error { return L.DoFile(s.name) })
	if err != nil {
		return nil, s.wrap(err)
	}
	return wrk, nil
}

// call calls a script function before the run (setup, init, wrk.format,
// wrk.request), named fn, under the watchdog; its error is one line.
func (s *Script) call(L *lua.LState, fn string, p lua.P, args ...lua.LValue) error {
	return s.wrap(s.bounded(L, fn, true, func() error { return L.CallByParam(p, args...) }))
}

// wrap is err as one line naming the file: the watchdog's as it is, a
// script's through errorf.
func (s *Script) wrap(err error) error {
	if err == nil || errors.As(err, new(*stuckError)) {
		return err
	}
	return s.errorf(err)
}

func (s *Script) errorf(err error) error {
	msg := strings.TrimSpace(err.Error())
	if i := strings.Index(msg, "\nstack traceback:"); i >= 0 {
		msg = msg[:i]
	}
	msg = strings.ReplaceAll(msg, "\n", " ")
	if !strings.Contains(msg, s.name) {
		msg = s.name + ": " + msg
	}
	return fmt.Errorf("--script: %s", msg)
}

// request reads the request from the wrk table.
func (s *Script) request(L *lua.LState, wrk *lua.LTable) (Request, error) {
	var r Request
	m, ok := L.GetField(wrk, "method").(lua.LString)
	if !ok || m == "" || strings.ContainsAny(string(m), " \t\r\n:/") {
		return r, fmt.Errorf("--script %s: wrk.method must be a method name such as GET or POST", s.name)
	}
	p, ok := L.GetField(wrk, "path").(lua.LString)
	if !ok || !strings.HasPrefix(string(p), "/") || strings.ContainsAny(string(p), " \r\n") {
		return r, fmt.Errorf("--script %s: wrk.path must start with / and hold no space or line break", s.name)
	}
	r.Method, r.Path = string(m), string(p)
	switch b := L.GetField(wrk, "body").(type) {
	case lua.LString:
		r.Body = []byte(b)
	case *lua.LNilType:
	default:
		return r, fmt.Errorf("--script %s: wrk.body must be a string or nil", s.name)
	}
	h, ok := L.GetField(wrk, "headers").(*lua.LTable)
	if !ok {
		return r, fmt.Errorf("--script %s: wrk.headers must be a table", s.name)
	}
	var bad error
	h.ForEach(func(k, v lua.LValue) {
		ks, vs := k.String(), v.String()
		if k.Type() != lua.LTString || strings.ContainsAny(ks, " :\r\n") || strings.ContainsAny(vs, "\r\n") {
			bad = fmt.Errorf("--script %s: wrk.headers holds an invalid header %q", s.name, ks)
			return
		}
		r.Headers = append(r.Headers, loadgen.Header{Name: ks, Value: vs})
	})
	if bad != nil {
		return r, bad
	}
	// Lua's tables have no order; a sorted one keeps runs comparable.
	sort.Slice(r.Headers, func(i, j int) bool { return r.Headers[i].Name < r.Headers[j].Name })
	return r, nil
}

// format is wrk.format(method, path, headers, body): the request as
// HTTP/1.1 text, wrk's defaults filling what is nil.
func format(wrk *lua.LTable, hostport string) lua.LGFunction {
	return func(L *lua.LState) int {
		method := L.OptString(1, L.GetField(wrk, "method").String())
		path := L.OptString(2, L.GetField(wrk, "path").String())
		var b strings.Builder
		fmt.Fprintf(&b, "%s %s HTTP/1.1\r\n", method, path)
		headers, _ := L.Get(3).(*lua.LTable)
		if headers == nil {
			headers, _ = L.GetField(wrk, "headers").(*lua.LTable)
		}
		body := L.OptString(4, "")
		if L.Get(4) == lua.LNil {
			if bv, ok := L.GetField(wrk, "body").(lua.LString); ok {
				body = string(bv)
			}
		}
		hasHost := false
		if headers != nil {
			headers.ForEach(func(k, v lua.LValue) {
				if strings.EqualFold(k.String(), "host") {
					hasHost = true
				}
				fmt.Fprintf(&b, "%s: %s\r\n", k.String(), v.String())
			})
		}
		if !hasHost {
			fmt.Fprintf(&b, "Host: %s\r\n", hostport)
		}
		if body != "" {
			fmt.Fprintf(&b, "Content-Length: %d\r\n", len(body))
		}
		b.WriteString("\r\n")
		b.WriteString(body)
		L.Push(lua.LString(b.String()))
		return 1
	}
}

// redirectOutput sends L's print and io.write to out.
func redirectOutput(L *lua.LState, out *bytes.Buffer) {
	L.SetGlobal("print", L.NewFunction(func(L *lua.LState) int {
		for i := 1; i <= L.GetTop(); i++ {
			if i > 1 {
				out.WriteByte('\t')
			}
			out.WriteString(L.ToStringMeta(L.Get(i)).String())
		}
		out.WriteByte('\n')
		return 0
	}))
	if io, ok := L.GetGlobal("io").(*lua.LTable); ok {
		L.SetField(io, "write", L.NewFunction(func(L *lua.LState) int {
			for i := 1; i <= L.GetTop(); i++ {
				out.WriteString(L.ToStringMeta(L.Get(i)).String())
			}
			return 0
		}))
	}
}

// Output is what the script printed so far: the main state's until the
// threads were made, each thread's in thread order, then the main state's
// since (done()'s).
func (s *Script) Output() []byte {
	main := s.out.Bytes()
	if len(s.threads) == 0 {
		return main
	}
	var b bytes.Buffer
	b.Write(main[:s.mark])
	for _, t := range s.threads {
		b.Write(t.out.Bytes())
	}
	b.Write(main[s.mark:])
	return b.Bytes()
}

// Close releases the interpreters.
func (s *Script) Close() {
	for _, t := range s.threads {
		t.L.Close()
	}
	s.L.Close()
}
