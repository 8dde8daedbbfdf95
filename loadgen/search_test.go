package loadgen

import (
	"context"
	"math"
	"testing"
	"testing/synctest"
	"time"
)

// fakeService answers a probe at rate r as a service with capacity c would:
// it holds below c; noise (a share) makes the capacity seem to move by up
// to that much from probe to probe; generator caps what gowrk can send.
func fakeService(c, noise, generator float64) func(float64) Probe {
	n := 0
	return func(r float64) Probe {
		n++
		eff := c * (1 + noise*math.Sin(float64(n)*1.7))
		p := Probe{Achieved: r, Completed: MinCompletions, Needed: MinCompletions}
		if generator > 0 && r > generator {
			p.Achieved, p.GeneratorLimited = generator, true
			return p
		}
		if r > eff {
			p.Achieved = eff
			p.Failed = []string{"p99<200ms"}
		}
		return p
	}
}

func TestSearchMaxRate(t *testing.T) {
	for _, tc := range []struct {
		name             string
		run              func(float64) Probe
		start, precision float64
		lo, hi           float64 // Max must land in [lo, hi]
		lowerBound       bool
	}{
		{"monotone", fakeService(400, 0, 0), 10, 0.05, 380, 400, false},
		{"noisy", fakeService(400, 0.03, 0), 10, 0.05, 360, 412, false},
		{"cliff right above the start", fakeService(12, 0, 0), 10, 0.05, 11.4, 12, false},
		{"capacity below the start", fakeService(3, 0, 0), 10, 0.05, 2.8, 3, false},
		{"nothing holds", fakeService(0, 0, 0), 10, 0.05, 0, 0, false},
		{"generator limit", fakeService(1e6, 0, 5000), 100, 0.05, 3200, 3200, true},
	} {
		r := SearchMaxRate(tc.run, tc.start, 0, tc.precision, 40)
		if r.Max < tc.lo || r.Max > tc.hi || r.LowerBound != tc.lowerBound {
			t.Errorf("%s: max %v (want %v..%v), lower bound %v, steps %d", tc.name, r.Max, tc.lo, tc.hi, r.LowerBound, len(r.Steps))
		}
		if r.FirstFail > 0 && r.Max > 0 && !tc.lowerBound && (r.FirstFail-r.Max) > 0.051*r.Max {
			t.Errorf("%s: stopped at %v..%v, wider than the precision", tc.name, r.Max, r.FirstFail)
		}
		if len(r.Steps) > 25 {
			t.Errorf("%s: %d steps", tc.name, len(r.Steps))
		}
	}
}

// poolSearch runs a capacity search against newPool(workers, service) on
// synctest's clock: each step a constant-rate run of step after settle,
// on a drained pool (as the CLI's cool-down intends), judged by
// p<q*100> < bound. With confirm > 0 the answer is confirmed by runs of
// that length (ConfirmMax). It returns the search's answer.
func poolSearch(t *testing.T, workers int, service time.Duration, q float64, bound, step, settle time.Duration, start float64, confirm ...time.Duration) SearchResult {
	needed := CompletionsToJudge(q)
	floor := JudgeableRate(needed, step)
	length := step
	run := func(rate float64) Probe {
		cfg := fakeConfig()
		cfg.Rate, cfg.Connections, cfg.Duration, cfg.Warmup, cfg.Timeout = rate, 400, length, settle, time.Minute
		res, err := Run(context.Background(), cfg, newPool(workers, service))
		if err != nil {
			t.Fatal(err)
		}
		var failed []string
		if res.Latency.TotalCount() == 0 || time.Duration(res.Latency.ValueAtQuantile(100*q))*time.Microsecond >= bound {
			failed = append(failed, "latency")
		}
		return JudgeStep(rate, res, needed, failed)
	}
	r := SearchMaxRate(run, start, floor, 0.05, 25)
	if len(confirm) > 0 {
		length = confirm[0]
		r = ConfirmMax(run, r, 0.05)
	}
	return r
}

// TestSearchPoolCapacity: against a FIFO pool of N workers and service
// time S (capacity N/S) the search finds the capacity within 10%; a
// server that completes nothing is never sustained; steps too short to
// judge the SLO stop the search with TooShort, not an answer.
func TestSearchPoolCapacity(t *testing.T) {
	t.Run("8 workers x 20ms", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			const capacity = 400.0
			const confirm = 30 * time.Second
			r := poolSearch(t, 8, 20*time.Millisecond, 0.90, 100*time.Millisecond, 10*time.Second, 2*time.Second, 50, confirm)
			checkConfirmed(t, r, confirm, 0)
			if r.Max < 0.9*capacity || r.Max > 1.01*capacity || r.LowerBound || r.TooShort {
				t.Errorf("max %v (capacity %v), first failure %v, lower bound %v, too short %v, %d steps", r.Max, capacity, r.FirstFail, r.LowerBound, r.TooShort, len(r.Steps))
			}
			for _, p := range r.Steps {
				t.Logf("%v/s held %v: achieved %.1f, completed %d, queue grew %v, failed %v", p.Rate, p.Held(), p.Achieved, p.Completed, p.QueueGrew, p.Failed)
				if p.Rate < r.Floor {
					t.Errorf("a step at %v/s, below the floor %v/s", p.Rate, r.Floor)
				}
				if p.Held() && p.Completed < CompletionsToJudge(0.9) {
					t.Errorf("step at %v/s held on %d completions", p.Rate, p.Completed)
				}
			}
		})
	})
	t.Run("completes nothing", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			r := poolSearch(t, 4, time.Hour, 0.5, time.Second, 2*time.Second, time.Second, 100)
			if r.Max != 0 {
				t.Errorf("a server that answers nothing sustains %v/s", r.Max)
			}
			for _, p := range r.Steps {
				if p.Held() || p.Completed != 0 {
					t.Errorf("step at %v/s: held %v on %d completions", p.Rate, p.Held(), p.Completed)
				}
			}
			if !r.TooShort || len(r.Steps) > 2 {
				t.Errorf("too short %v after %d steps: the halving must stop at the floor %v/s", r.TooShort, len(r.Steps), r.Floor)
			}
		})
	})
	// The issue's /sync_1: 40 workers x 1 s, p99<500ms over 5 s steps. A
	// p99 needs 10,000 completions: 5 s steps can hold them only at 2,500/s (with StepMargin)
	// and more, where this server fails; the search says the steps are
	// too short instead of halving eleven times.
	t.Run("sync_1, steps too short", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			r := poolSearch(t, 40, time.Second, 0.99, 500*time.Millisecond, 5*time.Second, 2*time.Second, 10)
			if r.Max != 0 || !r.TooShort || len(r.Steps) != 1 || r.Steps[0].Rate != 2500 {
				t.Errorf("max %v, too short %v, steps %d (first at %v/s)", r.Max, r.TooShort, len(r.Steps), r.Steps[0].Rate)
			}
		})
	})
}

// TestConfirmMax: the confirmation keeps a rate only when a run at it
// held; a failure steps down once by the precision, never twice.
func TestConfirmMax(t *testing.T) {
	held := func(r float64) Probe { return Probe{Achieved: r, Completed: MinCompletions, Needed: MinCompletions} }
	failed := func(r float64) Probe { p := held(r); p.Failed = []string{"p99<200ms"}; return p }
	search := SearchResult{Max: 400, FirstFail: 420}
	for _, tc := range []struct {
		name      string
		capacity  float64 // the confirmation holds at or below it
		stopAfter int     // the confirmation run that is interrupted (0: none)
		max, fail float64
		runs      int
		held      bool
	}{
		{"holds", 400, 0, 400, 420, 1, true},
		{"steps down once", 390, 0, 380, 400, 2, true},
		{"fails twice", 300, 0, 0, 380, 2, false},
		{"interrupted first", 400, 1, 400, 420, 0, false},
		{"interrupted after a failure", 300, 2, 0, 400, 1, false},
	} {
		var rates []float64
		confirm := func(r float64) Probe {
			rates = append(rates, r)
			if len(rates) == tc.stopAfter {
				return Probe{Stop: true}
			}
			if r <= tc.capacity {
				return held(r)
			}
			return failed(r)
		}
		got := ConfirmMax(confirm, search, 0.05)
		c := got.Confirm
		if got.Max != tc.max || got.FirstFail != tc.fail || c == nil || len(c.Runs) != tc.runs || c.Held != tc.held || c.Searched != 400 {
			t.Errorf("%s: max %v first failure %v, confirmation %+v (rates %v)", tc.name, got.Max, got.FirstFail, c, rates)
			continue
		}
		if rates[0] != 400 || (len(rates) > 1 && rates[1] != 380) || len(rates) > 2 {
			t.Errorf("%s: confirmed at %v, want 400 then 380", tc.name, rates)
		}
	}
	if got := ConfirmMax(func(float64) Probe { t.Fatal("confirmed no answer"); return Probe{} }, SearchResult{}, 0.05); got.Confirm != nil {
		t.Errorf("no answer got a confirmation")
	}
	if got := StepDown(10, 0.001); got >= 10 {
		t.Errorf("StepDown(10, 0.1%%) = %v, not below 10", got)
	}
}

// checkConfirmed checks that r's answer was confirmed by its last
// confirmation run, after fails failed ones, and that run's figures: it
// achieved its rate, and every request due in it (rate x length: the
// pool drops none) is in its figures over every due request.
func checkConfirmed(t *testing.T, r SearchResult, length time.Duration, fails int) {
	t.Helper()
	c := r.Confirm
	if c == nil || !c.Held || len(c.Runs) != fails+1 || r.Max != c.Runs[fails].Rate {
		t.Fatalf("max %v, confirmation %+v", r.Max, c)
	}
	p := &c.Runs[fails]
	due := p.Rate * length.Seconds()
	if got := float64(p.Result.DueCount()); got < due-1 || got > due+1 || p.Achieved < AchievedShare*p.Rate {
		t.Errorf("confirmation at %v/s for %v: %v due (want %v), achieved %.1f/s", p.Rate, length, got, due, p.Achieved)
	}
}

// TestConfirmCatchesShortSteps: a rate above capacity holds a short step
// (its queue has little time to grow), and the confirmation, four times
// as long, refutes it. Against 8 workers x 20 ms (400/s) judged on
// p50<300ms, 2 s steps after 0.5 s settling hold well above the capacity
// (the 5 s steps that answered 2,300/s where the ceiling is
// 2,000): at 1.2 x capacity the queue grows 80/s, and a step's median
// request waits about 1.5 s of growth, ~300 ms, at the edge. An 8 s
// confirmation's median waits about 4.5 s of growth: ~900 ms at 1.2 x,
// ~600 ms at 1.1 x, so the search's answer and the rate one precision
// below it both fail, and no rate is confirmed: nothing above the
// capacity is ever printed as sustained.
func TestConfirmCatchesShortSteps(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const capacity = 400.0
		r := poolSearch(t, 8, 20*time.Millisecond, 0.5, 300*time.Millisecond, 2*time.Second, 500*time.Millisecond, 100, 8*time.Second)
		for _, p := range r.Steps {
			t.Logf("step %v/s held %v: achieved %.1f, answered %.1f, failed %v", p.Rate, p.Held(), p.Achieved, p.Answered, p.Failed)
		}
		c := r.Confirm
		if c == nil || c.Searched <= 1.1*capacity {
			t.Fatalf("the premise: 2 s steps hold well above the capacity; the search answered %+v", c)
		}
		if r.Max != 0 || c.Held || len(c.Runs) != 2 || c.Runs[1].Rate != StepDown(c.Searched, 0.05) || r.FirstFail != c.Runs[1].Rate {
			t.Fatalf("max %v, first failure %v, confirmation %+v", r.Max, r.FirstFail, c)
		}
		for _, p := range c.Runs {
			t.Logf("confirmation at %v/s: failed %v, answered %.1f/s", p.Rate, p.Failed, p.Answered)
			if ConfirmHeld(&p) || p.Rate <= 1.05*capacity || p.Answered > 1.01*capacity {
				t.Errorf("confirmation at %v/s held %v, answered %.1f/s (capacity %v)", p.Rate, ConfirmHeld(&p), p.Answered, capacity)
			}
		}
	})
}
