package serve

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
)

// Delay is a service-time distribution: fixed, uniform between two bounds,
// or exponential around a mean. The zero value is no delay.
type Delay struct {
	kind   byte // 0 fixed, 'u' uniform, 'e' exponential
	lo, hi time.Duration
	spec   string
}

// ParseDelay reads a delay: "10ms" (fixed), "5ms..15ms" (uniform between
// the two), or "exp:10ms" (exponential with that mean).
func ParseDelay(s string) (Delay, error) {
	bad := fmt.Errorf("--delay %q: want a duration (10ms), a range (5ms..15ms) or exp:MEAN (exp:10ms)", s)
	parse := func(t string) (time.Duration, bool) {
		d, err := time.ParseDuration(strings.TrimSpace(t))
		return d, err == nil && d >= 0 && d <= time.Hour
	}
	if mean, ok := strings.CutPrefix(s, "exp:"); ok {
		d, ok := parse(mean)
		if !ok || d == 0 {
			return Delay{}, bad
		}
		return Delay{kind: 'e', lo: d, spec: s}, nil
	}
	if a, b, ok := strings.Cut(s, ".."); ok {
		lo, ok1 := parse(a)
		hi, ok2 := parse(b)
		if !ok1 || !ok2 || hi < lo {
			return Delay{}, bad
		}
		return Delay{kind: 'u', lo: lo, hi: hi, spec: s}, nil
	}
	d, ok := parse(s)
	if !ok {
		return Delay{}, bad
	}
	return Delay{lo: d, spec: s}, nil
}

// Next draws one service time. It is safe for concurrent use.
func (d Delay) Next() time.Duration {
	switch d.kind {
	case 'u':
		if d.hi == d.lo {
			return d.lo
		}
		return d.lo + rand.N(d.hi-d.lo+1)
	case 'e':
		v := time.Duration(rand.ExpFloat64() * float64(d.lo))
		return min(v, time.Hour)
	}
	return d.lo
}

// String is the delay as it was given ("" for none).
func (d Delay) String() string { return d.spec }
