package loadgen

import (
	"bytes"
	"context"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// pathEngine answers every script request at once, its status 200 + the
// target's number (the digit after "/t" in its path), and counts the
// requests it was sent by path: the server's own count.
type pathEngine struct {
	mu    sync.Mutex
	seen  map[string]int
	delay time.Duration // before each answer
}

func (e *pathEngine) Dial(context.Context) (Conn, error) { return pathConn{e}, nil }
func (e *pathEngine) Info() ConnInfo                     { return ConnInfo{Protocol: "fake"} }
func (e *pathEngine) HooksPerConn() bool                 { return true }

type pathConn struct{ e *pathEngine }

func (pathConn) Do(_ time.Time, res *Response) error { res.Status = 200; return nil }
func (pathConn) Close() error                        { return nil }
func (pathConn) Interrupt()                          {}
func (pathConn) Kept() (header, body []byte)         { return nil, nil }
func (c pathConn) DoScript(req []byte, _ bool, _ time.Time, res *Response) error {
	path := string(bytes.Fields(req)[1])
	c.e.mu.Lock()
	c.e.seen[path]++
	c.e.mu.Unlock()
	time.Sleep(c.e.delay)
	res.Status = 200 + int(path[2]-'0')
	return nil
}

func testTargets(t *testing.T, order TargetOrder, seed uint64, weights ...uint32) *Targets {
	t.Helper()
	var names []string
	var wire [][]byte
	for i := range weights {
		p := "/t" + string(rune('0'+i))
		names = append(names, "GET "+p)
		wire = append(wire, []byte("GET "+p+" HTTP/1.1\r\nHost: fake.test\r\n\r\n"))
	}
	ts, err := NewTargets(names, wire, weights, order, seed)
	if err != nil {
		t.Fatal(err)
	}
	return ts
}

// TestTargetsSplit: under -n the targets get exactly their share of the
// requests, by the server's count and by the run's per-target figures;
// random is repeatable for one seed.
func TestTargetsSplit(t *testing.T) {
	for _, tc := range []struct {
		name    string
		order   TargetOrder
		weights []uint32
		n       uint64
		want    []int
		rate    float64
	}{
		{"round-robin", OrderRoundRobin, []uint32{3, 1}, 200, []int{100, 100}, 0},
		{"weighted", OrderWeighted, []uint32{3, 1}, 200, []int{150, 50}, 0},
		{"weighted-3", OrderWeighted, []uint32{1, 2, 5}, 800, []int{100, 200, 500}, 0},
		{"weighted/rate", OrderWeighted, []uint32{3, 1}, 200, []int{150, 50}, 20000},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := &pathEngine{seen: map[string]int{}}
			cfg := fakeConfig()
			cfg.Duration, cfg.Requests, cfg.Connections, cfg.Rate = 0, tc.n, 7, tc.rate
			cfg.Interval = time.Millisecond
			cfg.Targets = testTargets(t, tc.order, 0, tc.weights...)
			res, err := Run(context.Background(), cfg, e)
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Targets) != len(tc.want) {
				t.Fatalf("%d targets in the figures, want %d", len(res.Targets), len(tc.want))
			}
			for i, want := range tc.want {
				f := res.Targets[i]
				if got := e.seen["/t"+string(rune('0'+i))]; got != want || int(f.Completed) != want || int(f.StatusCodes[200+i]) != want {
					t.Errorf("target %d: server saw %d, figures %d (status %d: %d), want %d", i, got, f.Completed, 200+i, f.StatusCodes[200+i], want)
				}
				if f.Latency == nil || f.Latency.TotalCount() != int64(want) {
					t.Errorf("target %d: latency histogram %v, want %d values", i, f.Latency, want)
				}
				var inIntervals uint64
				for _, iv := range res.Intervals {
					inIntervals += iv.Targets[i].Completed
				}
				if inIntervals != f.Completed {
					t.Errorf("target %d: the intervals add up to %d, the run %d", i, inIntervals, f.Completed)
				}
			}
		})
	}
}

// TestTargetsPick: random is a pure function of the seed and the
// number, near its weights; another seed gives another sequence.
func TestTargetsPick(t *testing.T) {
	a, b, c := testTargets(t, OrderRandom, 1, 3, 1), testTargets(t, OrderRandom, 1, 3, 1), testTargets(t, OrderRandom, 2, 3, 1)
	same, count := true, [2]int{}
	for n := range uint64(40000) {
		if a.Pick(n) != b.Pick(n) {
			t.Fatalf("seed 1 picks %d then %d for request %d", a.Pick(n), b.Pick(n), n)
		}
		same = same && a.Pick(n) == c.Pick(n)
		count[a.Pick(n)]++
	}
	if same {
		t.Error("seeds 1 and 2 give the same sequence")
	}
	// 30000 expected, sd = sqrt(40000 * 3/4 * 1/4) ~ 87: 6 sd.
	if d := count[0] - 30000; d < -520 || d > 520 {
		t.Errorf("weight 3 of 4 drew %d of 40000, want 30000 +- 520", count[0])
	}
	w := testTargets(t, OrderWeighted, 0, 3, 1)
	if got := []int{w.Pick(0), w.Pick(1), w.Pick(2), w.Pick(3)}; got[0]+got[1]+got[2]+got[3] != 1 {
		t.Errorf("one weighted cycle of 3:1 is %v, want one 1 in four", got)
	}
}

// TestTargetsShards: the shards of a run under -R take the single-host
// run's targets between them: each request number once.
func TestTargetsShards(t *testing.T) {
	const slots, shards = 3, 4
	seen := map[uint64]bool{}
	for sh := range shards {
		cfg := Config{Shard: ShardSpec{Index: sh, Count: shards}}
		for i := range slots {
			stride, base := seqOf(&cfg, i, slots)
			for k := range uint64(10) {
				n := base + k*stride
				if seen[n] {
					t.Fatalf("request %d numbered twice", n)
				}
				seen[n] = true
			}
		}
	}
	for n := range uint64(slots * shards * 10) {
		if !seen[n] {
			t.Fatalf("request %d never numbered", n)
		}
	}
}

// TestOriginsRate: targets on two origins under -R, one origin slow (each
// of its connections can answer 20 requests/s, it is due 62.5/s): the
// fast origin's requests go at their due times all the same (its own
// connections are not held by the slow one's), each origin's server sees
// exactly its targets' share of what was sent, and every due request is
// sent, in flight or counted unsent once, by its own origin's twin.
func TestOriginsRate(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		fast, slow := &pathEngine{seen: map[string]int{}}, &pathEngine{seen: map[string]int{}, delay: 50 * time.Millisecond}
		cfg := fakeConfig()
		cfg.Rate, cfg.Connections, cfg.Threads, cfg.Duration = 1000, 4, 2, 2*time.Second
		cfg.Targets = testTargets(t, OrderWeighted, 0, 2, 1, 1)
		if err := cfg.Targets.SetOrigins([]int{0, 1, 0}); err != nil {
			t.Fatal(err)
		}
		eng, err := NewOrigins([]Engine{fast, slow})
		if err != nil {
			t.Fatal(err)
		}
		res, err := Run(context.Background(), cfg, eng)
		if err != nil {
			t.Fatal(err)
		}
		c := res.Counts
		if due := c.Sent + c.Unsent; due != 2000 {
			t.Errorf("sent %d + unsent %d = %d, want 2000 due (1000/s for 2s)", c.Sent, c.Unsent, due)
		}
		for i, want := range []int{1000, -1, 500} {
			f := res.Targets[i]
			got := []int{fast.seen["/t0"], slow.seen["/t1"], fast.seen["/t2"]}[i]
			if want < 0 {
				if got == 0 || got >= 500 || uint64(got) != f.Completed+f.InFlight {
					t.Errorf("the slow origin saw %d, the run %d answered and %d in flight; want some, fewer than its 500 due", got, f.Completed, f.InFlight)
				}
				continue
			}
			if got != want || int(f.Completed) != want {
				t.Errorf("target %d: the server saw %d, the run answered %d; want %d", i, got, f.Completed, want)
			}
			if p := f.Latency.ValueAtQuantile(100); p > 1000 {
				t.Errorf("target %d (the fast origin): max latency %d us, want none (its connections are its own)", i, p)
			}
		}
		if fast.seen["/t1"]+slow.seen["/t0"]+slow.seen["/t2"] != 0 {
			t.Error("a request reached the other origin")
		}
	})
}

// TestIntervalTargetsAdd: adding intervals (gowrk merge's parts, the live
// views' regrouping) adds each target's requests, by number.
func TestIntervalTargetsAdd(t *testing.T) {
	iv := func(ts ...TargetCounts) Interval {
		return Interval{Latency: NewHistogram(), Service: NewHistogram(), SendLag: NewHistogram(), Targets: ts}
	}
	got := mergeIntervals([]Interval{iv(TargetCounts{Completed: 3})}, []Interval{iv(TargetCounts{Completed: 1, Failed: 2}, TargetCounts{Completed: 5})})
	if want := []TargetCounts{{Completed: 4, Failed: 2}, {Completed: 5}}; len(got) != 1 || !slices.Equal(got[0].Targets, want) {
		t.Errorf("merged targets %v, want %v", got[0].Targets, want)
	}
}
