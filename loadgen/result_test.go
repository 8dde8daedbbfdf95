package loadgen

import (
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestVerdictsAndHints(t *testing.T) {
	u, _ := url.Parse("http://127.0.0.1:8080/")
	mk := func(rate float64, completed uint64, c Counts, svcUs, timerUs int64, cpu time.Duration) *Result {
		r := &Result{
			Config:   Config{Threads: 2, Connections: 10, Rate: rate, Timeout: 2 * time.Second, Target: Target{URL: u}},
			Duration: 10 * time.Second, CPU: cpu, Counts: c,
			Latency: NewHistogram(), Service: NewHistogram(), SendLag: NewHistogram(), TimerLag: NewHistogram(),
		}
		r.Counts.Completed = completed
		r.Service.RecordValue(svcUs)
		if timerUs > 0 {
			r.TimerLag.RecordValue(timerUs)
		}
		return r
	}
	for _, tc := range []struct {
		name          string
		r             *Result
		verdict, hint string // substrings; "" means none
	}{
		{"closed loop, clean", mk(0, 1000, Counts{}, 100, 0, 0), "", ""},
		{"rate held", mk(100, 1000, Counts{}, 100, 0, 0), "", ""},
		// 100/s x 200 ms needs 20 connections; 10 give 50/s.
		{"too few connections", mk(100, 500, Counts{}, 200_000, 0, 0), "too few connections", ""},
		{"server too slow", mk(100, 500, Counts{}, 5_000, 0, 0), "server could not keep up", ""},
		{"generator timer late", mk(100, 1000, Counts{}, 100, 50_000, 0), "fell behind its own schedule", ""},
		{"generator CPU saturated", mk(100, 500, Counts{}, 5_000, 0, 19*time.Second), "CPU is saturated", ""},
		{"timeouts", mk(0, 40, Counts{Timeout: 1120}, 100, 0, 0), "", "1120 of 1160 requests timed out after 2s; the latency figures cover the 40 that completed"},
		{"timeouts under -R", mk(100, 40, Counts{Timeout: 1120}, 100, 0, 0), "server could not keep up", "include them at the time they waited"},
		{"few timeouts", mk(0, 1000, Counts{Timeout: 10}, 100, 0, 0), "", ""},
		{"resets", mk(0, 100, Counts{Read: 100}, 100, 0, 0), "", "100 of 200 requests failed with read, write or HTTP/2 errors"},
		{"refused", mk(0, 0, Counts{Connect: 99}, 100, 0, 0), "", "all 99 connection attempts failed"},
		{"ports exhausted", mk(0, 500, Counts{Ports: 7}, 100, 0, 0), "", "7 connection attempts failed because this machine ran out of ephemeral ports"},
	} {
		if v := tc.r.RateVerdict(); (tc.verdict == "") != (v == "") || !strings.Contains(v, tc.verdict) {
			t.Errorf("%s: RateVerdict() = %q, want %q", tc.name, v, tc.verdict)
		}
		if h := tc.r.TroubleHint(); (tc.hint == "") != (h == "") || !strings.Contains(h, tc.hint) {
			t.Errorf("%s: TroubleHint() = %q, want %q", tc.name, h, tc.hint)
		}
	}
}
