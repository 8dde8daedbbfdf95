package cli

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/gowrk/gowrk/loadgen"
)

// metricValue is a whole number with an optional SI suffix (1k, 1M, 1G), as
// wrk's scan_metric reads it. It implements pflag.Value.
type metricValue struct{ n *uint64 }

func (v metricValue) String() string { return strconv.FormatUint(*v.n, 10) }
func (v metricValue) Type() string   { return "N" }
func (v metricValue) Set(s string) error {
	f, err := parseSI(s)
	if err != nil {
		return err
	}
	if f != math.Trunc(f) || f < 1 || f > 1e12 {
		if f == math.Trunc(f) && f > 1e12 {
			return fmt.Errorf("%q is above the limit: at most 1e12 (1000G)", s)
		}
		return fmt.Errorf("want a positive whole number such as 100, 10k or 1M")
	}
	*v.n = uint64(f)
	return nil
}

// windowValue is an HTTP/2 flow-control window in bytes, with an optional
// binary suffix (64k = 65536, 16m, 1g); at most 2^31-1, HTTP/2's largest.
// It implements pflag.Value.
type windowValue struct{ n *uint32 }

func (v windowValue) String() string { return strconv.FormatUint(uint64(*v.n), 10) }
func (v windowValue) Type() string   { return "BYTES" }
func (v windowValue) Set(s string) error {
	t := strings.ToLower(strings.TrimSpace(s))
	t = strings.TrimSuffix(strings.TrimSuffix(t, "ib"), "b")
	mult := uint64(1)
	if t != "" {
		switch t[len(t)-1] {
		case 'k':
			mult = 1 << 10
		case 'm':
			mult = 1 << 20
		case 'g':
			mult = 1 << 30
		}
	}
	if mult > 1 {
		t = t[:len(t)-1]
	}
	n, err := strconv.ParseUint(t, 10, 32)
	if err != nil || n == 0 {
		return fmt.Errorf("want a window in bytes such as 65535, 64k, 16m or 1g")
	}
	if n*mult > 1<<31-1 {
		return fmt.Errorf("%q is above HTTP/2's largest window, 2147483647 bytes (2^31-1)", s)
	}
	*v.n = uint32(n * mult)
	return nil
}

// shapeValue is -R: a constant rate (rateValue) or a shape that changes
// with time (loadgen.ParseShape: steps or a ramp).
type shapeValue struct {
	r     *float64
	shape *loadgen.Shape
}

func (v shapeValue) String() string {
	if *v.shape != nil {
		return (*v.shape).String()
	}
	return rateValue{v.r}.String()
}
func (v shapeValue) Type() string { return "RATE" }
func (v shapeValue) Set(s string) error {
	if strings.ContainsAny(s, ":@") || strings.Contains(s, "..") {
		sh, err := loadgen.ParseShape(s)
		if err != nil {
			return errors.New(strings.TrimPrefix(err.Error(), fmt.Sprintf("Rate %q: ", s))) // the flag's name is the flag library's
		}
		*v.shape = sh
		return nil
	}
	return rateValue{v.r}.Set(s)
}

// minRate is the smallest -R: one request every 1000 s; a smaller rate
// sends nothing in any run worth measuring.
const minRate = 1e-3

// rateValue is a positive number of requests per second with an optional SI
// suffix; fractions are allowed (0.5, 2.5k).
type rateValue struct{ r *float64 }

func (v rateValue) String() string { return strconv.FormatFloat(*v.r, 'g', -1, 64) }
func (v rateValue) Type() string   { return "N" }
func (v rateValue) Set(s string) error {
	f, err := parseRate(s)
	if err != nil {
		return err
	}
	if !(f > 0) || math.IsInf(f, 0) || f > 1e9 || f < minRate {
		if f > 1e9 {
			return fmt.Errorf("%q is above the limit: at most 1e9 (1G) requests per second", s)
		}
		if f > 0 {
			return fmt.Errorf("%q is below the smallest rate, %g requests per second (one request every %s)", s, minRate, time.Duration(float64(time.Second)/minRate))
		}
		return fmt.Errorf("want a positive number of requests per second such as 0.5, 1000 or 10k")
	}
	*v.r = f
	return nil
}

// parseRate reads a rate per second, or vegeta's N/DURATION (50/1s,
// 3000/1m, 50/s: N requests per that time).
func parseRate(s string) (float64, error) {
	n, per, ok := strings.Cut(s, "/")
	if !ok {
		return parseSI(s)
	}
	f, err := parseSI(n)
	if per != "" && (per[0] < '0' || per[0] > '9') {
		per = "1" + per // 50/s: per one second
	}
	d, derr := time.ParseDuration(per)
	if err != nil || derr != nil || d <= 0 {
		return 0, fmt.Errorf("%q: want requests per second (100, 2.5k) or requests per time (50/1s, 3000/1m)", s)
	}
	return f / d.Seconds(), nil
}

// parseSI reads a number with an optional k, M or G suffix (case-insensitive
// k; M and G also accepted in lower case, as wrk does).
func parseSI(s string) (float64, error) {
	mult := 1.0
	t := strings.TrimSpace(s)
	if t != "" {
		switch t[len(t)-1] {
		case 'k', 'K':
			mult = 1e3
		case 'm', 'M':
			mult = 1e6
		case 'g', 'G':
			mult = 1e9
		}
		if mult != 1 {
			t = t[:len(t)-1]
		}
	}
	f, err := strconv.ParseFloat(t, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, fmt.Errorf("%q is not a number (SI suffixes k, M, G allowed)", s)
	}
	return f * mult, nil
}

// durationValue is a time span: a bare number means seconds (wrk), or a
// number with a unit (500ms, 2s, 2m, 2h, or any Go duration like 1m30s).
type durationValue struct {
	d   *time.Duration
	set *bool
}

func (v durationValue) String() string { return v.d.String() }
func (v durationValue) Type() string   { return "T" }
func (v durationValue) Set(s string) error {
	d, err := parseDuration(s)
	if err != nil {
		return err
	}
	*v.d = d
	if v.set != nil {
		*v.set = true
	}
	return nil
}

func parseDuration(s string) (time.Duration, error) {
	t := strings.TrimSpace(s)
	var d time.Duration
	if f, err := strconv.ParseFloat(t, 64); err == nil {
		if f > 1e9 || f < 0 {
			return 0, fmt.Errorf("%q is out of range", s)
		}
		d = time.Duration(f * float64(time.Second))
	} else if d, err = time.ParseDuration(t); err != nil {
		return 0, fmt.Errorf("%q is not a duration (use 500ms, 10s, 2m, 1h or a number of seconds)", s)
	}
	if d <= 0 {
		return 0, fmt.Errorf("%q: must be positive", s)
	}
	return d, nil
}
