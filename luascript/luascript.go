// Package luascript runs wrk's Lua scripts (-s) on gopher-lua, as far as
// gowrk supports them yet: a script that sets wrk.method, wrk.path,
// wrk.headers and wrk.body (at the top level or in init(args)) and reports
// in done(summary, latency, requests). The request it describes is built
// once, so it costs nothing per request. Scripts with per-request hooks
// (setup, request, response, delay) are refused with one line, not run
// wrongly. print and io.write go to a buffer that the CLI writes to stdout
// after the report, as wrk does.
//
// A Script is used by one goroutine: Load before the run, Done after it.
package luascript

import (
	"bytes"
	"fmt"
	"net"
	"sort"
	"strings"

	"github.com/gowrk/gowrk/loadgen"
	lua "github.com/yuin/gopher-lua"
)

// Script is a loaded script and its interpreter state.
type Script struct {
	L    *lua.LState
	name string
	out  bytes.Buffer
}

// Request is what the script made of the request.
type Request struct {
	Method, Path string
	Headers      []loadgen.Header
	Body         []byte
}

// unsupported are wrk's hooks that gowrk does not run yet.
var unsupported = []string{"setup", "request", "response", "delay"}

// Load runs the script file at path with args (init's arguments) for
// target t, and returns the request it describes. Every error names the
// file, and the line where Lua knows it.
func Load(path string, args []string, t loadgen.Target) (*Script, Request, error) {
	s := &Script{L: lua.NewState(), name: path}
	L := s.L
	s.redirectOutput()
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
	L.SetField(wrk, "format", L.NewFunction(s.format(wrk, net.JoinHostPort(host, port))))
	L.SetGlobal("wrk", wrk)
	if err := L.DoFile(path); err != nil {
		s.Close()
		return nil, Request{}, s.errorf(err)
	}
	for _, hook := range unsupported {
		if L.GetGlobal(hook).Type() == lua.LTFunction {
			s.Close()
			return nil, Request{}, fmt.Errorf("--script %s: %s() is not supported yet; gowrk runs scripts that set wrk.method, wrk.path, wrk.headers and wrk.body (at the top level or in init) and report in done()", path, hook)
		}
	}
	if fn := L.GetGlobal("init"); fn.Type() == lua.LTFunction {
		targs := L.NewTable()
		for _, a := range args {
			targs.Append(lua.LString(a))
		}
		if err := L.CallByParam(lua.P{Fn: fn, NRet: 0, Protect: true}, targs); err != nil {
			s.Close()
			return nil, Request{}, s.errorf(err)
		}
	}
	req, err := s.request(wrk)
	if err != nil {
		s.Close()
		return nil, Request{}, err
	}
	return s, req, nil
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
func (s *Script) request(wrk *lua.LTable) (Request, error) {
	L := s.L
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
func (s *Script) format(wrk *lua.LTable, hostport string) lua.LGFunction {
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

// redirectOutput sends print and io.write to the script's buffer.
func (s *Script) redirectOutput() {
	L := s.L
	L.SetGlobal("print", L.NewFunction(func(L *lua.LState) int {
		for i := 1; i <= L.GetTop(); i++ {
			if i > 1 {
				s.out.WriteByte('\t')
			}
			s.out.WriteString(L.ToStringMeta(L.Get(i)).String())
		}
		s.out.WriteByte('\n')
		return 0
	}))
	if io, ok := L.GetGlobal("io").(*lua.LTable); ok {
		L.SetField(io, "write", L.NewFunction(func(L *lua.LState) int {
			for i := 1; i <= L.GetTop(); i++ {
				s.out.WriteString(L.ToStringMeta(L.Get(i)).String())
			}
			return 0
		}))
	}
}

// Output is what the script printed so far.
func (s *Script) Output() []byte { return s.out.Bytes() }

// Close releases the interpreter.
func (s *Script) Close() { s.L.Close() }
