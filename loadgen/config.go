package loadgen

import (
	"fmt"
	"strings"
	"time"
)

// Config describes one load run. It is a plain value: fill it, call Validate,
// hand it to Run. Run does not modify it.
type Config struct {
	// Threads is the number of thread groups (wrk's -t). Each group owns one
	// Recorder; connections are spread evenly over the groups, the remainder
	// going to the first groups.
	Threads int
	// Connections is the number of connections held open (wrk's -c).
	Connections int
	// Streams is the number of requests each connection carries at once
	// (HTTP/2 streams; h2load's -m). 0 or 1 for HTTP/1.1. Each stream slot
	// has its own worker, its share of -n and of the rate.
	Streams int
	// Warmup, when > 0, sends load for that long before Duration starts:
	// requests due in it are counted apart (Result.Warmup) and left out of
	// every main figure; the schedule runs on through it without a burst.
	Warmup time.Duration
	// Interval, when > 0, splits the run into intervals of this length
	// (Result.Intervals); Observe, when not nil, receives each as it ends,
	// on a goroutine of its own (never an engine's).
	Interval time.Duration
	Observe  func(Interval)
	// Log, when not nil, takes a record of every request (RequestLog);
	// LogSample, when in (0, 1), keeps that fraction of them, chosen by
	// the request's number (LogKeeps). 0 keeps every request.
	Log       RequestLog
	LogSample float64
	// Engine names what ran the connections, for the reports: "loop" (an
	// epoll loop per thread: HTTP/1.1, h2c), "goroutine" (a goroutine per
	// connection), "h3", or several origins' joined by "+"; the caller
	// sets it.
	Engine string
	// Pipeline is how many requests an HTTP/1.1 connection keeps in flight
	// (wrk's pipelining); 0 or 1 for none. Engines that cannot pipeline
	// refuse a value above 1.
	Pipeline int
	// Duration bounds the run; 0 means no time limit (then Requests must be set).
	Duration time.Duration
	// Requests, when > 0, stops the run after that many requests have ended
	// (a response or an error) over all connections. Each connection gets an
	// equal share, the remainder to the first connections.
	Requests uint64
	// Rate, when > 0, is the total requests per second over all connections
	// (wrk2's -R). 0 means closed loop: each connection sends its next request
	// as soon as the previous response has been read (wrk).
	Rate float64
	// Shape, when set, is a rate that changes with time (steps, a ramp);
	// Rate is then its mean over Duration, for the verdicts.
	Shape Shape
	// Timeout is how long a request may take, from the moment it is sent,
	// before it counts as timed out; TimeoutAction says what happens then.
	Timeout time.Duration
	// TimeoutAction is what a timed-out request does: wait for its response
	// (the default, as wrk) or abort its connection.
	TimeoutAction TimeoutAction
	// ConnectTimeout bounds each dial and TLS handshake (engines take it
	// when they are built); reports use it to explain connect timeouts.
	ConnectTimeout time.Duration
	// Target is the request every connection sends.
	Target Target
	// Shard, when Count > 1, makes this run one shard of a run split over
	// Count processes: Connections, Requests and Rate are then this
	// shard's share, and its slots take their places in the single-host
	// schedule (request k of shard i is due at (k*Count + i) / rate).
	Shard ShardSpec
	// StartAt, when set, is the start barrier: the load begins at that
	// instant (Run waits for it); a run that gets there late starts its
	// schedule on time, its late requests counting from their due times.
	StartAt time.Time
	// Hooks, when not nil, holds the script's per-request functions (wrk's
	// request(), delay(), response()): one per thread or one per
	// connection, as the engine takes them (HookRunner).
	Hooks []Hooks
	// Targets, when not nil, are the requests of a run with many targets:
	// each request's target is picked from its number in the plan, and
	// Target is the first one's. On many origins (Targets.SetOrigins) the
	// engine must be an Origins. Run sends them through Hooks, which must
	// then be nil.
	Targets *Targets `json:"-"`
	// Origins is how many origins the targets are on, when more than one:
	// Run sets it from Targets, and reports keep it (each origin has its
	// own Connections); 0 or 1: one.
	Origins int
}

// TargetBetween is the mean target rate between two offsets of the
// measured run (requests per second; 0 in closed loop).
func (c *Config) TargetBetween(from, to time.Duration) float64 {
	if to <= from {
		return 0
	}
	if c.Shape == nil {
		return c.Rate
	}
	w := c.Warmup.Seconds()
	return (c.Shape.N(w+to.Seconds()) - c.Shape.N(w+from.Seconds())) / (to - from).Seconds()
}

// TimeoutAction says what happens to a request that passes Config.Timeout.
type TimeoutAction uint8

const (
	// TimeoutWait counts the request as timed out and keeps waiting for its
	// response, so that --timeout never changes the load the server sees;
	// an answer counts as completed (late) at its true latency. A request
	// still waiting when the run ends is in flight at the stop. Without a
	// run end (-n alone) it waits at most WaitLimitFactor x Timeout.
	TimeoutWait TimeoutAction = iota
	// TimeoutAbort abandons the request at its timeout: its connection is
	// closed and the next request goes out on a new one. Against a server
	// that cannot cancel work it has queued (a thread pool), the abandoned
	// requests still take its workers, and the run measures its own retries.
	TimeoutAbort
)

func (a TimeoutAction) String() string {
	if a == TimeoutAbort {
		return "abort"
	}
	return "wait"
}

// A ConfigError is a Config that cannot run. Its text names the fields at
// fault as {Field} (Config's field names: {Threads}); Error writes them
// bare, and a command line writes its own flag names instead (Text and
// Names), so that loadgen names no flag.
type ConfigError struct{ text string }

func (e *ConfigError) Error() string { return e.Names(func(f string) string { return f }) }

// Names is the error's text with each {Field} written as name(Field).
func (e *ConfigError) Names(name func(field string) string) string {
	var b strings.Builder
	rest := e.text
	for {
		i := strings.IndexByte(rest, '{')
		j := strings.IndexByte(rest[max(i, 0):], '}') + max(i, 0)
		if i < 0 || j <= i {
			b.WriteString(rest)
			return b.String()
		}
		b.WriteString(rest[:i])
		b.WriteString(name(rest[i+1 : j]))
		rest = rest[j+1:]
	}
}

func invalid(format string, a ...any) error { return ConfigErrorf(format, a...) }

// ConfigErrorf is a *ConfigError for an engine's or a merge's refusal of
// its options, its fields written {Field} (an option's name: {Hooks},
// {AllowMixed}, {Engine}).
func ConfigErrorf(format string, a ...any) *ConfigError {
	return &ConfigError{text: fmt.Sprintf(format, a...)}
}

// Validate checks cfg and returns a *ConfigError naming the field at fault.
func (c *Config) Validate() error {
	checks := []func() error{
		func() error { return positive("Threads", c.Threads) },
		func() error {
			if !(c.LogSample >= 0 && c.LogSample <= 1) {
				return invalid("{LogSample} %g: must be a fraction from 0 to 1", c.LogSample)
			}
			return nil
		},
		func() error { return positive("Connections", c.Connections) },
		func() error {
			if c.Streams < 0 {
				return invalid("{Streams} %d: must be a positive whole number", c.Streams)
			}
			return nil
		},
		func() error {
			if c.Connections < c.Threads {
				return invalid("{Connections} %d is less than {Threads} %d: every thread needs at least one connection", c.Connections, c.Threads)
			}
			return nil
		},
		func() error {
			if c.Duration < 0 {
				return invalid("{Duration} %s: must be positive", c.Duration)
			}
			if c.Duration == 0 && c.Requests == 0 {
				return invalid("{Duration} or {Requests}: one of them must bound the run")
			}
			return nil
		},
		func() error {
			if c.Warmup < 0 || (c.Warmup > 0 && (c.Duration == 0 || c.Requests > 0)) {
				return invalid("{Warmup} goes with {Duration} and without {Requests}: it is load before the measured duration")
			}
			if c.Warmup > 0 && c.Shape != nil {
				return invalid("{Warmup} goes with a constant {Rate}: a rate shape's first step is its own warm-up")
			}
			return nil
		},
		func() error {
			if c.Timeout <= 0 {
				return invalid("{Timeout} %s: must be positive", c.Timeout)
			}
			return nil
		},
		func() error {
			if c.Hooks != nil && len(c.Hooks) != c.Threads && len(c.Hooks) != c.Connections && len(c.Hooks) != c.slots() {
				return invalid("{Hooks}: %d script threads for %d threads of %d connections of %d streams", len(c.Hooks), c.Threads, c.Connections, c.streams())
			}
			if c.Targets != nil && (c.Hooks != nil || c.Pipeline > 1) {
				return invalid("{Targets} go without {Hooks} and {Pipeline} > 1: each connection sends one target's request at a time")
			}
			return nil
		},
		func() error {
			if c.Shard.Count < 0 || c.Shard.Index < 0 || (c.Shard.Count > 0 && c.Shard.Index >= c.Shard.Count) {
				return invalid("{Shard} %d/%d: want I/N with 0 <= I < N", c.Shard.Index, c.Shard.Count)
			}
			if c.Shard.Count > 1 && c.Shape != nil {
				return invalid("{Shard} goes with closed loop or a constant {Rate}, not a rate shape")
			}
			return nil
		},
		func() error {
			if c.Rate < 0 || c.Rate != c.Rate {
				return invalid("{Rate} %v: must be a positive number of requests per second", c.Rate)
			}
			return nil
		},
	}
	for _, check := range checks {
		if err := check(); err != nil {
			return err
		}
	}
	return nil
}

// ShardSpec is a shard's place: Index from 0, of Count.
type ShardSpec struct{ Index, Count int }

func positive(field string, n int) error {
	if n <= 0 {
		return invalid("{%s} %d: must be a positive whole number", field, n)
	}
	return nil
}

// split returns how many of total items group i of n gets: an even share,
// the remainder going to the first groups. Nothing is dropped.
func split(total uint64, n, i int) uint64 {
	share := total / uint64(n)
	if uint64(i) < total%uint64(n) {
		share++
	}
	return share
}

// slots is the number of concurrent requests: connections x streams.
func (c *Config) slots() int {
	if c.Streams > 1 {
		return c.Connections * c.Streams
	}
	return c.Connections
}

// streams is the number of stream slots per connection (at least 1).
func (c *Config) streams() int {
	return max(c.Streams, 1)
}
