package luascript

import (
	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
	"github.com/gowrk/gowrk/loadgen"
	lua "github.com/yuin/gopher-lua"
)

// Done calls the script's done(summary, latency, requests), when it has
// one, with wrk's figures from res: summary.duration (microseconds),
// requests, bytes and errors.{connect, read, write, status, timeout};
// latency in microseconds (the corrected latency, as wrk2 reports it) and
// requests as per-thread requests per second, each an object with min,
// max, mean, stdev, percentile(p) and, indexed by a number i, the count of
// values at i-1.
func (s *Script) Done(res *loadgen.Result) error {
	L := s.L
	fn := L.GetGlobal("done")
	if fn.Type() != lua.LTFunction {
		return nil
	}
	c := &res.Counts
	summary := L.NewTable()
	L.SetField(summary, "duration", lua.LNumber(res.Duration.Microseconds()))
	L.SetField(summary, "requests", lua.LNumber(c.Completed))
	L.SetField(summary, "bytes", lua.LNumber(c.BytesRead))
	errs := L.NewTable()
	L.SetField(errs, "connect", lua.LNumber(c.Connect+c.Ports))
	L.SetField(errs, "read", lua.LNumber(c.Read+c.GoAway+c.Reset+c.Protocol+c.IdleClosed))
	L.SetField(errs, "write", lua.LNumber(c.Write))
	L.SetField(errs, "status", lua.LNumber(c.Status))
	L.SetField(errs, "timeout", lua.LNumber(c.TimedOut()))
	L.SetField(summary, "errors", errs)
	latency := s.stats(res.Latency, 1)
	requests := s.stats(res.ReqRate, loadgen.ReqRateScale)
	// A signal ended the run, or comes after it: done still runs, bounded
	// by the run's length and Grace (a second signal ends gowrk at once).
	return s.wrap(s.bounded(L, "done()", false, func() error {
		return L.CallByParam(lua.P{Fn: fn, NRet: 0, Protect: true}, summary, latency, requests)
	}))
}

// stats is wrk's statistics object over h, whose values are divided by scale.
func (s *Script) stats(h *hdrhistogram.Histogram, scale float64) *lua.LTable {
	L := s.L
	t := L.NewTable()
	L.SetField(t, "min", lua.LNumber(float64(h.Min())/scale))
	L.SetField(t, "max", lua.LNumber(float64(h.Max())/scale))
	L.SetField(t, "mean", lua.LNumber(h.Mean()/scale))
	L.SetField(t, "stdev", lua.LNumber(h.StdDev()/scale))
	L.SetField(t, "percentile", L.NewFunction(func(L *lua.LState) int {
		p := float64(L.CheckNumber(2))
		L.Push(lua.LNumber(float64(h.ValueAtQuantile(p)) / scale))
		return 1
	}))
	var bars []hdrhistogram.Bar
	mt := L.NewTable()
	L.SetField(mt, "__index", L.NewFunction(func(L *lua.LState) int {
		i := L.CheckInt64(2)
		if bars == nil {
			bars = h.Distribution()
		}
		v := int64(float64(i-1) * scale)
		var n int64
		for _, b := range bars {
			if b.From <= v && v <= b.To {
				n = b.Count // the count of v's equivalence range (exact below 2,048)
				break
			}
		}
		L.Push(lua.LNumber(n))
		return 1
	}))
	L.SetMetatable(t, mt)
	return t
}
