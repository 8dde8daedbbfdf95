package report

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/gowrk/gowrk/loadgen"
)

// LogInfo is what a request log says of itself beside the run's figures.
type LogInfo struct {
	// Format is LogCSV or LogJSONL; Records the request records read.
	Format  string
	Records uint64
	// Sample is the fraction of requests the log kept (1: every one).
	Sample float64
	// BytesIn and BytesOut add up the bytes of the records that know
	// theirs; BytesUnknown counts the sent ones that do not.
	BytesIn, BytesOut int64
	BytesUnknown      uint64
}

// ReadLog reads a request log (CSV or JSON lines, told apart by its first
// line) and rebuilds its run's result: the per-request figures (counts of
// ended requests, status codes, the latency, censored, service and
// send-lag histograms) from its records, the rest from its last line. A
// log that is not one, or is cut short, or holds a record no run writes,
// is an error naming the line.
func ReadLog(r io.Reader) (*loadgen.Result, LogInfo, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), MaxReport)
	var info LogInfo
	if !sc.Scan() {
		return nil, info, logError(sc.Err(), "the file is empty: not a gowrk request log (--log)")
	}
	line := sc.Text()
	hdr := logHeader{}
	switch {
	case strings.HasPrefix(line, csvHeaderTag):
		line = line[len(csvHeaderTag):]
	case !strings.HasPrefix(line, jsonlHeaderTag):
		return nil, info, errors.New("line 1: not a gowrk request log (--log): it starts with neither a #gowrk-log line nor a {\"type\":\"log\"} line")
	}
	if err := json.Unmarshal([]byte(line), &hdr); err != nil || hdr.Version != 1 || (hdr.Format != LogCSV && hdr.Format != LogJSONL) {
		return nil, info, fmt.Errorf("line 1: not a request log header this gowrk reads (log_version %d, format %q)", hdr.Version, hdr.Format)
	}
	info.Format, info.Sample = hdr.Format, hdr.Sample
	if hdr.Format == LogCSV {
		if !sc.Scan() || sc.Text() != strings.Join(logColumns, ",") {
			return nil, info, logError(sc.Err(), "line 2: the CSV log's column names are not "+strings.Join(logColumns, ","))
		}
	}
	p := loadgen.NewReplay()
	var res *loadgen.Result
	first := 2 // the first record's line
	if hdr.Format == LogCSV {
		first = 3
	}
	for n := first; sc.Scan(); n++ {
		line := sc.Text()
		if res != nil {
			return nil, info, fmt.Errorf("line %d: a line after the log's report line", n)
		}
		if rep, ok := reportLine(line, hdr.Format); ok {
			var err error
			if res, err = Decode(strings.NewReader(rep)); err != nil {
				return nil, info, fmt.Errorf("line %d: the log's report line: %v", n, err)
			}
			continue
		}
		rec, err := parseRecord(line, hdr.Format)
		if err == nil {
			err = p.Add(&rec)
		}
		if err != nil {
			return nil, info, fmt.Errorf("line %d: %v", n, err)
		}
		info.Records++
		switch {
		case rec.BytesIn >= 0 && rec.BytesOut >= 0:
			info.BytesIn += rec.BytesIn
			info.BytesOut += rec.BytesOut
		case rec.Kind != loadgen.LogUnsent:
			info.BytesUnknown++
		}
	}
	if err := sc.Err(); err != nil {
		return nil, info, err
	}
	if res == nil {
		return nil, info, errors.New("the log ends before its report line: its run did not finish (killed, or its disk filled)")
	}
	p.Into(res)
	res.Sample = info.Sample // (Result.Sampled tells a sample from the whole)
	return res, info, nil
}

// IsLog reports whether a file that starts with head (its first bytes,
// LogMagic of them) is a request log, of either format.
func IsLog(head []byte) bool {
	return strings.HasPrefix(string(head), csvHeaderTag) || strings.HasPrefix(string(head), jsonlHeaderTag)
}

// LogMagic is how many bytes of a file IsLog needs.
const LogMagic = len(jsonlHeaderTag)

// jsonlHeaderTag starts a JSON lines log.
const jsonlHeaderTag = `{"type":"log"`

// logError is err when reading failed, else a new error with text.
func logError(err error, text string) error {
	if err != nil {
		return err
	}
	return errors.New(text)
}

// reportLine returns the JSON of the log's report line, when line is it.
func reportLine(line, format string) (string, bool) {
	if format == LogCSV {
		return strings.CutPrefix(line, csvReportTag)
	}
	return line, strings.HasPrefix(line, `{"type":"report"`)
}

// parseRecord reads one record line into its fields as text, in
// logColumns' order ("" for none, or null), then the record.
func parseRecord(line, format string) (loadgen.LogRecord, error) {
	var f []string
	if format == LogJSONL {
		var m map[string]json.RawMessage
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			return loadgen.LogRecord{}, errors.New("not a JSON record")
		}
		for _, col := range logColumns {
			v := string(m[col]) // (a number or a boolean as written)
			if v == "null" {
				v = ""
			} else if strings.HasPrefix(v, `"`) && json.Unmarshal(m[col], &v) != nil {
				return loadgen.LogRecord{}, fmt.Errorf("%s: not a JSON string", col)
			}
			f = append(f, v)
		}
	} else {
		var err error
		if f, err = csv.NewReader(strings.NewReader(line)).Read(); err != nil || len(f) != len(logColumns) {
			return loadgen.LogRecord{}, fmt.Errorf("not a CSV record of %d fields", len(logColumns))
		}
	}
	return recordOf(f)
}

// recordOf builds a record from its fields as text, in logColumns' order
// ("" for none).
func recordOf(f []string) (loadgen.LogRecord, error) {
	rec := loadgen.LogRecord{Kind: loadgen.LogKind(len(logKinds)), Target: -1, Step: -1, FirstByte: -1, BytesIn: -1, BytesOut: -1}
	for i, k := range logKinds {
		if f[0] == k {
			rec.Kind = loadgen.LogKind(i)
		}
	}
	if int(rec.Kind) == len(logKinds) {
		return rec, fmt.Errorf("kind %q: not one of %s", f[0], strings.Join(logKinds, ", "))
	}
	var err error
	num := func(col int, need bool) int64 {
		if f[col] == "" {
			if need && err == nil {
				err = fmt.Errorf("%s: missing", logColumns[col])
			}
			return -1
		}
		v, e := strconv.ParseInt(f[col], 10, 64)
		if (e != nil || v < 0) && err == nil {
			err = fmt.Errorf("%s %q: not a whole number of at least 0", logColumns[col], f[col])
		}
		return v
	}
	seq := num(1, true)
	rec.Seq, rec.Thread, rec.Slot, rec.Step = uint64(seq), int(num(2, true)), int(num(3, true)), int(num(5, false))
	rec.Due, rec.Send, rec.End = num(6, false), num(7, rec.Kind != loadgen.LogUnsent), num(9, true)
	if first := num(8, false); first >= 0 {
		rec.FirstByte = first - rec.Send
	}
	rec.Status = int(num(10, rec.Kind == loadgen.LogCompleted))
	rec.BytesIn, rec.BytesOut = num(13, false), num(14, false)
	rec.Scheduled = rec.Due >= 0
	if !rec.Scheduled {
		rec.Due = rec.Send
	}
	if rec.Kind == loadgen.LogFailed {
		if rec.Class = classNamed(f[11]); rec.Class == 0 && err == nil {
			err = fmt.Errorf("error %q: not an error class gowrk counts", f[11])
		}
	}
	rec.Late = f[12] == "true"
	if f[12] != "true" && f[12] != "false" && err == nil {
		err = fmt.Errorf("late %q: not true or false", f[12])
	}
	return rec, err
}

// classNamed is the error class of a name (loadgen.ErrorClass.String); 0
// for none.
func classNamed(name string) loadgen.ErrorClass {
	for c := loadgen.ClassConnect; c <= loadgen.ClassIdleClosed; c++ {
		if c.String() == name {
			return c
		}
	}
	return 0
}
