package report

import (
	"bufio"
	"crypto/sha256"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// An hdrLog is one HdrHistogram interval log as gowrk's --hdr-log writes
// it: its base time, by tag its interval histograms in order, the span of
// its intervals, and its bytes' SHA-256 (a copy is the same log).
type hdrLog struct {
	base       float64 // seconds since the epoch
	tags       map[string][]hdrInterval
	start, end float64 // seconds since the epoch: the earliest interval start, the latest end
	sum        [sha256.Size]byte
}

type hdrInterval struct {
	start, end float64 // seconds since the epoch
	h          *hdrhistogram.Histogram
}

// hdrTags are the tags gowrk writes, in the order it writes them.
var hdrTags = []string{"latency", "service_time", "send_lag"}

// readHdrLog parses an interval log, checking each histogram's settings
// before it is decoded (readers of untrusted logs must not let a header
// size their allocation).
func readHdrLog(r io.Reader) (*hdrLog, error) {
	l := &hdrLog{tags: map[string][]hdrInterval{}, start: math.Inf(1), end: math.Inf(-1)}
	sum := sha256.New()
	sc := bufio.NewScanner(io.TeeReader(io.LimitReader(r, MaxReport), sum))
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	n, intervals := 0, 0
	for sc.Scan() {
		n++
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "#[BaseTime: "):
			f := append(strings.Fields(strings.TrimPrefix(line, "#[BaseTime: ")), "")
			v, err := strconv.ParseFloat(f[0], 64)
			if err != nil || !(v >= 0 && v <= math.MaxInt32*4) {
				return nil, fmt.Errorf("line %d: a malformed BaseTime", n)
			}
			l.base = v
		case strings.HasPrefix(line, "#"), strings.HasPrefix(line, `"StartTimestamp"`), line == "":
		default:
			f := strings.Split(line, ",")
			if len(f) != 5 || !strings.HasPrefix(f[0], "Tag=") {
				return nil, fmt.Errorf("line %d: not an interval line (Tag=..., start, length, max, histogram)", n)
			}
			tag := strings.TrimPrefix(f[0], "Tag=")
			known := false
			for _, t := range hdrTags {
				known = known || t == tag
			}
			start, err1 := strconv.ParseFloat(f[1], 64)
			length, err2 := strconv.ParseFloat(f[2], 64)
			if !known || err1 != nil || err2 != nil || start < 0 || length < 0 || math.IsInf(start+length, 0) {
				return nil, fmt.Errorf("line %d: tag %q, start %q, length %q: not gowrk's", n, tag, f[1], f[2])
			}
			h, err := decodeHist(f[4], runGeometry)
			if err != nil {
				return nil, fmt.Errorf("line %d: %v", n, err)
			}
			iv := hdrInterval{start: l.base + start, end: l.base + start + length, h: h}
			l.tags[tag] = append(l.tags[tag], iv)
			l.start, l.end = min(l.start, iv.start), max(l.end, iv.end)
			intervals++
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if intervals == 0 {
		return nil, fmt.Errorf("no interval histogram: not an HdrHistogram interval log")
	}
	sum.Sum(l.sum[:0])
	return l, nil
}

// checkHdrLogs applies gowrk merge's checks that an interval log allows
// (CheckMerge's for reports): the same log given twice (a copy too), and,
// unless allowMixed, logs of runs not at the same time.
func checkHdrLogs(logs []*hdrLog, names []string, allowMixed bool) error {
	at := func(s float64) time.Time { return time.UnixMicro(int64(math.Round(s * 1e6))) }
	for i, p := range logs {
		for j, q := range logs[:i] {
			if p.sum == q.sum {
				return &InputError{Index: i, Err: fmt.Errorf("%s and %s are the same log, byte for byte: it would be counted twice", names[j], names[i])}
			}
			if err := apart(names[j], at(q.start), at(q.end), names[i], at(p.start), at(p.end)); err != nil && !allowMixed {
				return &InputError{Index: i, Err: err}
			}
		}
	}
	return nil
}

// MergeHdrLogs merges --hdr-log files of runs made at the same time (the
// shards of a run) into one interval log on w: the k-th histogram of each
// tag is the sum of every log's k-th, exactly (a shared start barrier
// aligns their intervals), spanning the earliest start to the latest end.
// It returns the total count per tag. names are the inputs' files, for
// errors. It refuses, with an *InputError naming the file(s), what is not
// a gowrk interval log and what checkHdrLogs refuses, before it writes.
func MergeHdrLogs(w io.Writer, inputs []io.Reader, names []string, allowMixed bool) (map[string]int64, error) {
	var logs []*hdrLog
	base := math.Inf(1)
	for i, in := range inputs {
		l, err := readHdrLog(in)
		if err != nil {
			return nil, &InputError{Index: i, Err: fmt.Errorf("%s: %w", names[i], err)}
		}
		logs = append(logs, l)
		base = min(base, l.base)
	}
	if err := checkHdrLogs(logs, names, allowMixed); err != nil {
		return nil, err
	}
	lw := hdrhistogram.NewHistogramLogWriter(w)
	ms := int64(base * 1000)
	lw.SetBaseTime(ms)
	for _, f := range []func() error{
		lw.OutputLogFormatVersion,
		func() error {
			return lw.OutputComment(fmt.Sprintf("gowrk merge of %d logs: latency, service_time and send_lag in microseconds", len(logs)))
		},
		func() error { return lw.OutputStartTime(ms) },
		func() error { return lw.OutputBaseTime(ms) },
		lw.OutputLegend,
	} {
		if err := f(); err != nil {
			return nil, err
		}
	}
	totals := map[string]int64{}
	most := 0
	for _, l := range logs {
		for _, iv := range l.tags {
			most = max(most, len(iv))
		}
	}
	for k := range most {
		for _, tag := range hdrTags {
			var m *hdrhistogram.Histogram
			var start, end float64
			for _, l := range logs {
				ivs := l.tags[tag]
				if k >= len(ivs) {
					continue
				}
				if m == nil {
					m, start, end = hdrhistogram.New(runGeometry.lowest, runGeometry.highest, int(runGeometry.digits)), ivs[k].start, ivs[k].end
				}
				m.Merge(ivs[k].h)
				start, end = min(start, ivs[k].start), max(end, ivs[k].end)
			}
			if m == nil {
				continue
			}
			m.SetTag(tag)
			m.SetStartTimeMs(int64(start * 1000))
			m.SetEndTimeMs(int64(end * 1000))
			if err := lw.OutputIntervalHistogram(m); err != nil {
				return nil, err
			}
			totals[tag] += m.TotalCount()
		}
	}
	return totals, nil
}

// InputError is an error in the Index-th input of a merge: bad input. Its
// message names the file(s).
type InputError struct {
	Index int
	Err   error
}

func (e *InputError) Error() string { return e.Err.Error() }
