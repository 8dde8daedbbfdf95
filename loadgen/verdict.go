package loadgen

import "time"

// RateFinding is the verdict on a constant-rate run that missed its
// schedule (or whose server fell behind it), with its figures; false when
// the run held its schedule or was not a constant-rate run.
//
// gowrk is blamed only on its own evidence: its threads' CPU saturated
// while short of the schedule, or its timer late against TimerLagLimit,
// the server's service time and the schedule's period. Lateness on a
// machine whose CPUs were all busy is the machine's (RateMachineBusy).
// Otherwise a shortfall is the server's, or its connections'.
func (r *Result) RateFinding() (Finding, bool) {
	target := r.Config.Rate
	if target <= 0 || r.Duration <= 0 {
		return Finding{}, false
	}
	c := &r.Counts
	due := r.Due()
	sent := c.SentOnce()
	f := Finding{Target: target, Sent: perSec(sent, r.Duration), Answered: r.RequestsPerSec(), Of: due,
		InFlight: c.InFlight, Service: time.Duration(r.Service.Mean()) * time.Microsecond,
		ServiceMin: time.Duration(r.Service.Min()) * time.Microsecond,
		TimerP99:   time.Duration(r.TimerLag.ValueAtQuantile(99)) * time.Microsecond,
		SendLagMax: time.Duration(r.SendLag.Max()) * time.Microsecond, CPUBusy: r.CPUBusy(), MachineBusy: r.MachineBusy}
	if sent < due {
		f.Count = due - sent
	}
	behind := due > 0 && float64(sent) < RateShortfall*float64(due)
	switch {
	case c.Errors() > 0 && c.Completed == 0:
		f.Kind, f.Count, f.Of = RateNoCompletion, c.Errors(), 0
	case behind && r.cpuSaturated():
		f.Kind = RateGeneratorCPU
	case r.generatorLate(f.TimerP99, f.Service) && f.MachineBusy > MachineBusyShare:
		// gowrk's timer ran late (its evidence of its own delay) while the
		// machine's CPUs were all busy. A shortfall with a punctual timer
		// is the server's, busy machine or not: its connections were
		// waiting for answers, which a server's sleep or queue explains.
		f.Kind = RateMachineBusy
	case r.generatorLate(f.TimerP99, f.Service):
		f.Kind = RateGeneratorLate
	case !behind:
		if !r.queueGrew(f.Service) {
			return Finding{}, false
		}
		f.Kind = RateQueueGrew
	default:
		// The connections are too few only if they could not carry the
		// rate even at the server's fastest service time: the mean of a
		// saturated server includes its queue, and more connections
		// would only lengthen that queue.
		f.Kind = RateServerShortfall
		f.Need, f.Have = int(target*f.Service.Seconds()*1.5)+1, r.Config.slots()
		if need := int(target*f.ServiceMin.Seconds()*1.5) + 1; need > f.Have {
			// (and the connections to ask for are those the fastest
			// service time needs: the mean's would only queue more)
			f.Kind, f.Need = RateTooFewConnections, need
		}
	}
	return f, true
}

// GeneratorLimited reports whether the run's rate verdict puts its
// shortfall on gowrk's side (its CPU, its timer or its machine): then the
// run measured gowrk, not the server.
func (r *Result) GeneratorLimited() bool {
	f, ok := r.RateFinding()
	return ok && f.Kind.Generator()
}

// generatorLate reports whether gowrk's p99 timer lateness is large
// enough to be the run's story: above TimerLagLimit, above the server's
// mean service time (else the server's own time dominates every latency),
// and above the schedule's period 1/rate (else no request went out later
// than the next one was due).
func (r *Result) generatorLate(timerP99, meanSvc time.Duration) bool {
	period := time.Duration(float64(time.Second) / r.Config.Rate)
	return timerP99 > TimerLagLimit && timerP99 > meanSvc && timerP99 > period
}

// queueGrew reports whether the server answered clearly fewer requests
// than were sent, over the run less its final service time (whose requests
// are in flight at the stop whatever the server does).
func (r *Result) queueGrew(meanSvc time.Duration) bool {
	c := &r.Counts
	if c.InFlight == 0 || c.Sent == 0 {
		return false
	}
	window := r.Duration - min(meanSvc, r.Duration/2)
	answered := perSec(c.Completed+c.Failed(), window)
	return answered < QueueShortfall*perSec(c.Sent, r.Duration)
}

// troubleFinding is the finding for a run where dials, timeouts or errors
// were a large share of the requests (TroubleShare), or every response
// was a 4xx or 5xx.
func (r *Result) troubleFinding() (Finding, bool) {
	c := &r.Counts
	ended := c.Completed + c.Failed()
	switch {
	case c.Ports > 0:
		return Finding{Kind: PortsExhausted, Count: c.Ports}, true
	case c.ConnectTimeout > 0 && float64(c.ConnectTimeout) >= TroubleShare*float64(c.Connect):
		return Finding{Kind: ConnectTimeouts, Count: c.ConnectTimeout, Of: c.Connect}, true
	case ended == 0 && c.Connect > 0 && r.Aborted == "":
		return Finding{Kind: ConnectsFailed, Count: c.Connect, Message: r.firstMessage("connect")}, true
	case ended == 0 && c.LateInFlight > 0:
		return Finding{Kind: NoResponse, Count: c.InFlight, LateInFlight: c.LateInFlight}, true
	case ended == 0:
		return Finding{}, false
	}
	if to := c.TimedOut(); to > 0 && float64(to) >= TroubleShare*float64(c.Sent) {
		f := Finding{Kind: TimeoutsLate, Count: to, Of: c.Sent, Late: c.Late, LateInFlight: c.LateInFlight,
			InFlight: c.InFlight, Answered: r.RequestsPerSec(), Have: r.Config.slots()}
		if r.Config.TimeoutAction == TimeoutAbort {
			f.Kind = TimeoutsAbandoned
		}
		return f, true
	}
	if bad := c.Failed() - c.Timeout; float64(bad) >= TroubleShare*float64(ended) {
		return Finding{Kind: TransportErrors, Count: bad, Of: ended, Message: r.firstMessage("")}, true
	}
	if c.Status > 0 && c.Status == c.Completed {
		return Finding{Kind: AllStatusErrors, Count: c.Completed}, true
	}
	return Finding{}, false
}

// firstMessage is the first recorded error text of class ("" any class).
func (r *Result) firstMessage(class string) string {
	for _, m := range r.ErrorMessages {
		if class == "" || m.Class == class {
			return m.Message
		}
	}
	return ""
}
