package report

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/gowrk/gowrk/loadgen"
)

// Threshold is one --fail-on expression: a metric, a comparison and a
// bound, e.g. p99<250ms, errors<1%, timeouts=0, rps>=1000.
type Threshold struct {
	Expr   string
	metric string
	op     string
	bound  float64 // microseconds for latencies, percent for shares, else a count or rate
	kind   byte    // 'l' latency, '%' share, 'n' number
	pct    float64 // the percentile of a pNN metric
	// completed: a pNN_completed metric, over completed requests only;
	// a bare pNN is over every due request. mean and max are always of
	// completed requests: with a request censored, their value over every
	// due request has no upper bound, and would fail every run with a
	// request waiting at the stop.
	completed bool
	// target, when set ({target=NAME}), measures that target's figures
	// (Result.Targets) instead of the run's; its percentiles are of its
	// completed requests.
	target string
}

// ThresholdResult is a threshold's verdict on a run, as the JSON report
// lists it.
type ThresholdResult struct {
	Expr     string  `json:"expr"`
	Measured string  `json:"measured"`
	Value    float64 `json:"value"`
	Pass     bool    `json:"pass"`
}

// ThresholdHelp lists what --fail-on accepts.
const ThresholdHelp = "pNN (p50, p90, p99, p99.9...) over every due request or pNN_completed over completed requests only, mean and max of completed requests, with a time unit (p99<250ms); errors, timeouts, non2xx as a count (errors=0) or a share of requests (errors<1%); rps (rps>=1000); rate_achieved as a share of -R (rate_achieved>=99%); operators < <= > >= =; pNN, mean, max, errors, non2xx or rps of one --targets target: p99{target=NAME}<250ms"

// ParseThreshold reads one --fail-on expression.
func ParseThreshold(expr string) (Threshold, error) {
	bad := func(why string) (Threshold, error) {
		return Threshold{}, fmt.Errorf("--fail-on %q: %s; want %s", expr, why, ThresholdHelp)
	}
	body, target, err := cutTarget(expr)
	if err != nil {
		return bad(err.Error())
	}
	s := strings.ReplaceAll(strings.TrimSpace(body), " ", "")
	i := strings.IndexAny(s, "<>=")
	if i <= 0 {
		return bad("no comparison")
	}
	t := Threshold{Expr: expr, metric: strings.ToLower(s[:i])}
	rest := s[i:]
	for _, op := range []string{"<=", ">=", "==", "<", ">", "="} {
		if strings.HasPrefix(rest, op) {
			t.op, rest = op, rest[len(op):]
			break
		}
	}
	if t.op == "==" {
		t.op = "="
	}
	switch {
	case rest == "":
		return bad("no bound")
	case strings.ContainsAny(rest[:1], "<>="):
		return bad(fmt.Sprintf("%q is no comparison: the operators are < <= > >= =", t.op+rest[:1]))
	case strings.ContainsAny(rest, ",;"):
		return bad("one threshold per --fail-on: repeat the flag for another")
	case strings.HasPrefix(rest, "-"):
		return bad("a bound is not negative")
	}
	if m, ok := strings.CutSuffix(t.metric, "_completed"); ok {
		t.metric, t.completed = m, true
	}
	switch m := t.metric; {
	case m == "mean" || m == "max" || (strings.HasPrefix(m, "p") && len(m) > 1):
		if m != "mean" && m != "max" {
			p, err := strconv.ParseFloat(m[1:], 64)
			if err != nil || !(p > 0 && p <= 100) {
				return bad("a percentile is p followed by a number above 0 and at most 100")
			}
			t.pct = p
		}
		d, err := time.ParseDuration(rest)
		if err != nil || d < 0 {
			return bad("a latency bound needs a time unit (250ms, 1.5s, 800us)")
		}
		t.kind, t.bound = 'l', float64(d)/float64(time.Microsecond)
	case t.completed:
		return bad(fmt.Sprintf("_completed goes with a percentile (p99_completed), not %s", m))
	case m == "errors" || m == "timeouts" || m == "non2xx" || m == "rate_achieved":
		t.kind = 'n'
		if v, ok := strings.CutSuffix(rest, "%"); ok {
			t.kind, rest = '%', v
		}
		if m == "rate_achieved" && t.kind != '%' {
			return bad("rate_achieved is a share of the target rate, in %")
		}
		v, err := strconv.ParseFloat(rest, 64)
		if err != nil || v < 0 || math.IsInf(v, 0) || (t.kind == '%' && v > 100) {
			return bad("the bound is a count, or a share from 0% to 100%")
		}
		if t.kind == 'n' && v != math.Trunc(v) {
			return bad(fmt.Sprintf("%s without %% is a count, a whole number; a share takes %% (%s%s%g%%)", m, m, t.op, v))
		}
		t.bound = v
	case m == "rps":
		v, err := strconv.ParseFloat(rest, 64)
		if err != nil || v < 0 || math.IsInf(v, 0) {
			return bad("rps takes a number of requests per second")
		}
		t.kind, t.bound = 'n', v
	default:
		return bad(fmt.Sprintf("unknown metric %q", t.metric))
	}
	if target != "" {
		if t.metric == "timeouts" || t.metric == "rate_achieved" {
			return bad(t.metric + " is the run's only, not a target's")
		}
		t.target, t.completed = target, t.kind == 'l'
	}
	return t, nil
}

// Target is the target the threshold measures ({target=NAME}); "" for
// the run's figures.
func (t Threshold) Target() string { return t.target }

// ThresholdsApply refuses a threshold that cannot be measured on what
// (a run, the reports merged) of configuration cfg: rate_achieved without
// a schedule (-R, a rate shape), which would read 0% and fail.
func ThresholdsApply(ths []Threshold, cfg *loadgen.Config, what string) error {
	for _, t := range ths {
		if t.metric == "rate_achieved" && cfg.Rate <= 0 {
			return fmt.Errorf("--fail-on %q: rate_achieved is a share of the -R target, and %s has none (closed loop); give -R, or drop it", t.Expr, what)
		}
	}
	return nil
}

// Quantile is the share of requests the threshold's metric sits above:
// 0.99 for p99, 1 for max, 0 for a mean, a count, a share or a rate.
func (t Threshold) Quantile() float64 {
	switch {
	case t.metric == "max":
		return 1
	case t.kind == 'l' && t.pct > 0:
		return t.pct / 100
	}
	return 0
}

// Check measures the threshold's metric on r and compares it. A latency
// threshold over no request never passes: an empty histogram measures
// nothing, not 0. A latency over every due request that is only a lower
// bound (loadgen.DuePercentile) lies between the value and an upper bound
// (none when too few requests completed): a < or <= threshold passes only
// when the upper bound passes, a > or >= one when the value passes, an =
// one never; so a lower bound that already fails fails, and one that
// passes only as a lower bound is not a pass.
func (t Threshold) Check(r *loadgen.Result) ThresholdResult {
	if t.target == "" {
		return t.check(r)
	}
	v, ok := targetView(r, t.target)
	if !ok {
		return ThresholdResult{Expr: t.Expr, Measured: t.name() + " unmeasured (no target of that name in the run)"}
	}
	res := t.check(v)
	res.Measured = "target " + t.target + ": " + res.Measured
	return res
}

// check is Check on r, the run's figures or a target's.
func (t Threshold) check(r *loadgen.Result) ThresholdResult {
	if t.kind == 'l' && r.Latency.TotalCount() == 0 && (t.completed || t.pct == 0 || r.DueCount() == 0) {
		return ThresholdResult{Expr: t.Expr, Measured: t.name() + " unmeasured (no request completed)"}
	}
	lo, hi, shown := t.measure(r)
	var pass bool
	switch t.op {
	case "<", "<=":
		pass = t.compare(hi)
	case ">", ">=":
		pass = t.compare(lo)
	default:
		pass = lo == hi && t.compare(lo)
	}
	if !pass && lo != hi && t.compare(lo) {
		shown += fmt.Sprintf(" (a lower bound: %d requests due never completed; not proven; %s_completed judges the completed requests alone)", censoredCount(r), t.name())
	}
	return ThresholdResult{Expr: t.Expr, Measured: shown, Value: lo, Pass: pass}
}

// name is the metric as the expression wrote it (p99, p99_completed),
// without its target.
func (t Threshold) name() string {
	body, _, _ := cutTarget(t.Expr)
	return strings.ToLower(strings.TrimSpace(body[:strings.IndexAny(body, "<>=")]))
}

// compare applies the threshold's comparison to v.
func (t Threshold) compare(v float64) bool {
	switch t.op {
	case "<":
		return v < t.bound
	case "<=":
		return v <= t.bound
	case ">":
		return v > t.bound
	case ">=":
		return v >= t.bound
	}
	return v == t.bound
}

func censoredCount(r *loadgen.Result) int64 {
	if r.Censored == nil {
		return 0
	}
	return r.Censored.TotalCount()
}

// measureLatency is a percentile over every due request: the value
// (lo), what it is at most (hi: lo when exact, +Inf when nothing bounds
// it), and how the verdict shows it.
func (t Threshold) measureLatency(r *loadgen.Result) (lo, hi float64, shown string) {
	name := t.name()
	hi = math.Inf(1)
	dp := r.DuePercentiles(t.pct)[0]
	lo, lower := float64(dp.Value), dp.LowerBound
	if dp.UpperKnown {
		hi = float64(dp.Upper)
	}
	if !lower {
		hi = lo
	}
	shown = name + " " + dueText(int64(lo), lower)
	if lower && !math.IsInf(hi, 1) {
		shown += ", at most " + formatTimeUs(hi)
	}
	return lo, hi, shown
}

// measure is the metric on r: its value, what it is at most (the value
// itself unless it is a lower bound), and how the verdict shows it.
func (t Threshold) measure(r *loadgen.Result) (lo, hi float64, shown string) {
	if t.kind == 'l' && !t.completed && t.pct > 0 {
		return t.measureLatency(r)
	}
	v, s := t.measureExact(r)
	return v, v, s
}

func (t Threshold) measureExact(r *loadgen.Result) (float64, string) {
	c := &r.Counts
	share := func(n, of uint64) (float64, string) {
		if t.kind != '%' {
			return float64(n), fmt.Sprintf("%s %d", t.metric, n)
		}
		p := 0.0
		if of > 0 {
			p = 100 * float64(n) / float64(of)
		}
		return p, fmt.Sprintf("%s %.3f%% (%d of %d)", t.metric, p, n, of)
	}
	switch t.metric {
	case "mean":
		v := r.Latency.Mean()
		return v, "mean of completed " + formatTimeUs(v)
	case "max":
		v := float64(r.Latency.Max())
		return v, "max of completed " + formatTimeUs(v)
	case "errors":
		return share(c.Errors(), c.Completed+c.Errors())
	case "timeouts":
		return share(c.TimedOut(), c.Sent)
	case "non2xx":
		var ok uint64
		for code, n := range r.StatusCodes {
			if code >= 200 && code < 300 {
				ok += n
			}
		}
		return share(c.Completed-ok, c.Completed)
	case "rate_achieved":
		p := 0.0
		if r.Config.Rate > 0 {
			p = 100 * r.AchievedRate() / r.Config.Rate
		}
		return p, fmt.Sprintf("rate_achieved %.2f%% of %s/s", p, RateText(r.Config.Rate))
	case "rps":
		v := r.RequestsPerSec()
		return v, fmt.Sprintf("rps %.2f", v)
	}
	v := float64(r.Latency.ValueAtQuantile(t.pct))
	return v, t.metric + "_completed " + formatTimeUs(v)
}
