package cli

import "fmt"

// fdSlack is how many descriptors beyond one per connection gowrk needs
// (stdio, the runtime's poller, the output file, dials being replaced).
const fdSlack = 64

// rlimit reads and sets the open-file limit (soft, hard).
type rlimit struct {
	get func() (soft, hard uint64, err error)
	set func(soft, hard uint64) error
}

// ensureFDs makes sure conns connections fit under the open-file limit: it
// raises the soft limit towards the hard one if needed (Go raises it to the
// hard limit at start-up on Linux already), and otherwise returns an error
// that says how many descriptors are needed and how to raise the limit.
func ensureFDs(conns int, rl rlimit) error {
	if rl.get == nil {
		return nil
	}
	need := uint64(conns) + fdSlack
	soft, hard, err := rl.get()
	if err != nil || soft >= need {
		return nil
	}
	if hard >= need {
		if err := rl.set(need, hard); err == nil {
			return nil
		}
	}
	return fmt.Errorf("--connections %d needs about %d open files, but the limit is %d (hard limit %d); raise it with `ulimit -n %d` (as root, or in /etc/security/limits.conf) or use fewer connections",
		conns, need, soft, hard, need)
}
