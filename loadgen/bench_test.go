package loadgen

import (
	"context"
	"testing"
	"time"
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

// BenchmarkFlush measures the Recorder's cost per completed request
// (ns/op is per sample of a 64-sample batch), with the request phases
// (first byte, body: two more histogram records) and without: their
// difference is what the phases add to every request.
func BenchmarkFlush(b *testing.B) {
	for _, tc := range []struct {
		name  string
		first int64
	}{{"phases", 300}, {"none", -1}} {
		b.Run(tc.name, func(b *testing.B) {
			r := newRecorder(time.Now())
			batch := make([]sample, batchSize)
			for i := range batch {
				batch[i] = sample{latency: 1000 + int64(i), service: 900 + int64(i), lag: -1, timer: -1, firstByte: tc.first, status: 200, step: -1}
			}
			var d Counts
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i += batchSize {
				r.flush(batch, &d)
			}
		})
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
