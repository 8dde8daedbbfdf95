package loadgen

// ticks are the machine's CPU time counters (all cores), in clock ticks:
// busy and total; zero where they are not measured.
type ticks struct{ busy, total uint64 }

// busySince is the share of the CPU time between t0 and t that was busy,
// from 0 to 1; 0 when either was not measured.
func (t ticks) busySince(t0 ticks) float64 {
	if t0.total == 0 || t.total <= t0.total || t.busy < t0.busy {
		return 0
	}
	return min(1, float64(t.busy-t0.busy)/float64(t.total-t0.total))
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
