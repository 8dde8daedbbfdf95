//go:build unix

package cli

import "syscall"

// processRlimit is the process's RLIMIT_NOFILE.
var processRlimit = rlimit{
	get: func() (uint64, uint64, error) {
		var r syscall.Rlimit
		err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &r)
		return uint64(r.Cur), uint64(r.Max), err
	},
	set: func(soft, hard uint64) error {
		return syscall.Setrlimit(syscall.RLIMIT_NOFILE, &syscall.Rlimit{Cur: soft, Max: hard})
	},
}
