//go:build !race

package h2_test

import (
	"context"
	"crypto/tls"
	"encoding/binary"
	"io"
	"net"
	"runtime"
	"testing"
	"time"

	"github.com/gowrk/gowrk/loadgen"
	"github.com/gowrk/gowrk/loadgen/h2"
	"github.com/gowrk/gowrk/loadgen/testserver"
	"golang.org/x/net/http2"
)

// TestAllocs locks in the zero-allocation hot path: runs of 2,000 and
// 40,000 requests in closed loop with 4 streams per connection allocate
// the same, up to a small constant, on both of h2c's drivers. Under -R the
// event loop wakes for a due request from epoll's timeout and allocates
// nothing; the goroutine driver's connection goroutine
// wakes for a due request through its read deadline, and Go's net.Conn
// returns a new *net.OpError for each deadline that passes: one
// allocation per timer wake (not per request: responses wake it too),
// which the engine counts, and the test allows exactly that. The server is a raw h2c
// answerer that allocates nothing per request either (the count is the
// process's); the race detector allocates, so this file is built without it.
// Over TLS crypto/tls allocates an atLeastReader each time it reads from
// the socket (readFromUntil), on both sides: about half a time per request
// here, and the TLS case allows at most one per request; the engine's own
// code allocates nothing there either.
func TestAllocs(t *testing.T) {
	url := rawH2(t)
	ca, leaf := testserver.LoopbackCert(t)
	tlsURL := rawH2TLS(t, leaf)
	mallocs := func(cfg loadgen.Config, goroutines bool) (mallocs, wakes uint64) {
		eng, err := h2.New(context.Background(), cfg.Target, h2.Options{DialTimeout: time.Second, Goroutines: goroutines})
		if err != nil {
			t.Fatal(err)
		}
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		res, err := loadgen.Run(context.Background(), cfg, eng)
		if err != nil {
			t.Fatal(err)
		}
		runtime.ReadMemStats(&after)
		if res.Counts.Completed != cfg.Requests {
			t.Fatalf("completed %d of %d: %+v", res.Counts.Completed, cfg.Requests, res.Counts)
		}
		return after.Mallocs - before.Mallocs, eng.TimerWakes()
	}
	for _, tc := range []struct {
		name       string
		rate       float64
		targets    bool
		goroutines bool
		tls        bool // over TLS (the goroutine driver)
	}{{"closed loop", 0, false, false, false}, {"rate", 20000, false, false, false}, {"targets", 0, true, false, false},
		{"goroutine driver, closed loop", 0, false, true, false}, {"goroutine driver, rate", 20000, false, true, false},
		{"TLS, closed loop", 0, false, true, true}} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := config(t, url)
			if tc.tls {
				cfg = config(t, tlsURL)
				cfg.Target.TLS = &tls.Config{RootCAs: ca.Pool()}
			}
			cfg.Threads, cfg.Connections, cfg.Streams, cfg.Duration, cfg.Rate = 1, 2, 4, 0, tc.rate
			if tc.targets {
				cfg.Targets = twoTargets(t, cfg.Target)
			}
			cfg.Requests = 2000
			small, smallWakes := mallocs(cfg, tc.goroutines)
			cfg.Requests = 40000
			large, largeWakes := mallocs(cfg, tc.goroutines)
			// None per request; the goroutine driver's one per timer wake
			// (the event loop's timer wakes allocate nothing).
			wakes := largeWakes - min(largeWakes, smallWakes)
			if !tc.goroutines {
				wakes = 0
			}
			if tc.tls {
				wakes = 40000 - 2000 // crypto/tls's, at most one per request
			}
			if large > small+wakes+60 {
				t.Errorf("40000 requests allocate %d times (%d timer wakes), 2000 requests %d (%d wakes): the engine allocates per request", large, largeWakes, small, smallWakes)
			}
			t.Logf("40000 requests: %d allocations, %d timer wakes", large, largeWakes)
		})
	}
}

// rawH2TLS serves rawH2's answers over TLS with ALPN h2.
func rawH2TLS(t *testing.T, leaf tls.Certificate) string {
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{leaf}, NextProtos: []string{"h2"}})
	if err != nil {
		t.Fatal(err)
	}
	acceptRaw(t, ln)
	return "https://" + ln.Addr().String() + "/"
}

// acceptRaw serves each connection ln accepts with serveRaw until the
// test ends.
func acceptRaw(t *testing.T, ln net.Listener) {
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go serveRaw(c)
		}
	}()
}

// rawH2 serves h2c with prior knowledge from fixed buffers: SETTINGS, its
// ACK, and for each request's HEADERS a fixed response (":status: 200"
// from the static table, then DATA "ok").
func rawH2(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	acceptRaw(t, ln)
	return "http://" + ln.Addr().String() + "/"
}

func serveRaw(c net.Conn) {
	defer c.Close()
	pre := make([]byte, len(http2.ClientPreface))
	if _, err := io.ReadFull(c, pre); err != nil {
		return
	}
	frame := func(b []byte, typ http2.FrameType, flags http2.Flags, id uint32, p []byte) []byte {
		b = append(b, byte(len(p)>>16), byte(len(p)>>8), byte(len(p)), byte(typ), byte(flags), 0, 0, 0, 0)
		binary.BigEndian.PutUint32(b[len(b)-4:], id)
		return append(b, p...)
	}
	c.Write(frame(nil, http2.FrameSettings, 0, 0, nil))
	buf := make([]byte, 64<<10)
	out := make([]byte, 0, 64<<10)
	status := []byte{0x88}
	ok := []byte("ok")
	n := 0
	for {
		k, err := c.Read(buf[n:])
		if err != nil {
			return
		}
		n += k
		p := 0
		out = out[:0]
		for n-p >= 9 {
			l := int(buf[p])<<16 | int(buf[p+1])<<8 | int(buf[p+2])
			if n-p < 9+l {
				break
			}
			typ, flags := http2.FrameType(buf[p+3]), http2.Flags(buf[p+4])
			id := binary.BigEndian.Uint32(buf[p+5:]) & (1<<31 - 1)
			switch {
			case typ == http2.FrameSettings && !flags.Has(http2.FlagSettingsAck):
				out = frame(out, http2.FrameSettings, http2.FlagSettingsAck, 0, nil)
			case typ == http2.FrameHeaders:
				out = frame(out, http2.FrameHeaders, http2.FlagHeadersEndHeaders, id, status)
				out = frame(out, http2.FrameData, http2.FlagDataEndStream, id, ok)
			}
			p += 9 + l
		}
		n = copy(buf, buf[p:n])
		if len(out) > 0 {
			if _, err := c.Write(out); err != nil {
				return
			}
		}
	}
}

// twoTargets are GET /a and POST /b (with a body) on t's host, 3:1, as
// HTTP/1.1 bytes.
func twoTargets(t *testing.T, base loadgen.Target) *loadgen.Targets {
	host := base.URL.Host
	wire := [][]byte{[]byte("GET /a HTTP/1.1\r\nHost: " + host + "\r\n\r\n"),
		[]byte("POST /b HTTP/1.1\r\nHost: " + host + "\r\nContent-Length: 2\r\n\r\n{}")}
	ts, err := loadgen.NewTargets([]string{"a", "b"}, wire, []uint32{3, 1}, loadgen.OrderWeighted, 0)
	if err != nil {
		t.Fatal(err)
	}
	return ts
}
