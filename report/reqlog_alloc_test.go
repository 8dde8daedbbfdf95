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
