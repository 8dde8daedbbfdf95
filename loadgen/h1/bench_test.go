package h1_test

import (
	"context"
	"testing"
	"time"

	"github.com/gowrk/gowrk/loadgen"
	"github.com/gowrk/gowrk/loadgen/h1"
)

// BenchmarkConnDo measures one request/response exchange over loopback
// against a server that allocates nothing; compare ns/op with wrk's
// per-request cost through scripts/bench-vs-wrk.sh.
func BenchmarkConnDo(b *testing.B) {
	cfg := config(&testing.T{}, rawServer(b, helloResponse))
	eng, err := h1.New(context.Background(), cfg.Target, time.Second)
	if err != nil {
		b.Fatal(err)
	}
	c, err := eng.Dial(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	var res loadgen.Response
	b.ReportAllocs()
	for b.Loop() {
		if err := c.Do(time.Now().Add(time.Second), &res); err != nil {
			b.Fatal(err)
		}
	}
}
