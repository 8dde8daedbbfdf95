package h3

import (
	"testing"
	"time"

	"github.com/gowrk/gowrk/loadgen"
	"github.com/gowrk/gowrk/loadgen/testserver"
)

// BenchmarkH3 runs b.N requests over -c4 --streams 10 against the
// in-process server (whose CPU is in the profile too: look at the
// client's share, loadgen/h3 and quic-go's http3.ClientConn/RequestStream).
func BenchmarkH3(b *testing.B) {
	_, tg := serve(b, testserver.H3Behaviour{})
	b.ResetTimer()
	res := run(b, tg, loadgen.Config{Threads: 1, Connections: 4, Streams: 10, Requests: uint64(max(b.N, 40)), Timeout: 10 * time.Second, ConnectTimeout: 5 * time.Second})
	if res.Counts.Completed != uint64(max(b.N, 40)) {
		b.Fatalf("completed %d of %d", res.Counts.Completed, b.N)
	}
}
