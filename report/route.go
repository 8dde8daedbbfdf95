package report

import (
	"fmt"

	"github.com/gowrk/gowrk/loadgen"
)

// openedLine says how many connections a run opened, when that is news:
// without keep-alive (one per request), or more than it holds open (the
// server closed some); "" otherwise.
func openedLine(r *loadgen.Result) string {
	c := &r.Counts
	switch {
	case r.Config.Target.NoKeepAlive:
		return fmt.Sprintf("Connections opened: %d (keep-alive off: a new connection for every request)", c.Opened)
	case c.Opened > uint64(r.Config.MostConnections()) && r.Config.Connections > 0:
		return fmt.Sprintf("Connections opened: %d (more than the %d held open: the server closed some, or requests failed)", c.Opened, r.Config.MostConnections())
	}
	return ""
}
