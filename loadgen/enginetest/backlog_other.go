//go:build !linux

package enginetest

import "testing"

// fullBacklog needs a listen backlog of 1, set with Linux's listen(2).
func fullBacklog(t *testing.T, en *env) served {
	t.Skip("a full listen backlog is built on Linux only")
	return served{}
}
