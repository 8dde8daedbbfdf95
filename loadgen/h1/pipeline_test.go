package h1_test

import (
	"bytes"
	"context"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gowrk/gowrk/loadgen"
	"github.com/gowrk/gowrk/loadgen/h1"
	"github.com/gowrk/gowrk/loadgen/testserver"
)

// TestPipeline: with -P 4 each connection has 4 requests on the wire at
// once (the server finds 4 request heads in its first read), every request
// is answered and counted once, and -n stays exact.
func TestPipeline(t *testing.T) {
	var firstRead, answered atomic.Int64
	srv, err := testserver.StartRaw(func(c net.Conn) {
		time.Sleep(50 * time.Millisecond) // let the pipeline fill
		buf := make([]byte, 64<<10)
		first := true
		pending := 0
		for {
			n, err := c.Read(buf)
			if err != nil {
				return
			}
			heads := bytes.Count(buf[:n], []byte("\r\n\r\n"))
			if first {
				firstRead.Store(int64(heads))
				first = false
			}
			pending += heads
			for ; pending > 0; pending-- {
				answered.Add(1) // before the write: the client may count it at once
				c.Write([]byte(helloResponse))
			}
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	cfg := config(t, srv.URL())
	cfg.Threads, cfg.Connections, cfg.Duration, cfg.Requests, cfg.Pipeline = 1, 1, 0, 1001, 4
	eng, err := h1.NewLoop(context.Background(), cfg.Target, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	res, err := loadgen.Run(context.Background(), cfg, eng)
	if err != nil {
		t.Fatal(err)
	}
	testserver.CheckAccounting(t, res)
	if got := firstRead.Load(); got != 4 {
		t.Errorf("the server's first read held %d requests, want 4 pipelined", got)
	}
	if res.Counts.Completed != 1001 || answered.Load() != 1001 {
		t.Errorf("completed %d, server answered %d, want 1001", res.Counts.Completed, answered.Load())
	}
}
