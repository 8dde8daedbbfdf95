//go:build linux

package h1_test

import (
	"context"
	"testing"
	"time"

	"github.com/gowrk/gowrk/loadgen"
	"github.com/gowrk/gowrk/loadgen/h1"
	"github.com/gowrk/gowrk/loadgen/poll"
	"github.com/gowrk/gowrk/loadgen/testserver"
)

// TestTimersOncePerSlack: at 10,000 requests/s over 50 connections a
// request comes due every 100 µs of the thread's and its answer wakes the
// loop between them; the loop fires its send timers at most once per
// poll.TimerSlack all the same (a wake for an answer does not fire the
// timer due just after it), which is what batches the sends, while the
// server counts every request due (testserver.CheckRate: short only on a
// machine whose load kept gowrk off the CPU, and saying so).
func TestTimersOncePerSlack(t *testing.T) {
	s := start(t, testserver.Behaviour{})
	cfg := config(t, s.URL())
	cfg.Threads, cfg.Connections, cfg.Rate, cfg.Duration = 1, 50, 10000, time.Second
	eng, err := h1.NewLoop(context.Background(), cfg.Target, cfg.Timeout)
	if err != nil {
		t.Fatal(err)
	}
	offCPU := testserver.OffCPU()
	res, err := loadgen.Run(context.Background(), cfg, eng)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	testserver.CheckRate(t, res, 10000, s.Requests.Load(), offCPU)
	f := eng.Fired()
	t.Logf("%d firings for %d requests sent, at least %s apart", f.N, res.Counts.Sent, f.MinGap)
	if f.N < 2 || f.MinGap < poll.TimerSlack {
		t.Errorf("timers fired %d times, at least %s apart: want at most once per %s", f.N, f.MinGap, poll.TimerSlack)
	}
}
