package loadgen

import (
	"errors"
	"math"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestShapes(t *testing.T) {
	mustShape := func(s string) Shape {
		sh, err := ParseShape(s)
		if err != nil {
			t.Fatal(err)
		}
		return sh
	}
	st := mustShape("100:300:100@1s")
	for _, c := range []struct{ t, n float64 }{{0, 0}, {0.5, 50}, {1, 100}, {2, 300}, {3, 600}, {4, 900}} {
		if got := st.N(c.t); math.Abs(got-c.n) > 1e-9 {
			t.Errorf("steps N(%v) = %v, want %v", c.t, got, c.n)
		}
	}
	rp := mustShape("0..100/10s")
	if got := rp.N(10); got != 500 {
		t.Errorf("ramp N(10) = %v, want 500", got)
	}
	if got := rp.N(12); got != 700 {
		t.Errorf("ramp N(12) = %v, want 700 (holds 100/s)", got)
	}
	for _, sh := range []Shape{st, rp, mustShape("1k..10/5s"), mustShape("0:50:10@500ms")} {
		// Inv is N's inverse.
		for _, tt := range []float64{0.1, 0.7, 1.3, 2.5, 4.2, 9.9, 11} {
			if k := sh.N(tt); k > 0 && math.Abs(sh.Inv(k)-tt) > 1e-6 {
				t.Errorf("%s: Inv(N(%v)) = %v", sh, tt, sh.Inv(k))
			}
		}
		// Each step gets exactly rate x duration requests, and the slots of
		// -c together send exactly the one schedule.
		one := ShapeRate{Shape: sh, N: 1}
		step := time.Duration(sh.StepLength() * float64(time.Second))
		for i := range 3 {
			from, to := time.Duration(i)*step, time.Duration(i+1)*step
			want := math.Round(sh.N(to.Seconds()) - sh.N(from.Seconds()))
			if got := float64(DueBefore(one, to) - DueBefore(one, from)); math.Abs(got-want) > 1 {
				t.Errorf("%s: step %d holds %v requests, want %v", sh, i, got, want)
			}
		}
		var single, split []time.Duration
		for m := range uint64(200) {
			d, _ := one.Due(m)
			single = append(single, d)
		}
		for i := range 7 {
			s := ShapeRate{Shape: sh, N: 7, I: i}
			for m := uint64(0); ; m++ {
				d, _ := s.Due(m)
				if d > single[len(single)-1] {
					break
				}
				split = append(split, d)
			}
		}
		slices.Sort(split)
		if !slices.Equal(single, split) {
			t.Errorf("%s: 7 slots do not send the single schedule (%d vs %d requests)", sh, len(split), len(single))
		}
	}
	for _, bad := range []string{"100:50:10@1s", "1:2:0@1s", "1:2:1", "0..0/1s", "1..2", "a..b/1s", "1..2/1ns", "0:0:1@1s", "fast"} {
		var ce *ConfigError
		if _, err := ParseShape(bad); !errors.As(err, &ce) || !strings.HasPrefix(err.Error(), "Rate ") {
			t.Errorf("ParseShape(%q) = %v, want a ConfigError naming the field Rate", bad, err)
		}
	}
}

// FuzzShape: a shape either parses into a monotone schedule or is refused.
func FuzzShape(f *testing.F) {
	for _, s := range []string{"100:1000:100@10s", "0..5000/60s", "1k..10/1s", "1:1:1@1ms", "..", "@", ":::@"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sh, err := ParseShape(s)
		if err != nil {
			return
		}
		prev := -1.0
		for k := 0.0; k < 50; k++ {
			v := sh.Inv(k)
			if v < prev || math.IsNaN(v) {
				t.Fatalf("%q: Inv(%v) = %v after %v", s, k, v, prev)
			}
			prev = v
		}
	})
}
