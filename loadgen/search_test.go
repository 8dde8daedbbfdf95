package loadgen

import (
	"math"
	"testing"
)

// fakeService answers a probe at rate r as a service with capacity c would:
// it holds below c; noise (a share) makes the capacity seem to move by up
// to that much from probe to probe; generator caps what gowrk can send.
func fakeService(c, noise, generator float64) func(float64) Probe {
	n := 0
	return func(r float64) Probe {
		n++
		eff := c * (1 + noise*math.Sin(float64(n)*1.7))
		p := Probe{Achieved: r}
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
		r := SearchMaxRate(tc.run, tc.start, tc.precision, 40)
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
