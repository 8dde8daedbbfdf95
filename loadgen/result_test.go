package loadgen

import (
	"math"
	"net/url"
	"reflect"
	"testing"
	"time"
)

func TestVerdictsAndHints(t *testing.T) {
	u, _ := url.Parse("http://127.0.0.1:8080/")
	type opt func(*Result)
	conns := func(n int) opt { return func(r *Result) { r.Config.Connections = n } }
	abort := func(r *Result) { r.Config.TimeoutAction = TimeoutAbort }
	took := func(d time.Duration) opt { return func(r *Result) { r.Duration = d } }
	mk := func(rate float64, c Counts, svcUs, timerUs int64, cpu time.Duration, opts ...opt) *Result {
		r := &Result{
			Config:   Config{Threads: 2, Connections: 10, Rate: rate, Timeout: 2 * time.Second, ConnectTimeout: 5 * time.Second, Target: Target{URL: u, Method: "GET"}},
			Duration: 10 * time.Second, CPU: cpu, Counts: c, StatusCodes: map[int]uint64{},
			Latency: NewHistogram(), Service: NewHistogram(), SendLag: NewHistogram(), TimerLag: NewHistogram(),
		}
		if c.Status > 0 {
			r.StatusCodes[404] = c.Status
		}
		r.Service.RecordValue(svcUs)
		if timerUs > 0 {
			r.TimerLag.RecordValue(timerUs)
		}
		for _, o := range opts {
			o(r)
		}
		return r
	}
	for _, tc := range []struct {
		name          string
		r             *Result
		verdict, hint FindingKind // 0 means none
	}{
		{"closed loop, clean", mk(0, Counts{Sent: 1000, Completed: 1000}, 100, 0, 0), 0, 0},
		{"rate held", mk(100, Counts{Sent: 1000, Completed: 990, InFlight: 10}, 100, 0, 0), 0, 0},
		// 30/s with a 1 s service time: the last second is in flight at
		// the stop, which is no shortfall.
		{"in-flight tail", mk(30, Counts{Sent: 450, Completed: 420, InFlight: 30}, 1_000_000, 0, 0, conns(1000), took(15*time.Second)), 0, 0},
		// 100/s x 200 ms needs 20 connections; 10 send 50/s.
		{"too few connections", mk(100, Counts{Sent: 500, Completed: 490, InFlight: 10, Unsent: 500}, 200_000, 0, 0), RateTooFewConnections, 0},
		{"server too slow, connections busy", mk(100, Counts{Sent: 500, Completed: 490, InFlight: 10, Unsent: 500}, 5_000, 0, 0), RateServerShortfall, 0},
		{"server too slow, queue grew", mk(100, Counts{Sent: 1000, Completed: 500, InFlight: 500}, 5_000, 0, 0, conns(1000)), RateQueueGrew, 0},
		{"generator timer late", mk(100, Counts{Sent: 1000, Completed: 1000}, 100, 50_000, 0), RateGeneratorLate, 0},
		{"generator CPU saturated", mk(100, Counts{Sent: 500, Completed: 500, Unsent: 500}, 5_000, 0, 19*time.Second), RateGeneratorCPU, 0},
		// Evidence, not a timer alone: a 50 ms p99 timer lateness against a
		// 200 ms service time is not gowrk's shortfall; the server's is named.
		{"timer late, server slower", mk(100, Counts{Sent: 500, Completed: 0, InFlight: 500, Unsent: 500}, 200_000, 50_000, 0, conns(1000)), RateServerShortfall, 0},
		// The same lateness on a machine with every CPU busy is the machine's.
		{"machine busy", mk(100, Counts{Sent: 1000, Completed: 1000}, 100, 50_000, 0, func(r *Result) { r.MachineBusy = 0.97 }), RateMachineBusy, 0},
		// Short of the schedule with every CPU of the machine busy but a
		// punctual timer: the connections waited on the server; its.
		{"behind, machine busy, timer on time", mk(100, Counts{Sent: 500, Completed: 490, InFlight: 10, Unsent: 500}, 5_000, 0, 0, func(r *Result) { r.MachineBusy = 0.95 }), RateServerShortfall, 0},
		// gowrk's CPU saturated, but every request went out: nothing to say.
		{"CPU busy, schedule kept", mk(100, Counts{Sent: 1000, Completed: 1000}, 100, 0, 19*time.Second), 0, 0},
		// wrk's FastAPI case: a pool answers 38/s; requests wait past the
		// timeout and are answered late.
		{"timeouts, waiting", mk(0, Counts{Sent: 2160, Completed: 1160, Late: 1120, InFlight: 1000, LateInFlight: 1000}, 1_500_000, 0, 0, conns(1000)),
			0, TimeoutsLate},
		{"timeouts, abort", mk(0, Counts{Sent: 14040, Completed: 40, Timeout: 14000}, 100, 0, 0, abort), 0, TimeoutsAbandoned},
		{"few timeouts", mk(0, Counts{Sent: 1000, Completed: 1000, Late: 10}, 100, 0, 0), 0, 0},
		{"resets", mk(0, Counts{Sent: 200, Completed: 100, Read: 100}, 100, 0, 0), 0, TransportErrors},
		{"refused", mk(0, Counts{Connect: 99}, 100, 0, 0), 0, ConnectsFailed},
		{"refused, stopped early", mk(0, Counts{Connect: 11}, 100, 0, 0, func(r *Result) { r.Aborted = "cannot connect" }), 0, 0},
		{"ports exhausted", mk(0, Counts{Sent: 500, Completed: 500, Ports: 7}, 100, 0, 0), 0, PortsExhausted},
		{"connect timeouts", mk(0, Counts{Sent: 100, Completed: 100, Connect: 50, ConnectTimeout: 50}, 100, 0, 0), 0, ConnectTimeouts},
		{"every response 4xx", mk(0, Counts{Sent: 100, Completed: 100, Status: 100}, 100, 0, 0), 0, AllStatusErrors},
	} {
		v, ok := tc.r.RateFinding()
		if v.Kind != tc.verdict || ok != (tc.verdict != 0) {
			t.Errorf("%s: RateFinding() = %v (%v), want %v", tc.name, v.Kind, ok, tc.verdict)
		}
		h, ok := tc.r.troubleFinding()
		if ok && tc.r.Aborted != "" {
			h.Kind = 0 // Findings leaves trouble out of an aborted run
		}
		if h.Kind != tc.hint {
			t.Errorf("%s: troubleFinding() = %v, want %v", tc.name, h.Kind, tc.hint)
		}
		for _, f := range tc.r.Findings() {
			if f.Kind.String() == "unknown" {
				t.Errorf("%s: finding %d has no name", tc.name, f.Kind)
			}
		}
	}
	// Closed loop with gowrk's CPU saturated: gowrk says it was the bottleneck.
	r := mk(0, Counts{Sent: 1000, Completed: 1000}, 100, 0, 19*time.Second)
	if f, ok := r.generatorFinding(); !ok || f.Kind != GeneratorCPU || f.CPUBusy < 0.9 {
		t.Errorf("generatorFinding() = %+v", f)
	}
	if f, ok := mk(0, Counts{Sent: 1000, Completed: 1000}, 100, 0, time.Second).generatorFinding(); ok {
		t.Errorf("generatorFinding() = %+v for an idle generator", f)
	}
	// The CPU time was measured over the warm-up too: 19 s of CPU over
	// 10 s of warm-up and 10 s of run on 2 threads is 47.5% busy.
	warm := func(r *Result) { r.Warmup = &Result{Duration: 10 * time.Second} }
	if r := mk(0, Counts{Sent: 1000, Completed: 1000}, 100, 0, 19*time.Second, warm); r.CPUBusy() != 0.475 {
		t.Errorf("CPUBusy() = %v over a run and its warm-up, want 0.475", r.CPUBusy())
	} else if f, ok := r.generatorFinding(); ok {
		t.Errorf("generatorFinding() = %+v for a generator busy 47.5%%", f)
	}
	// Over a window too short to say (CPUEvidence), no saturation, busy as
	// the threads were: not in closed loop, nor as the rate verdict's cause.
	short := took(CPUEvidence - time.Millisecond)
	if f, ok := mk(0, Counts{Sent: 100, Completed: 100}, 100, 0, 2*CPUEvidence, short).generatorFinding(); ok {
		t.Errorf("generatorFinding() = %+v over %s", f, CPUEvidence-time.Millisecond)
	}
	if f, _ := mk(100, Counts{Sent: 5, Completed: 5, Unsent: 45}, 5_000, 0, 2*CPUEvidence, short).RateFinding(); f.Kind == RateGeneratorCPU {
		t.Errorf("RateFinding() = %+v over %s", f, CPUEvidence-time.Millisecond)
	}
	if f, ok := mk(0, Counts{Sent: 100, Completed: 100}, 100, 0, 2*CPUEvidence, took(CPUEvidence)).generatorFinding(); !ok || f.Kind != GeneratorCPU {
		t.Errorf("generatorFinding() = %+v over %s with both threads busy", f, CPUEvidence)
	}
}

// TestMachineBusyWith: the machine's busy share is never below gowrk's own
// share of its CPUs, whatever the tick counts say; unmeasured stays 0.
func TestMachineBusyWith(t *testing.T) {
	t0 := ticks{busy: 1000, total: 10000, cpus: 2}
	for _, tc := range []struct {
		t    ticks
		cpu  time.Duration
		want float64
	}{
		{ticks{busy: 1040, total: 10400, cpus: 2}, 760 * time.Millisecond, 0.19}, // ticks say 10%, gowrk alone used 19% of 2 CPUs over 2 s
		{ticks{busy: 1200, total: 10400, cpus: 2}, 760 * time.Millisecond, 0.5},  // ticks say more: theirs
		{ticks{busy: 1040, total: 10400, cpus: 2}, 8 * time.Second, 1},           // never above 1
		{ticks{busy: 1000, total: 10400, cpus: 2}, 760 * time.Millisecond, 0.19}, // no busy tick at all: gowrk's share still
		{ticks{busy: 1040, total: 10400}, 760 * time.Millisecond, 0.1},           // no per-CPU lines: the ticks alone
		{ticks{}, 760 * time.Millisecond, 0},                                     // not measured
	} {
		if got := tc.t.busyWith(t0, tc.cpu, 2*time.Second); math.Abs(got-tc.want) > 1e-9 {
			t.Errorf("busyWith(%+v, cpu %s) = %v, want %v", tc.t, tc.cpu, got, tc.want)
		}
	}
}

// TestCountsAddAll: add and sub move every counter (the list is written
// once, in addSigned; a counter left out of it would be lost in merges).
func TestCountsAddAll(t *testing.T) {
	var one Counts
	v := reflect.ValueOf(&one).Elem()
	for i := range v.NumField() {
		v.Field(i).SetUint(1)
	}
	var sum Counts
	sum.add(&one)
	sum.add(&one)
	sv := reflect.ValueOf(sum)
	for i := range sv.NumField() {
		if sv.Field(i).Uint() != 2 {
			t.Errorf("Counts.add leaves out %s", sv.Type().Field(i).Name)
		}
	}
	sum.sub(&one)
	if sum != one {
		t.Errorf("sub: %+v", sum)
	}
}
