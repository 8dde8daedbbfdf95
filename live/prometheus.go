package live

import (
	"context"
	"errors"
	"math"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
	"github.com/gowrk/gowrk/loadgen"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	dto "github.com/prometheus/client_model/go"
	"google.golang.org/protobuf/proto"
)

// Prometheus serves a run's figures on /metrics while it goes, from the
// interval snapshots: counters (requests, bytes, errors by class,
// responses by status class), gauges (in flight, target and achieved
// rate) and latency (of completed requests), service time, send lag and
// the censored requests' lower bounds as histograms in seconds,
// with native buckets (schema 3, for a Prometheus that scrapes protobuf)
// and the classic PromBuckets. It is fed by Update on the snapshot goroutine and
// read by the scrape handler; a mutex keeps the two apart, never an engine.
type Prometheus struct {
	srv   *http.Server
	ln    net.Listener
	cfg   *loadgen.Config
	mu    sync.Mutex
	c     loadgen.Counts
	cls   [6]uint64
	codes map[int]uint64
	fly   uint64
	rate  float64
	seen  bool // an interval has set the gauges
	done  bool
	// collected is set by a scrape that collected the final figures (done
	// set); final is closed once such a scrape's response is written,
	// which ends Finish's linger early.
	collected bool
	final     chan struct{}
	finalOnce sync.Once
	hist      [4]*hdrhistogram.Histogram // latency, service, send lag, censored lower bounds (microseconds)
	tgt       []loadgen.TargetCounts     // requests by target (--targets), by number
	start     time.Time
	// end is the run's Result, from the stop (SetEnd): the figures known
	// only then (QUIC's, the phases, each target's latency).
	end *loadgen.Result
}

// PromBuckets are the classic histogram buckets, in seconds.
var PromBuckets = []float64{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60}

// StartPrometheus listens on addr and serves /metrics.
func StartPrometheus(addr string, cfg *loadgen.Config) (*Prometheus, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	p := &Prometheus{ln: ln, cfg: cfg, start: time.Now(), final: make(chan struct{})}
	for i := range p.hist {
		p.hist[i] = loadgen.NewHistogram()
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(p)
	mux := http.NewServeMux()
	metrics := promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
	mux.HandleFunc("/metrics", func(w http.ResponseWriter, r *http.Request) {
		metrics.ServeHTTP(w, r)
		p.mu.Lock()
		final := p.collected
		p.mu.Unlock()
		if final {
			p.finalOnce.Do(func() { close(p.final) })
		}
	})
	p.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go p.srv.Serve(ln)
	return p, nil
}

// Addr is where /metrics is served.
func (p *Prometheus) Addr() string { return p.ln.Addr().String() }

// Update adds an interval.
func (p *Prometheus) Update(iv loadgen.Interval) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.c.Add(&iv.Counts)
	for i, n := range iv.StatusClasses {
		p.cls[i] += n
	}
	if p.codes == nil {
		p.codes = map[int]uint64{}
	}
	for code, n := range iv.StatusCodes {
		p.codes[code] += n
	}
	for i, n := range iv.Targets {
		if i >= len(p.tgt) {
			p.tgt = append(p.tgt, loadgen.TargetCounts{})
		}
		p.tgt[i].Completed += n.Completed
		p.tgt[i].Failed += n.Failed
	}
	if !p.seen || !iv.Sliver(p.cfg.Interval) {
		// (the stop's sliver gives no rate: the gauges keep the last
		// whole interval's, as the HTML report's charts end on it)
		p.fly, p.rate = iv.InFlight, iv.RequestsPerSec()
	}
	p.seen = true
	p.hist[0].Merge(iv.Latency)
	p.hist[1].Merge(iv.Service)
	p.hist[2].Merge(iv.SendLag)
	if iv.Censored != nil {
		p.hist[3].Merge(iv.Censored)
	}
}

// SetEnd gives the run's Result at the stop; /metrics serves from then on
// what is known only then: under HTTP/3 QUIC's figures (gowrk_quic_*,
// gowrk_udp_buffer_bytes), the phases of a request
// (gowrk_phase_seconds{phase=...}, one histogram per phase measured) and
// under --targets each target's latency (gowrk_target_latency_seconds
// {target=...}, one histogram per target that completed a request).
func (p *Prometheus) SetEnd(r *loadgen.Result) {
	p.mu.Lock()
	p.end = r
	p.mu.Unlock()
}

// Finish marks the run done (gowrk_run_finished 1) and keeps serving until
// a scrape's response has carried the final figures, for at most linger,
// then stops (letting scrapes under way finish, for at most a second).
func (p *Prometheus) Finish(linger time.Duration) {
	p.mu.Lock()
	p.done = true
	p.mu.Unlock()
	if linger > 0 {
		t := time.NewTimer(linger)
		select {
		case <-t.C:
		case <-p.final:
			t.Stop()
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if err := p.srv.Shutdown(ctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		p.srv.Close()
	}
}

var (
	descRequests = prometheus.NewDesc("gowrk_requests_total", "Whole responses read.", nil, nil)
	descSent     = prometheus.NewDesc("gowrk_sent_total", "Requests sent.", nil, nil)
	descOpened   = prometheus.NewDesc("gowrk_opened_connections_total", "Connections opened (one per request without keep-alive).", nil, nil)
	descBytes    = prometheus.NewDesc("gowrk_bytes_total", "Bytes on the wire.", []string{"direction"}, nil)
	descErrors   = prometheus.NewDesc("gowrk_errors_total", "Failed requests and dials, by class (timeout: abandoned).", []string{"class"}, nil)
	descTimeouts = prometheus.NewDesc("gowrk_timeouts_total", "Requests that passed --timeout (wrk's timeout: late, waiting or abandoned).", nil, nil)
	descStatus   = prometheus.NewDesc("gowrk_responses_total", "Responses by status class.", []string{"class"}, nil)
	descCodes    = prometheus.NewDesc("gowrk_status_codes_total", "Responses by status code (0: above 999).", []string{"code"}, nil)
	descInFlight = prometheus.NewDesc("gowrk_in_flight", "Requests in flight at the last interval's end.", nil, nil)
	descTarget   = prometheus.NewDesc("gowrk_target_rate", "The -R target, requests per second (0: closed loop).", nil, nil)
	descAchieved = prometheus.NewDesc("gowrk_achieved_rate", "Completed requests per second in the last interval.", nil, nil)
	descTargets  = prometheus.NewDesc("gowrk_target_requests_total", "Requests of each --targets target, by outcome: completed (whole responses) or failed.", []string{"target", "outcome"}, nil)
	descFinished = prometheus.NewDesc("gowrk_run_finished", "1 once the run has ended and these are its final figures.", nil, nil)
	descQUIC     = prometheus.NewDesc("gowrk_quic_handshakes_total", "QUIC handshakes completed (HTTP/3; filled at the stop).", nil, nil)
	descQUICHs   = prometheus.NewDesc("gowrk_quic_handshake_seconds", "QUIC handshake time, first packet to the handshake's end: mean and max.", []string{"stat"}, nil)
	descQUICRTT  = prometheus.NewDesc("gowrk_quic_rtt_seconds", "quic-go's smoothed RTT at each connection's close: mean over connections and max.", []string{"stat"}, nil)
	descQUICPkt  = prometheus.NewDesc("gowrk_quic_packets_total", "QUIC packets gowrk sent, and those declared lost (retransmitted).", []string{"outcome"}, nil)
	descQUICLost = prometheus.NewDesc("gowrk_quic_lost_bytes_total", "Bytes of the QUIC packets declared lost.", nil, nil)
	descTgtLat   = prometheus.NewDesc("gowrk_target_latency_seconds", "Latency of each --targets target's completed requests (filled at the stop; 2 significant digits, as the report's per-target figures).", []string{"target"}, nil)
	descPhase    = prometheus.NewDesc("gowrk_phase_seconds", "The phases of a request (filled at the stop): dns (the one lookup), connect, tls and quic (handshakes), one value per connection opened; first_byte (send to the response's first byte) and body (first byte to end), one per completed request.", []string{"phase"}, nil)
	descUDPBuf   = prometheus.NewDesc("gowrk_udp_buffer_bytes", "UDP socket buffers in effect as the kernel reports them (recv, send), and what QUIC asks for (wanted).", []string{"direction"}, nil)
	descHist     = [4]*prometheus.Desc{
		prometheus.NewDesc("gowrk_latency_seconds", "Latency of completed requests: from due (closed loop: sent) to the end of the response.", nil, nil),
		prometheus.NewDesc("gowrk_service_time_seconds", "Service time: from send to the end of the response.", nil, nil),
		prometheus.NewDesc("gowrk_send_lag_seconds", "Send lag under -R: send minus due.", nil, nil),
		prometheus.NewDesc("gowrk_censored_latency_seconds", "Requests due that never completed (waiting at the stop, or due under -R and never sent), each at its latency's lower bound: stop minus due; filled at the stop. Summed with gowrk_latency_seconds it is the latency of every due request, where a quantile is only a lower bound.", nil, nil),
	}
)

// Describe implements prometheus.Collector.
func (p *Prometheus) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descRequests, descSent, descOpened, descBytes, descErrors, descTimeouts, descStatus, descCodes, descInFlight, descTarget, descAchieved, descFinished, descTargets,
		descQUIC, descQUICHs, descQUICRTT, descQUICPkt, descQUICLost, descUDPBuf, descPhase, descTgtLat} {
		ch <- d
	}
	for _, d := range descHist {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (p *Prometheus) Collect(ch chan<- prometheus.Metric) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.collected = p.collected || p.done
	c := &p.c
	counter := func(d *prometheus.Desc, v uint64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), labels...)
	}
	gauge := func(d *prometheus.Desc, v float64) { ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v) }
	counter(descRequests, c.Completed)
	counter(descSent, c.Sent)
	counter(descOpened, c.Opened)
	counter(descBytes, c.BytesRead, "read")
	counter(descBytes, c.BytesWritten, "written")
	for _, e := range []struct {
		class string
		n     uint64
	}{{"connect", c.Connect}, {"ports", c.Ports}, {"read", c.Read}, {"write", c.Write}, {"timeout", c.Timeout},
		{"goaway", c.GoAway}, {"reset", c.Reset}, {"protocol", c.Protocol}, {"idle_closed", c.IdleClosed}} {
		counter(descErrors, e.n, e.class)
	}
	counter(descTimeouts, c.TimedOut())
	for i, n := range p.cls {
		name := strconv.Itoa(i) + "xx"
		if i == 0 {
			name = "other"
		}
		counter(descStatus, n, name)
	}
	for code, n := range p.codes {
		counter(descCodes, n, strconv.Itoa(code))
	}
	gauge(descInFlight, float64(p.fly))
	gauge(descTarget, p.cfg.Rate)
	gauge(descAchieved, p.rate)
	done := 0.0
	if p.done {
		done = 1
	}
	gauge(descFinished, done)
	if t := p.cfg.Targets; t != nil {
		for i, n := range p.tgt[:min(len(p.tgt), len(t.Names))] {
			counter(descTargets, n.Completed, t.Names[i], "completed")
			counter(descTargets, n.Failed, t.Names[i], "failed")
		}
	}
	for i, h := range p.hist {
		ch <- histogramMetric(descHist[i], h, p.start)
	}
	if p.end != nil {
		collectEnd(ch, p.end, p.start)
	}
}

// collectEnd sends the figures of the run's Result known at the stop:
// QUIC's, the phases, each target's latency.
func collectEnd(ch chan<- prometheus.Metric, r *loadgen.Result, start time.Time) {
	collectQUIC(ch, r.Conn.QUIC)
	for i, h := range r.Phases.Hists() {
		if h != nil && h.TotalCount() > 0 {
			ch <- histogramMetric(descPhase, h, start, loadgen.PhaseKeys[i])
		}
	}
	for _, f := range r.Targets {
		if f.Latency != nil && f.Latency.TotalCount() > 0 {
			ch <- histogramMetric(descTgtLat, f.Latency, start, f.Name)
		}
	}
}

// collectQUIC sends what QUIC adds (nothing without it), times in seconds.
func collectQUIC(ch chan<- prometheus.Metric, q *loadgen.QUICInfo) {
	if q == nil {
		return
	}
	metric := func(d *prometheus.Desc, t prometheus.ValueType, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, t, v, labels...)
	}
	us := func(v int64) float64 { return float64(v) / 1e6 }
	metric(descQUIC, prometheus.CounterValue, float64(q.Handshakes))
	metric(descQUICHs, prometheus.GaugeValue, us(q.HandshakeMeanUs), "mean")
	metric(descQUICHs, prometheus.GaugeValue, us(q.HandshakeMaxUs), "max")
	metric(descQUICRTT, prometheus.GaugeValue, us(q.SmoothedRTTUs), "smoothed_mean")
	metric(descQUICRTT, prometheus.GaugeValue, us(q.MaxRTTUs), "max")
	metric(descQUICPkt, prometheus.CounterValue, float64(q.PacketsSent), "sent")
	metric(descQUICPkt, prometheus.CounterValue, float64(q.PacketsLost), "lost")
	metric(descQUICLost, prometheus.CounterValue, float64(q.BytesLost))
	metric(descUDPBuf, prometheus.GaugeValue, float64(q.UDPRecvBuffer), "recv")
	metric(descUDPBuf, prometheus.GaugeValue, float64(q.UDPSendBuffer), "send")
	metric(descUDPBuf, prometheus.GaugeValue, float64(q.UDPBufferWanted), "wanted")
}

// nativeSchema is the native histograms' resolution: 2^(1/8), about 9%
// between bucket bounds (HdrHistogram's own error is 0.1%).
const nativeSchema = 3

// histogramMetric is one histogram with both kinds of buckets: native ones
// (for a Prometheus that scrapes them) and the classic PromBuckets.
func histogramMetric(desc *prometheus.Desc, h *hdrhistogram.Histogram, created time.Time, labels ...string) prometheus.Metric {
	count, sum, classicBuckets := classic(h)
	native := map[int]int64{}
	for _, b := range h.Distribution() {
		if b.Count > 0 {
			v := float64(b.To) / 1e6
			native[int(math.Ceil(math.Log2(v)*(1<<nativeSchema)))] += b.Count
		}
	}
	m, err := prometheus.NewConstNativeHistogram(desc, count, sum, native, nil, 0, nativeSchema, 0, created, labels...)
	if err != nil {
		return prometheus.MustNewConstHistogram(desc, count, sum, classicBuckets, labels...)
	}
	bs := make([]*dto.Bucket, 0, len(PromBuckets))
	for _, le := range PromBuckets {
		bs = append(bs, &dto.Bucket{UpperBound: proto.Float64(le), CumulativeCount: proto.Uint64(classicBuckets[le])})
	}
	return dualHistogram{m, bs}
}

// dualHistogram adds classic buckets to a native histogram.
type dualHistogram struct {
	prometheus.Metric
	buckets []*dto.Bucket
}

func (d dualHistogram) Write(out *dto.Metric) error {
	if err := d.Metric.Write(out); err != nil {
		return err
	}
	out.Histogram.Bucket = d.buckets
	return nil
}

// classic turns a microsecond HdrHistogram into Prometheus's classic
// cumulative buckets, in seconds.
func classic(h *hdrhistogram.Histogram) (count uint64, sum float64, buckets map[float64]uint64) {
	buckets = make(map[float64]uint64, len(PromBuckets))
	for _, b := range h.Distribution() {
		if b.Count == 0 {
			continue
		}
		v := float64(b.To) / 1e6
		count += uint64(b.Count)
		sum += float64(b.Count) * float64(b.From+b.To) / 2 / 1e6
		for _, le := range PromBuckets {
			if v <= le {
				buckets[le] += uint64(b.Count)
			}
		}
	}
	return count, sum, buckets
}
