//go:build !unix

package main

// processRlimit is not checked on this platform.
var processRlimit = rlimit{}
