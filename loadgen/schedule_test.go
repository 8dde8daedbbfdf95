package loadgen

import (
	"math"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestConstantRateDue(t *testing.T) {
	for _, tc := range []struct {
		s    ConstantRate
		n    uint64
		want time.Duration
	}{
		// 1 request/s: request n is due at n seconds.
		{ConstantRate{PerConn: 1}, 0, 0},
		{ConstantRate{PerConn: 1}, 3, 3 * time.Second},
		// 1000/s: 1 ms apart.
		{ConstantRate{PerConn: 1000}, 1, time.Millisecond},
		{ConstantRate{PerConn: 1000}, 1500, 1500 * time.Millisecond},
		// 0.5/s: 2 s apart.
		{ConstantRate{PerConn: 0.5}, 2, 4 * time.Second},
		// Phase 0.25 of a 100 ms interval shifts everything by 25 ms.
		{ConstantRate{PerConn: 10, Phase: 0.25}, 0, 25 * time.Millisecond},
		{ConstantRate{PerConn: 10, Phase: 0.25}, 10, 1025 * time.Millisecond},
		// A huge n saturates instead of overflowing.
		{ConstantRate{PerConn: 1e-9}, math.MaxUint64, math.MaxInt64},
	} {
		got, scheduled := tc.s.Due(tc.n)
		if !scheduled || absDiff(got, tc.want) > time.Microsecond {
			t.Errorf("%+v.Due(%d) = %s, %v; want %s, true", tc.s, tc.n, got, scheduled, tc.want)
		}
	}
	if _, scheduled := (ClosedLoop{}).Due(5); scheduled {
		t.Error("ClosedLoop.Due says scheduled")
	}
}

// TestSchedulerSpreadsConnections: together the connections send evenly
// spaced requests at the total rate, none twice at one instant.
func TestSchedulerSpreadsConnections(t *testing.T) {
	cfg := Config{Rate: 1000, Connections: 4}
	seen := map[time.Duration]bool{}
	for i := range 4 {
		s := schedulerFor(&cfg, i, 4)
		for n := uint64(0); n < 250; n++ {
			d, _ := s.Due(n)
			seen[d.Round(100*time.Microsecond)] = true
		}
	}
	for ms := range 1000 {
		if !seen[time.Duration(ms)*time.Millisecond] {
			t.Fatalf("no request due at %d ms", ms)
		}
	}
}

func absDiff(a, b time.Duration) time.Duration {
	if a > b {
		return a - b
	}
	return b - a
}

func TestSplit(t *testing.T) {
	for _, tc := range []struct {
		total uint64
		n     int
		want  []uint64
	}{
		{10, 3, []uint64{4, 3, 3}},
		{2, 4, []uint64{1, 1, 0, 0}},
		{9, 3, []uint64{3, 3, 3}},
	} {
		var sum uint64
		for i, w := range tc.want {
			if got := split(tc.total, tc.n, i); got != w {
				t.Errorf("split(%d, %d, %d) = %d, want %d", tc.total, tc.n, i, got, w)
			}
			sum += w
		}
		if sum != tc.total {
			t.Errorf("split(%d, %d) drops %d", tc.total, tc.n, tc.total-sum)
		}
	}
}

func TestValidate(t *testing.T) {
	ok := Config{Threads: 2, Connections: 10, Duration: time.Second, Timeout: time.Second}
	for _, tc := range []struct {
		name   string
		modify func(*Config)
		want   string // substring of the error; "" for valid
	}{
		{"valid", func(*Config) {}, ""},
		{"valid -n alone", func(c *Config) { c.Duration, c.Requests = 0, 5 }, ""},
		{"no threads", func(c *Config) { c.Threads = 0 }, "Threads"},
		{"c < t", func(c *Config) { c.Connections = 1 }, "Connections 1 is less than Threads 2"},
		{"unbounded", func(c *Config) { c.Duration = 0 }, "Duration or Requests"},
		{"timeout", func(c *Config) { c.Timeout = 0 }, "Timeout"},
		{"rate", func(c *Config) { c.Rate = -1 }, "Rate"},
	} {
		c := ok
		tc.modify(&c)
		err := c.Validate()
		if (err == nil) != (tc.want == "") || (err != nil && !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("%s: Validate() = %v, want error containing %q", tc.name, err, tc.want)
		}
	}
}

// TestShardSchedule: N shards, each with its share of the connections and
// the rate, together send exactly the single-host schedule: request k of
// shard i is due at (k*N + i) / rate.
func TestShardSchedule(t *testing.T) {
	const conns, rate, n = 6, 600.0, 3
	single := &Config{Rate: rate}
	var want []time.Duration
	for i := range conns {
		s := schedulerFor(single, i, conns)
		for m := range uint64(50) {
			d, _ := s.Due(m)
			want = append(want, d)
		}
	}
	var got []time.Duration
	for sh := range n {
		cfg := &Config{Rate: rate / n, Shard: ShardSpec{Index: sh, Count: n}}
		var mine []time.Duration
		for i := range conns / n {
			s := schedulerFor(cfg, i, conns/n)
			for m := range uint64(50) {
				d, _ := s.Due(m)
				mine = append(mine, d)
			}
		}
		slices.Sort(mine)
		for k, d := range mine[:20] {
			if w := time.Duration(float64(k*n+sh) / rate * float64(time.Second)); d-w > time.Microsecond || w-d > time.Microsecond {
				t.Fatalf("shard %d's request %d is due at %s, want %s", sh, k, d, w)
			}
		}
		got = append(got, mine...)
	}
	slices.Sort(want)
	slices.Sort(got)
	for k := range want {
		if d := got[k] - want[k]; d > time.Microsecond || d < -time.Microsecond {
			t.Fatalf("request %d: the shards' schedule says %s, the single host's %s", k, got[k], want[k])
		}
	}
}
