// Package loadgen is gowrk's core: it runs connections against a target on a
// schedule, records what happens into per-thread recorders, and merges them into
// one Result. It knows no wire protocol (engines such as loadgen/h1 implement
// Engine) and prints nothing (package report renders a Result).
//
// Units: durations are time.Duration; every histogram holds microseconds.
//
// Concurrency model: Config.Threads thread groups, each with its own Recorder.
// Every connection is driven by one goroutine (a worker) that keeps its samples
// in a small batch of its own and flushes it into its group's Recorder every
// batchSize samples or every flushEvery, so the per-request path touches no
// lock and no atomic shared across threads.
package loadgen
