package report

import (
	"fmt"
	"math"
	"time"

	"github.com/gowrk/gowrk/loadgen"
)

// CheckMerge checks the reports gowrk merge is given before it adds them,
// naming the file in each refusal: a report whose counters contradict the
// histograms they describe, the same run given twice (under two names),
// and, unless allowMixed, reports of unrelated runs (not at the same
// time, or with different load settings). names are the files of parts.
func CheckMerge(parts []*loadgen.Result, names []string, allowMixed bool) error {
	for i, p := range parts {
		if err := checkCounts(p); err != nil {
			return fmt.Errorf("%s: %v: the report was edited or damaged", names[i], err)
		}
	}
	for i, p := range parts {
		for j := range i {
			q := parts[j]
			if p.RunID != "" && p.RunID == q.RunID {
				return fmt.Errorf("%s and %s are the same run (run id %s): it would be counted twice", names[j], names[i], p.RunID)
			}
			if sameRun(p, q) {
				return fmt.Errorf("%s and %s are the same run (started %s, the same counts): it would be counted twice", names[j], names[i], q.Start.UTC().Format(time.RFC3339Nano))
			}
			if allowMixed {
				continue
			}
			if err := apart(names[j], q.Start, q.End, names[i], p.Start, p.End); err != nil {
				return err
			}
			if what, a, b := settingsDiffer(&q.Config, &p.Config); what != "" {
				return fmt.Errorf("%s has %s %s and %s %s: runs of different load settings (--allow-mixed merges them anyway)", names[j], what, a, names[i], b)
			}
		}
	}
	return nil
}

// apart refuses two parts (a, from as to ae; b) whose time windows do not
// overlap: runs not at the same time.
func apart(a string, as, ae time.Time, b string, bs, be time.Time) error {
	if !as.After(be) && !bs.After(ae) {
		return nil
	}
	return fmt.Errorf("%s ran %s to %s and %s %s to %s: not at the same time, so their rates do not add up (start shards at one --start-at; --allow-mixed merges them anyway)",
		a, stamp(as), stamp(ae), b, stamp(bs), stamp(be))
}

func stamp(t time.Time) string { return t.UTC().Format("15:04:05.000") }

// checkCounts checks r's counters against its histograms: every request
// that ended and is not excluded is one latency value, every completed one
// a service time.
func checkCounts(r *loadgen.Result) error {
	c := &r.Counts
	ended := c.Completed + c.Failed()
	if ended < c.Completed || c.LatencyExcluded > ended {
		return fmt.Errorf("counts.latency_excluded %d is more than the %d requests that ended", c.LatencyExcluded, ended)
	}
	if n := uint64(r.Latency.TotalCount()); n != ended-c.LatencyExcluded {
		return fmt.Errorf("latency.histogram holds %d values, but the counts say %d (completed %d + failed %d - latency_excluded %d)",
			n, ended-c.LatencyExcluded, c.Completed, c.Failed(), c.LatencyExcluded)
	}
	if n := uint64(r.Service.TotalCount()); n != c.Completed {
		return fmt.Errorf("service_time.histogram holds %d values, but counts.completed is %d", n, c.Completed)
	}
	return nil
}

// sameRun reports whether a and b, one of them without a run id (a report
// written before run ids), are one run: the same start and end and the
// same counts. (Two shards are refused by their index, in loadgen.Merge: a
// shard given twice.)
func sameRun(a, b *loadgen.Result) bool {
	if a.RunID != "" && b.RunID != "" {
		return false // told apart by their run ids
	}
	return a.Shard == nil && b.Shard == nil && a.Start.Equal(b.Start) && a.End.Equal(b.End) && a.Counts == b.Counts
}

// settingsDiffer names the first load setting in which a and b differ
// (what would make their figures mean different things), with both values.
func settingsDiffer(a, b *loadgen.Config) (what, av, bv string) {
	perConn := func(c *loadgen.Config) float64 { return c.Rate / float64(max(c.Connections, 1)) }
	shape := func(c *loadgen.Config) string {
		if c.Shape == nil {
			return "none"
		}
		return c.Shape.String()
	}
	for _, s := range []struct{ what, a, b string }{
		{"-d", fmt.Sprint(a.Duration), fmt.Sprint(b.Duration)},
		{"--timeout", fmt.Sprint(a.Timeout), fmt.Sprint(b.Timeout)},
		{"--warmup", fmt.Sprint(a.Warmup), fmt.Sprint(b.Warmup)},
		{"a rate shape", shape(a), shape(b)},
		{"--streams", fmt.Sprint(a.Streams), fmt.Sprint(b.Streams)},
		{"--pipeline", fmt.Sprint(a.Pipeline), fmt.Sprint(b.Pipeline)},
		{"--timeout-action", fmt.Sprint(a.TimeoutAction), fmt.Sprint(b.TimeoutAction)},
	} {
		if s.a != s.b {
			return s.what, s.a, s.b
		}
	}
	if ra, rb := perConn(a), perConn(b); math.Abs(ra-rb) > 1e-9*max(ra, rb) {
		per := func(r float64) string {
			if r == 0 {
				return "none (closed loop)"
			}
			return fmt.Sprintf("%.6g/s per connection", r)
		}
		return "-R", per(ra), per(rb)
	}
	return "", "", ""
}
