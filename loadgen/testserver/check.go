package testserver

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gowrk/gowrk/loadgen"
)

// CheckAccounting asserts what every run must satisfy, whatever the engine:
// every request sent is accounted for, and the status codes add up to the
// completed requests.
func CheckAccounting(t testing.TB, r *loadgen.Result) {
	t.Helper()
	c := r.Counts
	if got := c.Completed + c.Failed() + c.InFlight + c.Resent; got != c.Sent {
		t.Errorf("sent %d != completed %d + failed %d + in flight %d + resent %d (%+v)", c.Sent, c.Completed, c.Failed(), c.InFlight, c.Resent, c)
	}
	var statuses uint64
	for _, n := range r.StatusCodes {
		statuses += n
	}
	if statuses != c.Completed {
		t.Errorf("status code counts sum to %d, completed %d", statuses, c.Completed)
	}
}

// StartT starts a server with behaviour b and closes it when the test ends.
func StartT(t testing.TB, b Behaviour) *Server {
	t.Helper()
	s, err := Start(b)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// ClosedPortURL returns the URL of a loopback port nothing listens on.
func ClosedPortURL(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return "http://" + addr + "/"
}

// CheckRate asserts what a constant-rate run must satisfy against the
// truths it has, none of them the wall clock: the schedule's own due times
// put exactly want requests in the run's window; the server's count of the
// requests it read (served) lies between what gowrk says was answered and
// what it says was sent, so the rate gowrk reports is the server's count
// over the window the run reports; and gowrk sent at least
// loadgen.RateShortfall of what was due. Only a machine that kept gowrk
// off the CPU may excuse a shortfall: the kernel's run-queue wait of the
// process's threads since offCPU0 (OffCPU before the run) must be at least
// half the time gowrk fell behind, and the verdict must say so.
func CheckRate(t testing.TB, r *loadgen.Result, want uint64, served int64, offCPU0 time.Duration) {
	t.Helper()
	c := r.Counts
	window := r.Duration.Seconds()
	t.Logf("-R %v: server %.1f/s over the run's %s, gowrk reports %.1f/s; sent %d of %d due",
		r.Config.Rate, float64(served)/window, r.Duration, r.RequestsPerSec(), c.Sent, want)
	if due := r.Due(); due != want {
		t.Errorf("-R %v: %d requests due in the run's window, want %d", r.Config.Rate, due, want)
	}
	if c.Errors() != 0 || served < int64(c.Completed) || served > int64(c.Sent) {
		t.Errorf("-R %v: the server read %d requests, gowrk counts %d answered, %d sent (%+v)", r.Config.Rate, served, c.Completed, c.Sent, c)
	}
	if float64(c.Sent) >= loadgen.RateShortfall*float64(want) {
		return
	}
	why, excused := Starved(r, offCPU0)
	if f, ok := r.RateFinding(); !ok || !excused {
		t.Errorf("-R %v: %s; verdict %v (%v)", r.Config.Rate, why, f.Kind, ok)
	}
}

// Starved says how far a constant-rate run fell behind its schedule at the
// stop and how long the kernel kept the process's threads waiting for a
// CPU since offCPU0 (OffCPU before the run); true when that wait is at
// least half the time it fell behind (or is not known): the machine's load,
// not gowrk, explains the shortfall.
func Starved(r *loadgen.Result, offCPU0 time.Duration) (string, bool) {
	c := r.Counts
	behind := time.Duration(float64(c.Unsent) / r.Config.Rate * float64(time.Second))
	waited := time.Duration(-1) // not known
	if now := OffCPU(); now >= 0 && offCPU0 >= 0 {
		waited = now - offCPU0
	}
	why := fmt.Sprintf("sent %d of %d due (%s behind at the stop) with the process waiting %s for a CPU", c.Sent, r.Due(), behind, waited)
	return why, waited < 0 || waited >= behind/2
}

// OffCPU returns how long the process's threads have waited, runnable, for
// a CPU since they started (Linux's /proc/self/task/*/schedstat); -1 where
// that is not known. The difference over a run is how much the machine's
// load kept the process off the CPU.
func OffCPU() time.Duration {
	files, _ := filepath.Glob("/proc/self/task/*/schedstat")
	if len(files) == 0 {
		return -1
	}
	var ns int64
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			continue // the thread has exited
		}
		if fields := strings.Fields(string(b)); len(fields) == 3 {
			n, _ := strconv.ParseInt(fields[1], 10, 64)
			ns += n
		}
	}
	return time.Duration(ns)
}

// CPUWait starts a window over which the process's run-queue wait is
// measured (OffCPU's difference) and returns its reader: how long, since
// the call, the kernel kept the process runnable but off every CPU; 0
// where that is not known. The reader may be called any number of times,
// from one goroutine.
func CPUWait() func() time.Duration {
	off := OffCPU()
	return func() time.Duration {
		now := OffCPU()
		if now < 0 || off < 0 {
			return 0
		}
		return now - off
	}
}

// Judge skips t, naming the evidence, when the process waited for a CPU
// (waited, from CPUWait) more than a quarter of run, the length of the
// window a wall-clock-sensitive verdict was about to fail on: on such a
// starved machine the verdict measures the machine, not gowrk. A test
// calls it only where that verdict failed, and never for a count checked
// against a truth (the server's count), which holds however busy the
// machine is.
func Judge(t testing.TB, waited, run time.Duration, verdict string) {
	t.Helper()
	if waited > run/4 {
		t.Skipf("this machine is too busy to judge %s: the process waited %s for a CPU over a window of %s (more than a quarter of it)", verdict, waited.Round(time.Millisecond), run.Round(time.Millisecond))
	}
}
