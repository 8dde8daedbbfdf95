//go:build !linux

package loadgen

// machineTicks is not measured on this platform.
func machineTicks() ticks { return ticks{} }
