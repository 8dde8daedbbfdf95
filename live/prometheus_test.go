package live

import (
	"bufio"
	"math"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gowrk/gowrk/loadgen"
)

// TestPrometheusCensored: /metrics gives the latency of completed requests
// and, beside it, the censored requests' lower bounds (never completed by
// the stop) as gowrk_censored_latency_seconds: counts and sums equal to
// the intervals fed in, in seconds.
func TestPrometheusCensored(t *testing.T) {
	p, err := StartPrometheus("127.0.0.1:0", &loadgen.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Finish(0)
	iv := loadgen.Interval{Duration: time.Second, Latency: loadgen.NewHistogram(), Service: loadgen.NewHistogram(),
		SendLag: loadgen.NewHistogram(), Censored: loadgen.NewHistogram()}
	for _, us := range []int64{1000, 2000, 3000} {
		iv.Latency.RecordValue(us)
	}
	iv.Censored.RecordValue(1_500_000)
	iv.Censored.RecordValue(2_500_000)
	iv.Counts.Completed = 3
	p.Update(iv)
	got := scrape(t, p)
	near := func(a, b float64) bool { return a > b*0.999 && a < b*1.001 }
	if got["gowrk_censored_latency_seconds_count"] != 2 || !near(got["gowrk_censored_latency_seconds_sum"], 4.0) ||
		got["gowrk_latency_seconds_count"] != 3 || !near(got["gowrk_latency_seconds_sum"], 0.006) {
		t.Errorf("censored count %v sum %v; completed count %v sum %v; want 2, 4 s; 3, 0.006 s",
			got["gowrk_censored_latency_seconds_count"], got["gowrk_censored_latency_seconds_sum"],
			got["gowrk_latency_seconds_count"], got["gowrk_latency_seconds_sum"])
	}
	if got[`gowrk_censored_latency_seconds_bucket{le="5"}`] != 2 || got[`gowrk_censored_latency_seconds_bucket{le="1"}`] != 0 {
		t.Errorf("censored buckets: le=1 %v, le=5 %v; want 0, 2", got[`gowrk_censored_latency_seconds_bucket{le="1"}`], got[`gowrk_censored_latency_seconds_bucket{le="5"}`])
	}
}

// TestPrometheusQUIC: an HTTP/3 run's QUIC figures, given at the stop,
// are on /metrics in seconds and bytes; without them no gowrk_quic_
// metric is served.
func TestPrometheusQUIC(t *testing.T) {
	p, err := StartPrometheus("127.0.0.1:0", &loadgen.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Finish(0)
	before := scrape(t, p)
	if len(before) == 0 {
		t.Fatal("before SetEnd: no metrics served")
	}
	for name := range before {
		if strings.HasPrefix(name, "gowrk_quic_") || strings.HasPrefix(name, "gowrk_udp_") {
			t.Errorf("%s served without QUIC", name)
		}
	}
	p.SetEnd(&loadgen.Result{Conn: loadgen.ConnInfo{QUIC: &loadgen.QUICInfo{Handshakes: 4, HandshakeMeanUs: 1500, HandshakeMaxUs: 3000, SmoothedRTTUs: 250, MaxRTTUs: 400,
		PacketsSent: 1000, PacketsLost: 3, BytesLost: 3600, UDPRecvBuffer: 425984, UDPSendBuffer: 425984, UDPBufferWanted: 7 << 20}}})
	got := scrape(t, p)
	for name, want := range map[string]float64{
		"gowrk_quic_handshakes_total": 4, `gowrk_quic_handshake_seconds{stat="mean"}`: 0.0015, `gowrk_quic_handshake_seconds{stat="max"}`: 0.003,
		`gowrk_quic_rtt_seconds{stat="smoothed_mean"}`: 0.00025, `gowrk_quic_rtt_seconds{stat="max"}`: 0.0004,
		`gowrk_quic_packets_total{outcome="sent"}`: 1000, `gowrk_quic_packets_total{outcome="lost"}`: 3, "gowrk_quic_lost_bytes_total": 3600,
		`gowrk_udp_buffer_bytes{direction="recv"}`: 425984, `gowrk_udp_buffer_bytes{direction="wanted"}`: 7 << 20,
	} {
		if v, ok := got[name]; !ok || v != want {
			t.Errorf("%s = %v (served: %v), want %v", name, v, ok, want)
		}
	}
}

// scrape reads p's /metrics into a map of sample name (with labels) to value.
func scrape(t *testing.T, p *Prometheus) map[string]float64 {
	t.Helper()
	resp, err := http.Get("http://" + p.Addr() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	got := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if f := strings.Fields(sc.Text()); len(f) == 2 && !strings.HasPrefix(f[0], "#") {
			got[f[0]], _ = strconv.ParseFloat(f[1], 64)
		}
	}
	return got
}

// TestPrometheusTargets: each target's requests are labelled by its name,
// summed over the intervals, and from the stop its latency is a histogram
// labelled the same way.
func TestPrometheusTargets(t *testing.T) {
	ts, err := loadgen.NewTargets([]string{"home", "search"}, [][]byte{[]byte("GET / HTTP/1.1\r\n\r\n"), []byte("GET /s HTTP/1.1\r\n\r\n")}, []uint32{1, 1}, loadgen.OrderRoundRobin, 0)
	if err != nil {
		t.Fatal(err)
	}
	p, err := StartPrometheus("127.0.0.1:0", &loadgen.Config{Targets: ts})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Finish(0)
	for _, tc := range [][]loadgen.TargetCounts{{{Completed: 3, Failed: 1}, {Completed: 2}}, {{Completed: 2}, {Completed: 4, Failed: 2}}} {
		p.Update(loadgen.Interval{Duration: time.Second, Latency: loadgen.NewHistogram(), Service: loadgen.NewHistogram(),
			SendLag: loadgen.NewHistogram(), Targets: tc})
	}
	// At the stop, each target's latency: home's 5 completed requests, 1
	// to 5 ms; search's histogram holds none, so it is not served.
	home := loadgen.NewTargetHistogram()
	for ms := int64(1); ms <= 5; ms++ {
		home.RecordValue(ms * 1000)
	}
	p.SetEnd(&loadgen.Result{Targets: []loadgen.TargetFigures{{Name: "home", Completed: 5, Latency: home}, {Name: "search", Completed: 6}}})
	got := scrape(t, p)
	for k, want := range map[string]float64{
		`gowrk_target_latency_seconds_count{target="home"}`:                5,
		`gowrk_target_latency_seconds_bucket{target="home",le="0.0025"}`:   2,
		`gowrk_target_requests_total{outcome="completed",target="home"}`:   5,
		`gowrk_target_requests_total{outcome="failed",target="home"}`:      1,
		`gowrk_target_requests_total{outcome="completed",target="search"}`: 6,
		`gowrk_target_requests_total{outcome="failed",target="search"}`:    2,
	} {
		if got[k] != want {
			t.Errorf("%s = %v, want %v", k, got[k], want)
		}
	}
	if sum := got[`gowrk_target_latency_seconds_sum{target="home"}`]; math.Abs(sum-0.015) > 0.015/100 {
		t.Errorf("home's latency sum %v s, want 0.015 s (1+2+3+4+5 ms)", sum)
	}
	if _, ok := got[`gowrk_target_latency_seconds_count{target="search"}`]; ok {
		t.Error("a target that completed nothing has a latency histogram served")
	}
}

// TestPrometheusPhases: the phases of a request are served at the stop,
// one histogram per phase measured, labelled by phase, with the counts
// and sums of the run's histograms (seconds); a phase not measured is
// absent.
func TestPrometheusPhases(t *testing.T) {
	p, err := StartPrometheus("127.0.0.1:0", &loadgen.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Finish(0)
	var ph loadgen.Phases
	ph.Connect, ph.FirstByte = loadgen.NewHistogram(), loadgen.NewHistogram()
	for i := int64(1); i <= 4; i++ {
		ph.Connect.RecordValue(250) // 4 connections of 250 us
	}
	ph.FirstByte.RecordValue(20000) // one request, 20 ms to its first byte
	p.SetEnd(&loadgen.Result{Phases: ph})
	got := scrape(t, p)
	for name, want := range map[string]float64{
		`gowrk_phase_seconds_count{phase="connect"}`: 4, `gowrk_phase_seconds_sum{phase="connect"}`: 0.001,
		`gowrk_phase_seconds_count{phase="first_byte"}`: 1, `gowrk_phase_seconds_sum{phase="first_byte"}`: 0.02,
	} {
		if v, ok := got[name]; !ok || math.Abs(v-want) > want/100 {
			t.Errorf("%s = %v (served: %v), want %v", name, v, ok, want)
		}
	}
	if _, ok := got[`gowrk_phase_seconds_count{phase="tls"}`]; ok {
		t.Error("a phase that was not measured is served")
	}
}

// TestPrometheusLingerEndsOnFinalScrape: Finish keeps /metrics up until a
// scrape has collected the final figures (gowrk_run_finished 1), not for
// the whole linger: an hour's linger ends with that scrape.
func TestPrometheusLingerEndsOnFinalScrape(t *testing.T) {
	p, err := StartPrometheus("127.0.0.1:0", &loadgen.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if got := scrape(t, p); got["gowrk_run_finished"] != 0 {
		t.Fatalf("before Finish: gowrk_run_finished %v", got["gowrk_run_finished"])
	}
	ended := make(chan struct{})
	go func() { p.Finish(time.Hour); close(ended) }()
	// Finish sets done before it waits; a scrape that raced ahead of it
	// still shows 0 and does not end the linger.
	for scrape(t, p)["gowrk_run_finished"] != 1 {
		time.Sleep(10 * time.Millisecond)
	}
	select {
	case <-ended:
	case <-time.After(time.Minute): // a hang guard, not a measurement
		t.Fatal("Finish still lingering a minute after the final figures were scraped")
	}
}

// TestPrometheusSliver: the stop's sliver of an interval adds its requests
// to the counters but leaves the rate and in-flight gauges at the last
// whole interval's (no false drop to 0 at the end of a dashboard).
func TestPrometheusSliver(t *testing.T) {
	p, err := StartPrometheus("127.0.0.1:0", &loadgen.Config{Interval: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Finish(0)
	iv := func(d time.Duration, completed, inFlight uint64) loadgen.Interval {
		v := loadgen.Interval{Duration: d, InFlight: inFlight, Latency: loadgen.NewHistogram(), Service: loadgen.NewHistogram(), SendLag: loadgen.NewHistogram()}
		v.Counts.Completed = completed
		return v
	}
	p.Update(iv(time.Second, 1000, 4))
	p.Update(iv(900*time.Microsecond, 0, 0))
	got := scrape(t, p)
	if got["gowrk_achieved_rate"] != 1000 || got["gowrk_in_flight"] != 4 || got["gowrk_requests_total"] != 1000 {
		t.Errorf("after a sliver: achieved_rate %v, in_flight %v, requests_total %v; want 1000, 4, 1000", got["gowrk_achieved_rate"], got["gowrk_in_flight"], got["gowrk_requests_total"])
	}
	p.Update(iv(time.Second, 500, 2)) // a whole interval after it sets them again
	if got := scrape(t, p); got["gowrk_achieved_rate"] != 500 || got["gowrk_requests_total"] != 1500 {
		t.Errorf("after a whole interval: achieved_rate %v, requests_total %v; want 500, 1500", got["gowrk_achieved_rate"], got["gowrk_requests_total"])
	}
}
