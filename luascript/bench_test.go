package luascript

import (
	"context"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"github.com/gowrk/gowrk/loadgen"
)

// BenchmarkHooks: a hook's cost with the watchdog armed (WatchRun: the VM
// polls the state's context between instructions) and without, for the
// scripts bench.sh runs (counter.lua's request(), response.lua's
// response()) and one whose request() is all Lua (a 100-step loop).
func BenchmarkHooks(b *testing.B) {
	loop := "function request()\n  local s = 0\n  for i = 1, 100 do s = s + i end\n  return 'GET /' .. s .. ' HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n'\nend\n"
	header := []byte("HTTP/1.1 200 OK\r\nServer: nginx\r\nDate: Thu, 04 Dec 2025 10:00:00 GMT\r\nContent-Length: 2\r\n")
	for _, bc := range []struct {
		name, src string
		call      func(t *Thread, buf []byte) error
	}{
		{"counter-request", "../scripts/lua/counter.lua", func(t *Thread, buf []byte) error { _, _, err := t.Request(buf, nil); return err }},
		{"response", "../scripts/lua/response.lua", func(t *Thread, buf []byte) error { return t.Response(200, header, []byte("ok")) }},
		{"lua-loop-request", loop, func(t *Thread, buf []byte) error { _, _, err := t.Request(buf, nil); return err }},
	} {
		path := bc.src
		if filepath.Ext(path) != ".lua" {
			path = filepath.Join(b.TempDir(), "loop.lua")
			if err := os.WriteFile(path, []byte(bc.src), 0o644); err != nil {
				b.Fatal(err)
			}
		}
		for _, watched := range []bool{false, true} {
			name := bc.name + "/bare"
			if watched {
				name = bc.name + "/watched"
			}
			b.Run(name, func(b *testing.B) {
				u, _ := url.Parse("http://127.0.0.1:8080/")
				s, _, err := Load(context.Background(), path, nil, loadgen.Target{URL: u, Method: "GET"}, 0)
				if err != nil {
					b.Fatal(err)
				}
				defer s.Close()
				hooks, err := s.Threads(1, nil)
				if err != nil {
					b.Fatal(err)
				}
				if watched {
					defer s.WatchRun(context.Background(), 0)()
				}
				t := hooks[0].(*Thread)
				buf := make([]byte, 0, 4096)
				for b.Loop() {
					if err := bc.call(t, buf[:0]); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
