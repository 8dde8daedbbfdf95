// Package loadgen is gowrk's core: it runs connections against a target on a
// schedule, records what happens into per-thread recorders, and merges them into
// one Result. It knows no wire protocol (engines such as loadgen/h1 implement
// ThreadEngine or ConnEngine), holds no prose (package report words a Result
// and its Findings), and every rule an engine follows is in seam.go, once.
//
// Units: durations are time.Duration; every histogram holds microseconds.
//
// Concurrency model: Config.Threads threads, each with its own Recorder, each
// run by its engine's RunThread (one event loop, or one goroutine per
// connection). A Slot is used by one goroutine; it keeps its samples in a
// small batch of its own and flushes it into its thread's Recorder every
// batchSize samples or every flushEvery, so the per-request path touches no
// lock and no atomic shared across threads.
package loadgen
