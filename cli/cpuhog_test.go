package cli

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

// busyLoopEnv, set in the environment of this test binary, makes it spin
// on one CPU until killed instead of running tests (the CPU hog of
// startCPUHog where stress-ng is not installed).
const busyLoopEnv = "GOWRK_TEST_BUSY_LOOP"

// spinIfAsked spins forever when busyLoopEnv is set (called from TestMain).
func spinIfAsked() {
	if os.Getenv(busyLoopEnv) == "" {
		return
	}
	runtime.GOMAXPROCS(1)
	for x := 0; ; x++ {
		if x < 0 {
			return // never: keeps the loop from being optimised away
		}
	}
}

// startCPUHog starts a CPU-bound process beside the test, in its own
// process group (killed at the test's end): `stress-ng --cpu 1` when it is
// installed, else this test binary spinning on one CPU. It returns a
// function that says how much CPU time the hog's processes have used so
// far (read from /proc; 0 where there is none).
func startCPUHog(t *testing.T) (cpu func() time.Duration) {
	t.Helper()
	var cmd *exec.Cmd
	if p, err := exec.LookPath("stress-ng"); err == nil {
		cmd = exec.Command(p, "--cpu", "1", "--timeout", "600s", "--quiet")
	} else {
		exe, err := os.Executable()
		if err != nil {
			t.Fatal(err)
		}
		cmd = exec.Command(exe, "-test.run=^$")
		cmd.Env = append(os.Environ(), busyLoopEnv+"=1")
	}
	startProcess(t, cmd)
	t.Logf("CPU hog: %s (pid %d)", strings.Join(cmd.Args, " "), cmd.Process.Pid)
	return func() time.Duration { return groupCPU(cmd.Process.Pid) }
}

// groupCPU is the user and system CPU time of the live processes in
// process group pgid, from /proc/PID/stat (clock ticks of 1/100 s, the
// USER_HZ of every Linux the project runs on).
func groupCPU(pgid int) time.Duration {
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	var ticks int64
	for _, f := range stats {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		s := string(b)
		i := strings.LastIndexByte(s, ')') // the command may hold spaces
		if i < 0 {
			continue
		}
		// After ") ": state, ppid, pgrp, ... utime (field 14), stime (15).
		fields := strings.Fields(s[i+1:])
		if len(fields) < 13 {
			continue
		}
		if g, _ := strconv.Atoi(fields[2]); g != pgid {
			continue
		}
		u, _ := strconv.ParseInt(fields[11], 10, 64)
		st, _ := strconv.ParseInt(fields[12], 10, 64)
		ticks += u + st
	}
	return time.Duration(ticks) * 10 * time.Millisecond
}
