//go:build !race

package h1_test

import (
	"context"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/gowrk/gowrk/loadgen"
	"github.com/gowrk/gowrk/loadgen/h1"
)

// TestConnDoAllocs locks in the zero-allocation hot path: one exchange on a
// kept-alive connection allocates nothing (the race detector allocates, so
// this file is built without it).
func TestConnDoAllocs(t *testing.T) {
	for _, tc := range []struct{ name, response string }{
		{"content-length", helloResponse},
		{"chunked", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nHello\r\n8\r\n, World!\r\n0\r\n\r\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := config(t, rawServer(t, tc.response))
			eng, err := h1.New(context.Background(), cfg.Target, time.Second)
			if err != nil {
				t.Fatal(err)
			}
			c, err := eng.Dial(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			var res loadgen.Response
			n := testing.AllocsPerRun(1000, func() {
				if err := c.Do(time.Now().Add(time.Second), &res); err != nil || res.Status != 200 {
					t.Fatalf("Do: %v, status %d", err, res.Status)
				}
			})
			if n != 0 {
				t.Errorf("Conn.Do allocates %.2f times per request, want 0", n)
			}
		})
	}
}

// TestLoopAllocs: the event-loop engine allocates nothing per request:
// runs of 2,000 and 40,000 requests (closed loop, pipelined, under -R,
// and with many targets, on the goroutine engine too) allocate the same,
// up to a small constant. The parser alone allocates
// nothing per response either, whole or cut.
func TestLoopAllocs(t *testing.T) {
	mallocs := func(cfg loadgen.Config) uint64 {
		var eng loadgen.Engine
		var err error
		if cfg.Engine == "goroutine" {
			eng, err = h1.New(context.Background(), cfg.Target, time.Second)
		} else {
			eng, err = h1.NewLoop(context.Background(), cfg.Target, time.Second)
		}
		if err != nil {
			t.Fatal(err)
		}
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		if _, err := loadgen.Run(context.Background(), cfg, eng); err != nil {
			t.Fatal(err)
		}
		runtime.ReadMemStats(&after)
		return after.Mallocs - before.Mallocs
	}
	url := rawServer(t, helloResponse)
	for _, tc := range []struct {
		name     string
		pipeline int
		rate     float64
		hooks    bool
		engine   string // "goroutine": the goroutine engine's
	}{{"closed loop", 1, 0, false, ""}, {"pipelined", 4, 0, false, ""}, {"rate", 1, 20000, false, ""}, {"hooks", 1, 0, true, ""},
		{"targets", 1, 0, false, ""}, {"targets/rate", 1, 20000, false, ""}, {"goroutine/targets", 1, 0, false, "goroutine"}} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := config(t, url)
			cfg.Threads, cfg.Connections, cfg.Duration, cfg.Pipeline, cfg.Rate = 1, 4, 0, tc.pipeline, tc.rate
			cfg.Engine = tc.engine
			if strings.Contains(tc.name, "targets") {
				cfg.Targets = twoTargets(t, cfg.Target)
			}
			if tc.hooks {
				// The engine's side of a script: request bytes per batch
				// (two pipelined), responses kept and handed over. What
				// an interpreter allocates is its own.
				req, _ := h1.BuildRequest(cfg.Target)
				cfg.Hooks = []loadgen.Hooks{&goHooks{req: append(append([]byte(nil), req...), req...)}}
			}
			cfg.Requests = 2000
			small := mallocs(cfg)
			cfg.Requests = 40000
			large := mallocs(cfg)
			if large > small+40 {
				t.Errorf("40000 requests allocate %d times, 2000 requests %d: the loop allocates per request", large, small)
			}
		})
	}
}

// twoTargets are GET /a and POST /b (with a body) on base's origin, 3:1.
func twoTargets(t *testing.T, base loadgen.Target) *loadgen.Targets {
	var wire [][]byte
	for _, r := range []struct{ method, path, body string }{{"GET", "/a", ""}, {"POST", "/b", "{}"}} {
		u := *base.URL
		u.Path = r.path
		w, err := h1.BuildRequest(loadgen.Target{URL: &u, Method: r.method, Body: []byte(r.body)})
		if err != nil {
			t.Fatal(err)
		}
		wire = append(wire, w)
	}
	ts, err := loadgen.NewTargets([]string{"a", "b"}, wire, []uint32{3, 1}, loadgen.OrderWeighted, 0)
	if err != nil {
		t.Fatal(err)
	}
	return ts
}

// goHooks are loadgen.Hooks in Go that allocate nothing: a fixed batch of
// requests, a response() that counts.
type goHooks struct {
	req       []byte
	responses int
}

func (h *goHooks) Request(buf []byte, lens []int) ([]byte, []int, error) {
	return append(buf, h.req...), append(lens, len(h.req)), nil
}
func (h *goHooks) Delay() (time.Duration, error)      { return 0, nil }
func (h *goHooks) WantsResponse() bool                { return true }
func (h *goHooks) Response(int, []byte, []byte) error { h.responses++; return nil }
func (h *goHooks) Stopped() bool                      { return false }
func (h *goHooks) Addr() string                       { return "" }
