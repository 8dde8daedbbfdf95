package loadgen

import "time"

// ticks are the machine's CPU time counters (all cores), in clock ticks:
// busy and total, and how many CPUs; zero where they are not measured.
type ticks struct{ busy, total, cpus uint64 }

// busySince is the share of the CPU time between t0 and t that was busy,
// from 0 to 1; 0 when either was not measured.
func (t ticks) busySince(t0 ticks) float64 {
	if t0.total == 0 || t.total <= t0.total || t.busy < t0.busy {
		return 0
	}
	return min(1, float64(t.busy-t0.busy)/float64(t.total-t0.total))
}

// busyWith is busySince for a window of length d in which gowrk alone
// used cpu: never less than gowrk's own share of the machine. The kernel
// counts CPU time in ticks, which a process that runs in bursts between
// sleeps can fall between (a -R run of gowrk using 19% of a 2-CPU machine
// read 4% busy); 0 when the machine was not measured.
func (t ticks) busyWith(t0 ticks, cpu, d time.Duration) float64 {
	if t0.total == 0 || t.total <= t0.total {
		return 0 // not measured
	}
	b := t.busySince(t0)
	if t.cpus == 0 || d <= 0 {
		return b
	}
	return min(1, max(b, cpu.Seconds()/(d.Seconds()*float64(t.cpus))))
}

// readMachine reads the machine's counters (machineTicks); the package's
// own tests, which run on testing/synctest's clock, read none, so that no
// verdict there depends on what else the machine is doing.
var readMachine = machineTicks

// MachineBusy starts a window over the machine's CPU counters and returns
// its reader: the share of all the machine's CPU time (every process's)
// that was busy since the call, from 0 to 1; 0 where it is not measured.
// Tests use it as the evidence that a verdict measured the machine.
func MachineBusy() func() float64 {
	t0 := machineTicks()
	return func() float64 { return machineTicks().busySince(t0) }
}
