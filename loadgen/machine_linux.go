//go:build linux

package loadgen

import (
	"bytes"
	"os"
	"strconv"
)

// machineTicks reads the machine's CPU counters from /proc/stat's first
// line: user nice system idle iowait irq softirq steal (guest time is
// already in user). Idle and iowait are idle; the rest busy. The lines
// after it count the CPUs.
func machineTicks() ticks {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return ticks{}
	}
	line, rest, _ := bytes.Cut(b, []byte{'\n'})
	f := bytes.Fields(line)
	if len(f) < 5 || string(f[0]) != "cpu" {
		return ticks{}
	}
	var t ticks
	for i, v := range f[1:min(len(f), 9)] {
		n, err := strconv.ParseUint(string(v), 10, 64)
		if err != nil {
			return ticks{}
		}
		t.total += n
		if i != 3 && i != 4 { // idle, iowait
			t.busy += n
		}
	}
	for line := range bytes.Lines(rest) { // cpu0, cpu1, ...: one per CPU
		if !bytes.HasPrefix(line, []byte("cpu")) {
			break
		}
		t.cpus++
	}
	return t
}
