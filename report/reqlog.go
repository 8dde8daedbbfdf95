package report

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/gowrk/gowrk/loadgen"
)

// The request log's formats, by name.
const (
	LogCSV   = "csv"
	LogJSONL = "jsonl"
)

// LogFormats are the --log-format names; LogFormatOf picks one from a
// file's extension.
var LogFormats = []string{LogCSV, LogJSONL}

// LogFormatOf is the log format a file name's extension implies: .csv is
// CSV, .jsonl, .ndjson and .json JSON lines; "" for any other.
func LogFormatOf(name string) string {
	switch i := strings.LastIndexByte(name, '.'); strings.ToLower(name[max(i, 0):]) {
	case ".csv":
		return LogCSV
	case ".jsonl", ".ndjson", ".json":
		return LogJSONL
	}
	return ""
}

// logColumns are the CSV log's columns, in order; the JSON lines' keys.
var logColumns = []string{"kind", "seq", "thread", "slot", "target", "step", "due_us", "send_us", "first_byte_us", "end_us", "status", "error", "late", "bytes_in", "bytes_out"}

// logKinds name loadgen's LogKinds, by value.
var logKinds = []string{"completed", "failed", "in_flight", "unsent"}

// CSV comment lines that carry the log's header and its report.
const (
	csvHeaderTag = "#gowrk-log "
	csvReportTag = "#gowrk-report "
)

// Buffer sizes: a thread hands its buffer to the writer when it holds
// logBufSize bytes; a record is far shorter than logSlack.
const (
	logBufSize = 64 << 10
	logSlack   = 4 << 10
)

// logHeader is the log's first line: what the rebuild and a reader need.
type logHeader struct {
	Type          string   `json:"type"` // "log"
	Version       int      `json:"log_version"`
	Format        string   `json:"format"`
	Start         string   `json:"start"` // RFC 3339, µs: the records' times are offsets from it
	WarmupUs      int64    `json:"warmup_us"`
	DurationUs    int64    `json:"duration_us"`
	Requests      uint64   `json:"requests"`
	Threads       int      `json:"threads"`
	Connections   int      `json:"connections"`
	Streams       int      `json:"streams"`
	Rate          float64  `json:"rate"`
	Sample        float64  `json:"sample"` // the fraction of requests kept, by number; 1: all
	URL           string   `json:"url"`
	Method        string   `json:"method"`
	HistLowestUs  int64    `json:"histogram_lowest_us"`
	HistHighestUs int64    `json:"histogram_highest_us"`
	HistSigFigs   int      `json:"histogram_significant_figures"`
	Columns       []string `json:"columns"`
}

// RequestLog writes a run's request log (a loadgen.RequestLog) as CSV or
// JSON lines. Each thread encodes its records into a buffer of its own;
// a full buffer goes to one writer goroutine, which writes it and hands it
// back. Memory is bounded: 2 buffers per thread and 2 more. When the disk
// falls behind, a thread waits for a free buffer (the load slows; Waits
// counts those waits): the log is never missing a record.
type RequestLog struct {
	w      io.Writer
	format string
	cfg    *loadgen.Config
	names  [][]byte // each target's name, encoded for the format
	full   chan []byte
	free   chan []byte
	done   chan struct{}
	thr    []*logThread
	err    error // the first write error, set by the writer goroutine (read after done)
	waits  atomic.Int64
}

// NewRequestLog returns a log of cfg's run writing to w in format
// (LogFormats). cfg's Log and LogSample are set to it.
func NewRequestLog(w io.Writer, format string, cfg *loadgen.Config) (*RequestLog, error) {
	if format != LogCSV && format != LogJSONL {
		return nil, fmt.Errorf("log format %q: use %s", format, strings.Join(LogFormats, " or "))
	}
	l := &RequestLog{w: w, format: format, cfg: cfg}
	if cfg.Targets != nil {
		for _, n := range cfg.Targets.Names {
			l.names = append(l.names, l.quote(n))
		}
	}
	cfg.Log = l
	return l, nil
}

// quote encodes s as a field of the log's format, on one line (a record
// is a line).
func (l *RequestLog) quote(s string) []byte {
	s = strings.NewReplacer("\r", " ", "\n", " ").Replace(s)
	if l.format == LogJSONL {
		b, _ := json.Marshal(s)
		return b
	}
	var b bytes.Buffer
	cw := csv.NewWriter(&b)
	_ = cw.Write([]string{s})
	cw.Flush()
	return bytes.TrimRight(b.Bytes(), "\r\n")
}

// Begin writes the header and starts the writer (loadgen.RequestLog).
func (l *RequestLog) Begin(start time.Time, threads int) {
	cfg := l.cfg
	sample := cfg.LogSample
	if sample <= 0 {
		sample = 1
	}
	h := logHeader{Type: "log", Version: 1, Format: l.format, Start: start.UTC().Format("2006-01-02T15:04:05.000000Z07:00"),
		WarmupUs: cfg.Warmup.Microseconds(), DurationUs: cfg.Duration.Microseconds(), Requests: cfg.Requests,
		Threads: cfg.Threads, Connections: cfg.Connections, Streams: max(cfg.Streams, 1), Rate: cfg.Rate, Sample: sample,
		Method: cfg.Target.Method, HistLowestUs: loadgen.HistLowest, HistHighestUs: loadgen.HistHighest,
		HistSigFigs: loadgen.HistSigFigs, Columns: logColumns}
	if cfg.Target.URL != nil {
		h.URL = RedactURL(cfg.Target.URL)
	}
	b, _ := json.Marshal(h)
	if l.format == LogCSV {
		b = append(append(append([]byte(csvHeaderTag), b...), '\n'), strings.Join(logColumns, ",")...)
	}
	if _, err := l.w.Write(append(b, '\n')); err != nil {
		l.err = err
	}
	n := 2*threads + 2
	l.full, l.free, l.done = make(chan []byte, n), make(chan []byte, n), make(chan struct{})
	for range n {
		l.free <- make([]byte, 0, logBufSize+logSlack)
	}
	l.thr = make([]*logThread, threads)
	go l.writer()
}

// writer writes full buffers in the order they come and hands them back;
// after a write error it drops the rest (Close returns the error).
func (l *RequestLog) writer() {
	defer close(l.done)
	for b := range l.full {
		if l.err == nil {
			_, l.err = l.w.Write(b)
		}
		l.free <- b[:0]
	}
}

// Thread returns thread i's writer (loadgen.RequestLog).
func (l *RequestLog) Thread(i int) loadgen.RecordWriter {
	t := &logThread{l: l, buf: <-l.free}
	l.thr[i] = t
	return t
}

// Waits is how many times a thread waited for the writer (the disk fell
// behind the load).
func (l *RequestLog) Waits() int64 { return l.waits.Load() }

// Close writes what the threads still hold, then res as the log's last
// line: the run's report without the figures the records rebuild
// (loadgen.WithoutPerRequest); a nil res (a run that failed) gets no last
// line. It returns the first write error. A log whose run never began
// (Begin not called) gets nothing more.
func (l *RequestLog) Close(res *loadgen.Result, o Options) error {
	if l.done == nil {
		return l.err
	}
	for _, t := range l.thr {
		if t != nil && len(t.buf) > 0 {
			l.full <- t.buf
		}
	}
	close(l.full)
	<-l.done
	if l.err != nil || res == nil {
		return l.err
	}
	var b bytes.Buffer
	if l.format == LogCSV {
		b.WriteString(csvReportTag)
	}
	o.Stream = true
	if err := JSON(&b, loadgen.WithoutPerRequest(res), o); err != nil {
		return err
	}
	_, err := l.w.Write(b.Bytes())
	return err
}

// logThread is one thread's buffer (loadgen.RecordWriter): used by its
// thread only.
type logThread struct {
	l   *RequestLog
	buf []byte
}

// Write encodes rec into the thread's buffer, handing a full one to the
// writer (and waiting for a free one when none is).
func (t *logThread) Write(rec *loadgen.LogRecord) {
	t.buf = t.l.appendRecord(t.buf, rec)
	if len(t.buf) < logBufSize {
		return
	}
	t.l.full <- t.buf
	select {
	case t.buf = <-t.l.free:
	default:
		t.l.waits.Add(1)
		t.buf = <-t.l.free
	}
}

// appendRecord appends rec as one line of the log's format.
func (l *RequestLog) appendRecord(b []byte, r *loadgen.LogRecord) []byte {
	jsonl := l.format == LogJSONL
	null := func(b []byte) []byte {
		if jsonl {
			return append(b, "null"...)
		}
		return b
	}
	num := func(b []byte, v int64, ok bool) []byte {
		if !ok {
			return null(b)
		}
		return strconv.AppendInt(b, v, 10)
	}
	for i, col := range logColumns {
		switch {
		case jsonl && i == 0:
			b = append(b, `{"`...)
		case jsonl:
			b = append(b, `,"`...)
		case i > 0:
			b = append(b, ',')
		}
		if jsonl {
			b = append(append(b, col...), `":`...)
		}
		switch i {
		case 0:
			b = l.text(b, logKinds[r.Kind])
		case 1:
			b = strconv.AppendUint(b, r.Seq, 10)
		case 2:
			b = strconv.AppendInt(b, int64(r.Thread), 10)
		case 3:
			b = strconv.AppendInt(b, int64(r.Slot), 10)
		case 4:
			if r.Target >= 0 && r.Target < len(l.names) {
				b = append(b, l.names[r.Target]...)
			} else {
				b = null(b)
			}
		case 5:
			b = num(b, int64(r.Step), r.Step >= 0)
		case 6:
			b = num(b, r.Due, r.Scheduled)
		case 7:
			b = num(b, r.Send, r.Send >= 0)
		case 8:
			b = num(b, r.Send+r.FirstByte, r.FirstByte >= 0 && r.Send >= 0)
		case 9:
			b = strconv.AppendInt(b, r.End, 10)
		case 10:
			b = num(b, int64(r.Status), r.Kind == loadgen.LogCompleted)
		case 11:
			if r.Kind == loadgen.LogFailed {
				b = l.text(b, r.Class.String())
			} else {
				b = null(b)
			}
		case 12:
			b = strconv.AppendBool(b, r.Late)
		case 13:
			b = num(b, r.BytesIn, r.BytesIn >= 0)
		case 14:
			b = num(b, r.BytesOut, r.BytesOut >= 0)
		}
	}
	if jsonl {
		b = append(b, '}')
	}
	return append(b, '\n')
}

// text appends a word that needs no escaping (a kind, an error class).
func (l *RequestLog) text(b []byte, s string) []byte {
	if l.format == LogJSONL {
		return append(append(append(b, '"'), s...), '"')
	}
	return append(b, s...)
}
