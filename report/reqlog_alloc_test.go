package report

import (
	"io"
	"testing"
	"time"
)

// TestRequestLogWriteAllocs: encoding a record into a thread's buffer,
// and handing full buffers to the writer, allocates nothing.
func TestRequestLogWriteAllocs(t *testing.T) {
	for _, format := range LogFormats {
		cfg := fixedResult(0).Config
		l, err := NewRequestLog(io.Discard, format, &cfg)
		if err != nil {
			t.Fatal(err)
		}
		l.names = [][]byte{l.quote("a, name")}
		l.Begin(time.Time{}, 1)
		w := l.Thread(0)
		i := 0
		// 20000 records: the buffer is handed over several times
		if n := testing.AllocsPerRun(20000, func() { w.Write(&logRecords[i%len(logRecords)]); i++ }); n != 0 {
			t.Errorf("%s: %.2f allocations per record", format, n)
		}
	}
}

// BenchmarkRequestLogWrite is the cost of one record, encoded and written
// (to io.Discard, by the writer goroutine), per format.
func BenchmarkRequestLogWrite(b *testing.B) {
	for _, format := range LogFormats {
		b.Run(format, func(b *testing.B) {
			cfg := fixedResult(0).Config
			l, _ := NewRequestLog(io.Discard, format, &cfg)
			l.Begin(time.Time{}, 1)
			w := l.Thread(0)
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				w.Write(&logRecords[i%len(logRecords)])
			}
		})
	}
}
