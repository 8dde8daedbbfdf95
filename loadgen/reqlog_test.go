package loadgen

import (
	"context"
	"reflect"
	"testing"
	"testing/synctest"
	"time"
)

// countingLog is a RecordWriter that counts its records.
type countingLog struct{ n int }

func (c *countingLog) Write(*LogRecord) { c.n++ }

// keptLog is a RequestLog that keeps every thread's records.
type keptLog struct {
	start   time.Time
	threads [][]LogRecord
}

type keptThread struct {
	l *keptLog
	i int
}

func (l *keptLog) Begin(start time.Time, threads int) {
	l.start, l.threads = start, make([][]LogRecord, threads)
}
func (l *keptLog) Thread(i int) RecordWriter { return keptThread{l, i} }
func (k keptThread) Write(r *LogRecord)      { k.l.threads[k.i] = append(k.l.threads[k.i], *r) }

func (l *keptLog) all() []LogRecord {
	var out []LogRecord
	for _, t := range l.threads {
		out = append(out, t...)
	}
	return out
}

// countingLogs is a RequestLog of countingLogs, one per thread.
type countingLogs struct{ w []*countingLog }

func (l *countingLogs) Begin(_ time.Time, threads int) {
	l.w = make([]*countingLog, threads)
	for i := range l.w {
		l.w[i] = &countingLog{}
	}
}
func (l *countingLogs) Thread(i int) RecordWriter { return l.w[i] }

// TestReplayRebuildsRun: a log's records, replayed into the run's result
// without its per-request figures, give back the run's figures exactly:
// an overloaded server (completed, timed out, in flight and never sent at
// the stop) in closed loop and under -R, on synctest's exact clock.
func TestReplayRebuildsRun(t *testing.T) {
	for _, rate := range []float64{0, 400} {
		synctest.Test(t, func(t *testing.T) {
			cfg := fakeConfig()
			cfg.Threads, cfg.Connections, cfg.Rate, cfg.Duration, cfg.Timeout = 2, 8, rate, 3*time.Second, 25*time.Millisecond
			cfg.TimeoutAction = TimeoutAbort
			log := &keptLog{}
			cfg.Log = log
			res, err := Run(context.Background(), cfg, newPool(2, 7*time.Millisecond+300*time.Nanosecond))
			if err != nil {
				t.Fatal(err)
			}
			c := res.Counts
			if c.Completed == 0 || c.Timeout == 0 || (rate > 0 && c.Unsent == 0) {
				t.Fatalf("rate %g: the run should have completed, timed-out and (under -R) unsent requests: %+v", rate, c)
			}
			p := NewReplay()
			recs := log.all()
			for i := range recs {
				if err := p.Add(&recs[i]); err != nil {
					t.Fatal(err)
				}
			}
			got := WithoutPerRequest(res)
			p.Into(got)
			if got.Counts != res.Counts {
				t.Errorf("rate %g: counts\n%+v, want\n%+v", rate, got.Counts, res.Counts)
			}
			if !reflect.DeepEqual(got.StatusCodes, res.StatusCodes) {
				t.Errorf("status codes %v, want %v", got.StatusCodes, res.StatusCodes)
			}
			for name, h := range map[string][2]any{"latency": {got.Latency, res.Latency}, "censored": {got.Censored, res.Censored},
				"service": {got.Service, res.Service}, "send lag": {got.SendLag, res.SendLag}} {
				if !reflect.DeepEqual(h[0], h[1]) {
					t.Errorf("rate %g: %s histograms differ", rate, name)
				}
			}
			if !log.start.Add(cfg.Warmup).Truncate(time.Microsecond).Equal(res.Start) {
				t.Errorf("log start %v, run start %v", log.start, res.Start)
			}
		})
	}
}

// TestLogSample: a sampled log keeps the same requests on a rerun, about
// the fraction asked, and LogKeeps is the rule it keeps them by.
func TestLogSample(t *testing.T) {
	run := func() []LogRecord {
		var recs []LogRecord
		synctest.Test(t, func(t *testing.T) {
			cfg := fakeConfig()
			cfg.Threads, cfg.Connections, cfg.Rate, cfg.Duration, cfg.LogSample = 2, 4, 2000, 2*time.Second, 0.1
			log := &keptLog{}
			cfg.Log = log
			if _, err := Run(context.Background(), cfg, newPool(4, time.Millisecond)); err != nil {
				t.Fatal(err)
			}
			recs = log.all()
		})
		return recs
	}
	a, b := run(), run()
	seqs := func(rs []LogRecord) map[uint64]bool {
		m := map[uint64]bool{}
		for _, r := range rs {
			if !LogKeeps(r.Seq, 0.1) {
				t.Fatalf("request %d logged, not in the sample", r.Seq)
			}
			m[r.Seq] = true
		}
		return m
	}
	if sa, sb := seqs(a), seqs(b); !reflect.DeepEqual(sa, sb) {
		t.Fatalf("reruns logged different requests: %d and %d", len(sa), len(sb))
	}
	if n := len(a); n < 300 || n > 500 { // 4000 requests, 10%: 400 ± 5 sigma
		t.Fatalf("%d of 4000 requests logged at 10%%", n)
	}
}
