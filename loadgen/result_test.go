package loadgen

import (
	"net/url"
	"reflect"
	"strings"
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
		verdict, hint string // substrings; "" means none
	}{
		{"closed loop, clean", mk(0, Counts{Sent: 1000, Completed: 1000}, 100, 0, 0), "", ""},
		{"rate held", mk(100, Counts{Sent: 1000, Completed: 990, InFlight: 10}, 100, 0, 0), "", ""},
		// 30/s with a 1 s service time: the last second is in flight at
		// the stop, which is no shortfall.
		{"in-flight tail", mk(30, Counts{Sent: 450, Completed: 420, InFlight: 30}, 1_000_000, 0, 0, conns(1000), took(15*time.Second)), "", ""},
		// 100/s x 200 ms needs 20 connections; 10 send 50/s.
		{"too few connections", mk(100, Counts{Sent: 500, Completed: 500, Unsent: 500}, 200_000, 0, 0), "too few connections", ""},
		{"server too slow, connections busy", mk(100, Counts{Sent: 500, Completed: 500, Unsent: 500}, 5_000, 0, 0), "server could not keep up", ""},
		{"server too slow, queue grew", mk(100, Counts{Sent: 1000, Completed: 500, InFlight: 500}, 5_000, 0, 0, conns(1000)), "every request went out on schedule, but the server could not keep up", ""},
		{"generator timer late", mk(100, Counts{Sent: 1000, Completed: 1000}, 100, 50_000, 0), "fell behind its own schedule", ""},
		{"generator CPU saturated", mk(100, Counts{Sent: 500, Completed: 500, Unsent: 500}, 5_000, 0, 19*time.Second), "CPU is saturated", ""},
		// wrk's FastAPI case: a pool answers 38/s; requests wait past the
		// timeout and are answered late.
		{"timeouts, waiting", mk(0, Counts{Sent: 2160, Completed: 1160, Late: 1120, InFlight: 1000, LateInFlight: 1000}, 1_500_000, 0, 0, conns(1000)),
			"", "2120 of 2160 requests sent passed --timeout 2s: 1120 were answered late"},
		{"timeouts, abort", mk(0, Counts{Sent: 14040, Completed: 40, Timeout: 14000}, 100, 0, 0, abort), "", "--timeout-action abort"},
		{"few timeouts", mk(0, Counts{Sent: 1000, Completed: 1000, Late: 10}, 100, 0, 0), "", ""},
		{"resets", mk(0, Counts{Sent: 200, Completed: 100, Read: 100}, 100, 0, 0), "", "100 of 200 requests failed with read, write or HTTP/2 errors"},
		{"refused", mk(0, Counts{Connect: 99}, 100, 0, 0), "", "all 99 connection attempts failed"},
		{"refused, stopped early", mk(0, Counts{Connect: 11}, 100, 0, 0, func(r *Result) { r.Aborted = "cannot connect" }), "", ""},
		{"ports exhausted", mk(0, Counts{Sent: 500, Completed: 500, Ports: 7}, 100, 0, 0), "", "7 connection attempts failed because this machine ran out of ephemeral ports"},
		{"connect timeouts", mk(0, Counts{Sent: 100, Completed: 100, Connect: 50, ConnectTimeout: 50}, 100, 0, 0), "", "listen backlog is probably full"},
		{"every response 4xx", mk(0, Counts{Sent: 100, Completed: 100, Status: 100}, 100, 0, 0), "", "every one of the 100 responses had a status of 400 or more (404 x 100)"},
	} {
		if v := tc.r.RateVerdict(); (tc.verdict == "") != (v == "") || !strings.Contains(v, tc.verdict) {
			t.Errorf("%s: RateVerdict() = %q, want %q", tc.name, v, tc.verdict)
		}
		if h := tc.r.TroubleHint(); (tc.hint == "") != (h == "") || !strings.Contains(h, tc.hint) {
			t.Errorf("%s: TroubleHint() = %q, want %q", tc.name, h, tc.hint)
		}
		for _, w := range tc.r.Warnings() {
			if strings.Contains(w, "µs") {
				t.Errorf("%s: %q spells microseconds µs; the reports write us", tc.name, w)
			}
		}
	}
	// Closed loop with gowrk's CPU saturated: gowrk says it was the bottleneck.
	r := mk(0, Counts{Sent: 1000, Completed: 1000}, 100, 0, 19*time.Second)
	if h := r.GeneratorHint(); !strings.Contains(h, "add -t") {
		t.Errorf("GeneratorHint() = %q", h)
	}
	if h := mk(0, Counts{Sent: 1000, Completed: 1000}, 100, 0, time.Second).GeneratorHint(); h != "" {
		t.Errorf("GeneratorHint() = %q for an idle generator", h)
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
