package enginetest

import (
	"crypto/tls"
	"strings"
	"testing"

	"github.com/gowrk/gowrk/loadgen"
	"github.com/gowrk/gowrk/loadgen/testserver"
)

// The classes a Fault names: where its failures must be counted. Most are
// loadgen.ErrorClass names (Timeout is wrk's: abandoned, answered late, or
// waiting at the stop); None, Status and Refused are outcomes.
const (
	// None: every request completes, no failure of any class.
	None = "none"
	// Status: requests complete, with status errors (>= 400) counted.
	Status = "status"
	// Refused: Run refuses before any load, with one line (its error).
	Refused = "refused"

	Connect      = "connect"
	Read         = "read"
	Write        = "write"
	TimeoutClass = "timeout"
	GoAway       = "goaway"
	Reset        = "reset"
	Protocol     = "protocol"
)

// Which engines of a row's protocol run it.
const (
	onlyAll = iota
	onlyTLS
	onlyPlain
)

// Fault is one row of the table: a server that fails in one way, and the
// class its failures must land in on every engine of Proto.
type Fault struct {
	Name string
	// Proto is HTTP1, HTTP2, HTTP3, or "" for a row every TCP engine
	// (HTTP/1.1 and HTTP/2) runs.
	Proto string
	// Class is where the failures are counted; TLSClass, when set, is the
	// class on https:// engines (a reset on accept breaks the handshake:
	// connect, not read). Also lists, comma-separated, classes tolerated
	// beside it (a restart gives connect errors while the server is down).
	Class, TLSClass, Also string
	// Only limits the row to engines with (onlyTLS) or without (onlyPlain) TLS.
	Only int
	// Known, when set, is "engine[,engine]: why": the engines (by Name, or
	// a prefix up to "/") that fail the row today skip it with that reason.
	// "all: why" skips it everywhere.
	Known string
	// KnownMsg is Known for the message check alone: on the engines it
	// names, the row's other checks run, and a message that shows library
	// internals skips the row with this reason instead of failing it.
	KnownMsg string
	// Msg, when set, is what the row's one line says, in part: Run's
	// error for a Refused row, otherwise a kept message of the row's class
	// or the abort reason (the facts only: a remedy is the report's).
	Msg string
	// Lost, when set, says why the server may parse fewer requests than
	// were sent (bytes written into a connection the server resets are
	// never read): the check is then parsed <= sent.
	Lost string
	// Server starts the row's server for the engine described by en and
	// registers its close with t.Cleanup.
	Server func(t *testing.T, en *env) served
	// Config adjusts the run (a body, --timeout-action).
	Config func(*loadgen.Config, *loadgen.Target)
	// Check, when set, is the row's own check of the result, after the
	// common ones.
	Check func(t *testing.T, r *loadgen.Result)
}

// classOn is the class f's failures must be counted in on engine e.
func (f Fault) classOn(e Engine) string {
	if e.TLS && f.TLSClass != "" {
		return f.TLSClass
	}
	return f.Class
}

// knownOn returns known ("engine[,engine]: why") when it names engine
// name: by its Name, by the part before a "/", or as "all".
func knownOn(known, name string) (string, bool) {
	who, _, ok := strings.Cut(known, ": ")
	if !ok {
		return "", false
	}
	base, _, _ := strings.Cut(name, "/")
	for _, w := range strings.Split(who, ",") {
		if w == "all" || w == name || w == base {
			return known, true
		}
	}
	return "", false
}

// Faults is the table, HTTP/1.1 rows, then HTTP/2 rows, then HTTP/3 rows,
// then the rows every TCP engine runs (connections, restarts, TLS).
var Faults = concat(h1Faults, h2Faults, h3Faults, netFaults)

func concat(parts ...[]Fault) []Fault {
	var out []Fault
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// clientTLS is the engine's TLS configuration: it trusts the suite's CA.
func (en *env) clientTLS() *tls.Config {
	if !en.eng.TLS {
		return nil
	}
	return &tls.Config{RootCAs: en.ca.Pool()}
}

// h1 serves b on the HTTP/1.1 test server (over the engine's TLS).
func h1(b testserver.Behaviour) func(*testing.T, *env) served {
	return func(t *testing.T, en *env) served {
		if en.eng.Via == ViaUnix {
			return h1Unix(t, b, en.tls)
		}
		return h1With(t, b, en.tls)
	}
}

func h1With(t *testing.T, b testserver.Behaviour, cfg *tls.Config) served {
	s, err := testserver.StartTLS(b, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return served{url: s.URL(), parsed: s.Requests.Load}
}

// h2 serves b on the raw HTTP/2 test server (over the engine's TLS).
func h2(b testserver.H2Behaviour) func(*testing.T, *env) served {
	return func(t *testing.T, en *env) served {
		if en.eng.Via == ViaUnix {
			return h2Unix(t, b, en.tls)
		}
		return h2With(t, b, en.tls)
	}
}

// startH2 starts the raw HTTP/2 server, over TLS with cfg unless nil.
func startH2(b testserver.H2Behaviour, cfg *tls.Config) (*testserver.H2Server, error) {
	if cfg != nil {
		return testserver.StartH2TLS(b, cfg)
	}
	return testserver.StartH2(b)
}

func h2With(t *testing.T, b testserver.H2Behaviour, cfg *tls.Config) served {
	s, err := startH2(b, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return served{url: s.URL(), parsed: s.Streams.Load}
}

// either serves a well-behaved server of the engine's protocol over cfg
// (nil: cleartext).
func either(t *testing.T, en *env, cfg *tls.Config) served {
	if en.eng.Proto == HTTP2 {
		return h2With(t, testserver.H2Behaviour{}, cfg)
	}
	return h1With(t, testserver.Behaviour{}, cfg)
}

// uncounted is srv for a server that cannot count what it parses (it
// never reads).
func uncounted(srv func(*testing.T, *env) served) func(*testing.T, *env) served {
	return func(t *testing.T, en *env) served {
		s := srv(t, en)
		s.parsed = nil
		return s
	}
}
