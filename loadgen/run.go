package loadgen

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// Run executes the load described by cfg with eng and returns what it
// measured. It returns early with an error only when cfg is invalid or the
// first dial fails with a *FatalError; a target that refuses every connection
// still yields a Result (with connect errors counted).
//
// Cancelling ctx stops the run: requests in progress are counted as in
// flight and the Result is marked Interrupted. Run returns within
// cfg.Duration + cfg.Timeout (plus scheduling slack) whatever the server does.
func Run(ctx context.Context, cfg Config, eng Engine) (*Result, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	te, threaded := eng.(ThreadEngine)
	if !threaded {
		ce, ok := eng.(ConnEngine)
		if !ok {
			return nil, fmt.Errorf("engine %T is neither a ConnEngine nor a ThreadEngine", eng)
		}
		te = &connThreads{eng: ce} // one way to run a thread
	}
	if _, many := eng.(*Origins); cfg.Targets != nil && cfg.Targets.Origins() > 1 && !many {
		return nil, ConfigErrorf("{Targets}: on %d origins; want an engine per origin (NewOrigins)", cfg.Targets.Origins())
	}
	if cfg.Targets != nil && cfg.Targets.Origins() > 1 {
		cfg.Origins = cfg.Targets.Origins()
	}
	fd, dialsFirst := te.(FirstDialer)
	if err := targetHooks(&cfg, eng); err != nil {
		return nil, err
	}
	if cfg.Hooks != nil {
		hr, ok := eng.(HookRunner)
		if !ok {
			return nil, ConfigErrorf("{Hooks}: this engine cannot run request(), response() or delay()")
		}
		if want := hookCount(&cfg, hr); len(cfg.Hooks) != want {
			return nil, ConfigErrorf("{Hooks}: this engine takes %d script threads, not %d", want, len(cfg.Hooks))
		}
	}
	var first any
	var err error
	// Without a start barrier the run begins with its first dial: the time
	// it takes (a full listen backlog) is part of the run, not added to it.
	began, cpu0, mach0 := time.Now(), processCPU(), readMachine()
	if dialsFirst {
		// The run's first dial, bounded by the run's length like every
		// other; a *FatalError (an untrusted certificate) ends the run here.
		dctx := ctx
		if cfg.Duration > 0 {
			var c context.CancelFunc
			dctx, c = context.WithTimeout(ctx, cfg.Warmup+cfg.Duration)
			defer c()
		}
		first, err = fd.DialFirst(dctx)
		var fatal *FatalError
		if errors.As(err, &fatal) {
			return nil, fatal
		}
	}

	start, late, werr := startAt(ctx, cfg.StartAt) // (err still holds the first dial's outcome)
	if werr != nil {
		return nil, werr
	}
	if cfg.StartAt.IsZero() {
		start = began
	}
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	var end time.Time
	if cfg.Duration > 0 {
		end = start.Add(cfg.Warmup + cfg.Duration)
		var c2 context.CancelFunc
		runCtx, c2 = context.WithDeadline(runCtx, end)
		defer c2()
	}

	state := &runState{cancel: cancel, host: cfg.Target.Route.Describe(cfg.Target.URL)}
	threads := buildThreads(&cfg, start, end, state)
	// A request's own bytes are known where its connection carries it
	// alone: HTTP/1.1 unpipelined, one stream a connection, and every
	// ConnEngine (its Do reports each request's).
	perRequest := cfg.Pipeline <= 1 && (!threaded || cfg.Streams <= 1)
	for _, th := range threads {
		for _, s := range th.Slots {
			s.reqBytes = perRequest
		}
	}
	openLog(&cfg, start, threads)
	recs := make([]*Recorder, len(threads))
	for i, th := range threads {
		recs[i] = th.rec
	}
	if dialsFirst {
		if err == nil {
			// (the engine marks its slots dialled: Slot.Dialed)
			threads[0].First = first
		} else if ctx.Err() == nil && (end.IsZero() || time.Now().Before(end)) {
			// The run's first dial is an attempt like any other. (One cut
			// off by the run's end, or by an interrupt, is thread 0's to
			// count, as pending: its own dial finds the run over.)
			threads[0].Slots[0].countDialError(err)
		}
	}

	var wg sync.WaitGroup
	for _, th := range threads {
		wg.Add(1)
		go func() { defer wg.Done(); te.RunThread(runCtx, th) }()
	}
	allDone := make(chan struct{})
	go func() { wg.Wait(); close(allDone) }()
	stopSampling := sampleRates(recs, allDone)
	stopIntervals := func() []Interval { return nil }
	if cfg.Interval > 0 {
		stopIntervals = sampleIntervals(recs, start.Add(cfg.Warmup), cfg.Interval, cfg.Observe)
	}

	<-allDone // (each engine stops its thread when runCtx is done)
	aborted, fatal := state.aborted()
	interrupted := aborted == "" && ctx.Err() != nil && (end.IsZero() || time.Now().Before(end))
	if cfg.Requests == 0 && !interrupted && aborted == "" && !end.IsZero() {
		// Under a rate schedule the last request may end before the
		// deadline; the run still spans its whole duration (wrk2).
		if wait := time.Until(end); wait > 0 {
			time.Sleep(wait)
		}
	}
	stopSampling()
	intervals := stopIntervals()
	done := time.Now()
	res := merge(recs)
	res.Intervals = intervals
	res.Steps = mergeSteps(recs)
	for i := range res.Intervals {
		iv := &res.Intervals[i]
		iv.Start, iv.Duration, iv.Time = iv.Start.Truncate(time.Microsecond), iv.Duration.Truncate(time.Microsecond), iv.Time.Truncate(time.Microsecond)
	}
	for i := range res.Steps {
		st := &res.Steps[i]
		st.Start, st.Duration = st.Start.Truncate(time.Microsecond), st.Duration.Truncate(time.Microsecond)
	}
	res.Config = cfg
	// A run stopped during its warm-up (every dial refused) measured
	// nothing: its window is empty, never negative.
	measured := start.Add(cfg.Warmup)
	if done.Before(measured) {
		measured = done
	}
	res.Start, res.End = measured, done
	res.Duration = done.Sub(measured)
	if cfg.Warmup > 0 {
		warm := make([]*Recorder, len(threads))
		for i, th := range threads {
			warm[i] = th.warmRec
		}
		res.Warmup = merge(warm)
		res.Warmup.Config = cfg
		res.Warmup.Start, res.Warmup.End, res.Warmup.Duration = start, measured, measured.Sub(start)
	}
	res.Interrupted = interrupted
	res.Aborted, res.Fatal = aborted, fatal
	if cfg.Shard.Count > 0 {
		res.Shard = &ShardInfo{Index: cfg.Shard.Index, Count: cfg.Shard.Count, StartAt: cfg.StartAt, Late: late.Truncate(time.Microsecond)}
	}
	res.CPU = (processCPU() - cpu0).Truncate(time.Microsecond)
	res.MachineBusy = readMachine().busyWith(mach0, res.CPU, done.Sub(began))
	res.BodyBytes = len(cfg.Target.Body)
	// Reports keep microseconds: a result holds no finer time, so that
	// what a report says is all there is (report.Decode is lossless).
	res.Duration = res.Duration.Truncate(time.Microsecond)
	res.Start, res.End = res.Start.Truncate(time.Microsecond), res.Start.Truncate(time.Microsecond).Add(res.Duration)
	res.Conn = te.Info()
	lookupPhase(res, eng)
	res.RunID = newRunID()
	return res, nil
}

// buildThreads splits cfg's connections over its threads (the remainder to
// the first threads) and gives each slot its schedule and share of -n.
func buildThreads(cfg *Config, start, end time.Time, state *runState) []*Thread {
	threads := make([]*Thread, cfg.Threads)
	slots, streams := cfg.slots(), cfg.streams()
	idempotent := isIdempotent(cfg.Target.Method) && (cfg.Targets == nil || cfg.Targets.idempotent)
	slot, conn, origins := 0, 0, 1
	if cfg.Targets != nil {
		origins = cfg.Targets.Origins()
	}
	for t := range threads {
		th := &Thread{Index: t, Streams: streams, Pipeline: max(cfg.Pipeline, 1), Start: start, End: end,
			Timeout: cfg.Timeout, TimeoutAction: cfg.TimeoutAction, Idempotent: idempotent, WarmEnd: cfg.Warmup,
			rec: newRecorder(start.Add(cfg.Warmup)), warmRec: newRecorder(start), run: state, end: -1}
		if !end.IsZero() {
			th.end = end.Sub(start)
		}
		conns := int(split(uint64(cfg.Connections), cfg.Threads, t))
		switch {
		case cfg.Hooks == nil:
		case len(cfg.Hooks) == cfg.Threads:
			th.Hooks = cfg.Hooks[t]
		case streams > 1 && len(cfg.Hooks) == slots: // one per stream slot (HooksPerSlot)
			th.ConnHooks = cfg.Hooks[slot : slot+conns*streams]
		default:
			th.ConnHooks = cfg.Hooks[conn : conn+conns]
		}
		conn += conns
		if cfg.Targets != nil {
			th.rec.targets = newTargetFigures(cfg.Targets.Names) // (the warm-up is not broken down)
		}
		if cfg.Shape != nil {
			th.rec.stepLen = time.Duration(cfg.Shape.StepLength() * float64(time.Second))
		}
		perThread := split(uint64(cfg.Connections), cfg.Threads, t) * uint64(streams)
		size := int(min(batchSize, max(minBatch, batchSamples/max(perThread, 1))))
		th.Slots = make([]*Slot, 0, int(perThread)*origins)
		for o := range origins { // (the twins of each slot, origin by origin: origins.go)
			for k := range perThread {
				s := newPlanSlot(cfg, th, slot+int(k), size, o, origins)
				s.index = uint32(len(th.Slots))
				th.Slots = append(th.Slots, s)
				if !s.none {
					state.workers++
				}
			}
		}
		slot += int(perThread)
		threads[t] = th
	}
	return threads
}

// newPlanSlot is the plan's slot number slot of th, with its schedule and
// share of -n; of many origins, origin's twin of it.
func newPlanSlot(cfg *Config, th *Thread, slot, size, origin, origins int) *Slot {
	slots := cfg.slots()
	var quota uint64
	if cfg.Requests > 0 {
		quota = split(cfg.Requests, slots, slot)
	}
	s := newSlot(th, schedulerFor(cfg, slot, slots), quota, size)
	s.seqStride, s.seqBase = seqOf(cfg, slot, slots)
	s.none = cfg.Requests > 0 && quota == 0
	if origins > 1 {
		s.origin, s.targets = uint16(origin+1), cfg.Targets
		s.none = s.none || !s.anyMine()
	}
	return s
}

// startAt waits for the start barrier at (none: now) and returns the run's
// start and how late after the barrier the load begins. A run cancelled
// while it waits returns ctx's error.
func startAt(ctx context.Context, at time.Time) (time.Time, time.Duration, error) {
	if at.IsZero() {
		return time.Now(), 0, nil
	}
	if wait := time.Until(at); wait > 0 {
		t := time.NewTimer(wait)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
			return time.Time{}, 0, ctx.Err()
		}
	}
	now := time.Now()
	late := max(now.Sub(at), 0)
	return now.Add(-late), late, nil // (now's monotonic clock, set back to the barrier)
}

// hookCount is how many Hooks an engine takes: one per thread, one per
// connection, or one per stream slot (an engine whose every stream slot
// has a goroutine of its own, HooksPerSlot).
func hookCount(cfg *Config, hr HookRunner) int {
	if ps, ok := hr.(SlotHookRunner); ok && ps.HooksPerSlot() {
		return cfg.slots()
	}
	if hr.HooksPerConn() {
		return cfg.Connections
	}
	return cfg.Threads
}

// sampleRates samples every recorder's requests per second every
// rateSampleEvery until stop is called or done is closed.
func sampleRates(recs []*Recorder, done <-chan struct{}) (stop func()) {
	quit := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		tick := time.NewTicker(rateSampleEvery)
		defer tick.Stop()
		for {
			select {
			case now := <-tick.C:
				for _, r := range recs {
					r.sampleRate(now)
				}
			case <-done:
				return
			case <-quit:
				return
			}
		}
	}()
	return func() { close(quit); <-finished }
}

// merge combines the recorders into one Result (wrk2's hdr_add), with
// Result.Add: the same merge as gowrk merge's.
func merge(recs []*Recorder) *Result {
	res := newFigures()
	for _, r := range recs {
		r.mu.Lock()
		res.Add(r.figures())
		r.mu.Unlock()
	}
	res.CPU = 0 // (the process's CPU time is measured once, by Run)
	return res
}

// isIdempotent reports whether a request with method may be sent again
// when the connection it went out on turns out to have been closed (RFC
// 9110, 9.2.2).
func isIdempotent(method string) bool {
	switch method {
	case "GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE":
		return true
	}
	return false
}
