package loadgen

import (
	"context"
	"testing"
	"testing/synctest"
	"time"
)

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
