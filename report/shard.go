package report

import (
	"bufio"
	"fmt"
	"strings"
	"time"

	"github.com/gowrk/gowrk/loadgen"
)

// jsonShard is a shard's place in a sharded run (--shard I/N).
type jsonShard struct {
	Index   int    `json:"index"`
	Count   int    `json:"count"`
	StartAt string `json:"start_at,omitempty"`
	LateUs  int64  `json:"late_us"`
	Host    string `json:"host"`
}

// jsonMerged describes the parts of a merged report.
type jsonMerged struct {
	Parts         int         `json:"parts"`
	Count         int         `json:"shard_count,omitempty"`
	Shards        []jsonShard `json:"shards"`
	Missing       []int       `json:"missing_shards"`
	Failed        []int       `json:"failed_shards"`
	Incomplete    bool        `json:"incomplete"`
	StartSpreadUs int64       `json:"start_spread_us"`
}

func toJSONShard(s *loadgen.ShardInfo) jsonShard {
	j := jsonShard{Index: s.Index, Count: s.Count, LateUs: s.Late.Microseconds(), Host: s.Host}
	if !s.StartAt.IsZero() {
		j.StartAt = s.StartAt.UTC().Format(time.RFC3339Nano)
	}
	return j
}

func shardOf(r *loadgen.Result) *jsonShard {
	if r.Shard == nil {
		return nil
	}
	j := toJSONShard(r.Shard)
	return &j
}

func mergedOf(r *loadgen.Result) *jsonMerged {
	m := r.Merged
	if m == nil {
		return nil
	}
	j := &jsonMerged{Parts: m.Parts, Count: m.Count, Shards: []jsonShard{}, Missing: append([]int{}, m.Missing...), Failed: append([]int{}, m.Failed...),
		Incomplete: m.Incomplete, StartSpreadUs: m.StartSpread.Microseconds()}
	for k := range m.Shards {
		j.Shards = append(j.Shards, toJSONShard(&m.Shards[k]))
	}
	return j
}

func fromJSONShard(j *jsonShard) (loadgen.ShardInfo, error) {
	s := loadgen.ShardInfo{Index: j.Index, Count: j.Count, Late: time.Duration(j.LateUs) * time.Microsecond, Host: j.Host}
	if j.StartAt != "" {
		t, err := time.Parse(time.RFC3339Nano, j.StartAt)
		if err != nil {
			return s, err
		}
		s.StartAt = t
	}
	return s, nil
}

// shardLines are the text report's lines about a shard or a merge.
func shardLines(b *bufio.Writer, r *loadgen.Result) {
	if s := r.Shard; s != nil {
		fmt.Fprintf(b, "Shard: %d of %d on %s", s.Index, s.Count, s.Host)
		if !s.StartAt.IsZero() {
			fmt.Fprintf(b, ", started %s after the barrier %s", formatTimeUs(float64(s.Late.Microseconds())), s.StartAt.UTC().Format(time.RFC3339Nano))
		}
		fmt.Fprintln(b)
	}
	m := r.Merged
	if m == nil {
		return
	}
	fmt.Fprintf(b, "Merged: %d reports", m.Parts)
	if m.Count > 0 {
		fmt.Fprintf(b, ", shards of %d, start spread %s", m.Count, formatTimeUs(float64(m.StartSpread.Microseconds())))
	}
	fmt.Fprintln(b)
	if len(m.Missing) > 0 {
		fmt.Fprintf(b, "Incomplete: shards %s of %d are missing; the figures are those of the others\n", IntList(m.Missing), m.Count)
	}
	if len(m.Failed) > 0 {
		fmt.Fprintf(b, "Incomplete: shards %s of %d stopped early or completed nothing (their figures are in)\n", IntList(m.Failed), m.Count)
	}
}

// IntList is v as "1, 2, 3", for messages about shards.
func IntList(v []int) string {
	s := make([]string, len(v))
	for i, n := range v {
		s[i] = fmt.Sprint(n)
	}
	return strings.Join(s, ", ")
}
