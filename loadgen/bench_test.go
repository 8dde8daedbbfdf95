package loadgen

import (
	"context"
	"testing"
)

// BenchmarkRun measures gowrk's own per-request cost (scheduling, timing,
// recording) against an engine that does nothing: ns/op is the overhead the
// generator adds to every request.
func BenchmarkRun(b *testing.B) {
	cfg := fakeConfig()
	cfg.Duration, cfg.Requests, cfg.Threads, cfg.Connections = 0, uint64(b.N), 1, 1
	b.ReportAllocs()
	b.ResetTimer()
	if _, err := Run(context.Background(), cfg, instantEngine{}); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkRunLog is BenchmarkRun with a request log that takes every
// record (and does nothing with it): what the log costs the loop.
func BenchmarkRunLog(b *testing.B) {
	cfg := fakeConfig()
	cfg.Duration, cfg.Requests, cfg.Threads, cfg.Connections = 0, uint64(b.N), 1, 1
	cfg.Log = &countingLogs{}
	b.ReportAllocs()
	b.ResetTimer()
	if _, err := Run(context.Background(), cfg, instantEngine{}); err != nil {
		b.Fatal(err)
	}
}
