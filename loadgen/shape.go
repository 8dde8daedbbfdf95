package loadgen

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Shape is a rate that changes with time: steps or a linear ramp. It is a
// pure function of time: N(t) requests are due by t (seconds from the
// start), and request k (from 0) is due at Inv(k), so that the schedule
// stays table-testable and -R's connections split it exactly (request m of
// connection i of n is the shape's request m*n + i).
type Shape interface {
	// N is how many requests are due in [0, t) (t in seconds).
	N(t float64) float64
	// Inv is when request k is due, in seconds; +Inf for never.
	Inv(k float64) float64
	// Length is the shape's own length (seconds), after which its last
	// rate holds.
	Length() float64
	// StepLength is the length (seconds) of the steps reported for it.
	StepLength() float64
	// String is the shape as written on the command line.
	String() string
}

// ParseShape reads -R's shapes: steps "A:B:S@T" (from A to B by S, T per
// step: 100:1000:100@10s) and a ramp "A..B/T" (linear from A to B over T,
// then B: 0..5000/60s). Rates take SI suffixes (1k).
func ParseShape(s string) (Shape, error) {
	bad := func(why string) error {
		return ConfigErrorf("{Rate} %q: %s; want a number (1000, 10k), steps FROM:TO:BY@DURATION (100:1000:100@10s) or a ramp FROM..TO/DURATION (0..5000/60s)", s, why)
	}
	rate := func(v string) (float64, bool) {
		f, err := parseRate(v)
		return f, err == nil && f >= 0 && f <= 1e9
	}
	dur := func(v string) (float64, bool) {
		d, err := time.ParseDuration(v)
		return d.Seconds(), err == nil && d >= 10*time.Millisecond && d <= 100*24*time.Hour
	}
	if a, rest, ok := strings.Cut(s, ".."); ok {
		b, t, ok := strings.Cut(rest, "/")
		if !ok {
			return nil, bad("a ramp needs /DURATION")
		}
		from, ok1 := rate(a)
		to, ok2 := rate(b)
		T, ok3 := dur(t)
		if !ok1 || !ok2 || !ok3 || (from == 0 && to == 0) {
			return nil, bad("malformed ramp")
		}
		return ramp{from, to, T, s}, nil
	}
	if spec, t, ok := strings.Cut(s, "@"); ok {
		parts := strings.Split(spec, ":")
		if len(parts) != 3 {
			return nil, bad("steps are FROM:TO:BY@DURATION")
		}
		from, ok1 := rate(parts[0])
		to, ok2 := rate(parts[1])
		by, ok3 := rate(parts[2])
		T, ok4 := dur(t)
		if !ok1 || !ok2 || !ok3 || !ok4 || by == 0 || to < from {
			return nil, bad("malformed steps (BY must be above 0 and TO at least FROM)")
		}
		n := math.Floor((to-from)/by+1e-9) + 1
		if n > 10000 {
			return nil, bad("more than 10000 steps")
		}
		st := steps{T: T, spec: s}
		for i := range int(n) {
			st.rates = append(st.rates, from+float64(i)*by)
		}
		if st.rates[len(st.rates)-1] == 0 {
			return nil, bad("every step is 0 requests/s")
		}
		st.cum = make([]float64, len(st.rates)+1)
		for i, r := range st.rates {
			st.cum[i+1] = st.cum[i] + r*T
		}
		return st, nil
	}
	return nil, bad("not a shape")
}

// parseRate reads a rate with an optional k, M or G suffix.
func parseRate(s string) (float64, error) {
	mult := 1.0
	if n := len(s); n > 0 {
		switch s[n-1] {
		case 'k', 'K':
			mult, s = 1e3, s[:n-1]
		case 'M', 'm':
			mult, s = 1e6, s[:n-1]
		case 'G', 'g':
			mult, s = 1e9, s[:n-1]
		}
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, fmt.Errorf("not a rate")
	}
	return f * mult, nil
}

// steps: rates[i] for [i*T, (i+1)*T), the last rate after.
type steps struct {
	rates []float64
	cum   []float64 // cum[i]: requests due before step i
	T     float64
	spec  string
}

func (s steps) Length() float64     { return float64(len(s.rates)) * s.T }
func (s steps) StepLength() float64 { return s.T }
func (s steps) String() string      { return s.spec }

func (s steps) N(t float64) float64 {
	if t <= 0 {
		return 0
	}
	i := int(t / s.T)
	if i >= len(s.rates) {
		return s.cum[len(s.rates)] + (t-s.Length())*s.rates[len(s.rates)-1]
	}
	return s.cum[i] + (t-float64(i)*s.T)*s.rates[i]
}

func (s steps) Inv(k float64) float64 {
	last := len(s.rates)
	if k >= s.cum[last] {
		return s.Length() + (k-s.cum[last])/s.rates[last-1]
	}
	// The step whose requests include k: cum[i] <= k < cum[i+1].
	i := sort.Search(last, func(i int) bool { return s.cum[i+1] > k })
	return float64(i)*s.T + (k-s.cum[i])/s.rates[i]
}

// ramp: linear from a to b over T seconds, then b.
type ramp struct {
	a, b, T float64
	spec    string
}

func (r ramp) Length() float64     { return r.T }
func (r ramp) StepLength() float64 { return r.T / 10 }
func (r ramp) String() string      { return r.spec }

func (r ramp) N(t float64) float64 {
	if t <= 0 {
		return 0
	}
	if t >= r.T {
		return r.a*r.T + (r.b-r.a)*r.T/2 + (t-r.T)*r.b
	}
	return r.a*t + (r.b-r.a)*t*t/(2*r.T)
}

func (r ramp) Inv(k float64) float64 {
	atT := r.a*r.T + (r.b-r.a)*r.T/2
	if k >= atT {
		if r.b == 0 {
			return math.Inf(1)
		}
		return r.T + (k-atT)/r.b
	}
	slope := (r.b - r.a) / r.T
	if slope == 0 {
		return k / r.a
	}
	// slope/2 t^2 + a t - k = 0, the root in [0, T].
	return (-r.a + math.Sqrt(r.a*r.a+2*slope*k)) / slope
}

// ShapeRate runs a Shape's schedule on one of n request slots: request m
// of slot i is the shape's request m*n + i.
type ShapeRate struct {
	Shape Shape
	N, I  int
}

// Due implements Scheduler.
func (s ShapeRate) Due(m uint64) (time.Duration, bool) {
	return dueAt(s.Shape.Inv(float64(m)*float64(s.N) + float64(s.I))), true
}

var _ Scheduler = ShapeRate{}
