//go:build !unix

package cli

// processRlimit is not checked on this platform.
var processRlimit = rlimit{}
