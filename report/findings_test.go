package report

import (
	"strings"
	"testing"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
	"github.com/gowrk/gowrk/loadgen"
)

// TestFindingText: each finding reads as its sentence with its figures
// (loadgen's TestVerdictsAndHints decides the kinds; this checks the words).
func TestFindingText(t *testing.T) {
	// fixedResult's run, with the counts, service time and timer lateness
	// of each case.
	mk := func(rate float64, c loadgen.Counts, svcUs, timerUs int64, opts ...func(*loadgen.Result)) *loadgen.Result {
		r := fixedResult(rate)
		r.Duration, r.CPU, r.Counts, r.ErrorMessages = 10*time.Second, 0, c, nil
		r.Config.ConnectTimeout, r.StatusCodes = 5*time.Second, map[int]uint64{404: c.Status}
		r.Service, r.TimerLag = loadgen.NewHistogram(), loadgen.NewHistogram()
		for h, v := range map[*hdrhistogram.Histogram]int64{r.Service: svcUs, r.TimerLag: timerUs} {
			if v > 0 {
				h.RecordValue(v)
			}
		}
		for _, set := range opts {
			set(r)
		}
		return r
	}
	conns := func(n int) func(*loadgen.Result) { return func(r *loadgen.Result) { r.Config.Connections = n } }
	for _, tc := range []struct {
		name string
		r    *loadgen.Result
		want string // the first warning contains it
	}{
		{"too few connections", mk(100, loadgen.Counts{Sent: 500, Completed: 490, InFlight: 10, Unsent: 500}, 200_000, 0),
			"sent 50.0 of 100 requests/s (500 of 1000 due were not sent): too few connections for rate x latency (100/s x 199.94ms fastest service time needs about 30 concurrent requests; have 10); try -c 30"},
		{"server shortfall despite a late timer", mk(100, loadgen.Counts{Sent: 1000, Completed: 500, InFlight: 500, Unsent: 500}, 200_000, 50_000, conns(1000)),
			"the server could not keep up: it answered 50.0/s with every one of the 1000 connections waiting on it (mean service time 200ms"},
		{"queue grew", mk(100, loadgen.Counts{Sent: 1000, Completed: 500, InFlight: 500}, 5_000, 0, conns(1000)),
			"every request went out on schedule, but the server could not keep up: it answered 50.0 of the 100.0 requests/s sent, and 500 were still waiting"},
		{"generator late", mk(100, loadgen.Counts{Sent: 1000, Completed: 1000}, 100, 50_000),
			"gowrk fell behind its own schedule: p99 timer lateness 50.02ms, more than the 100us mean service time and the 10ms between requests"},
		{"machine busy", mk(100, loadgen.Counts{Sent: 1000, Completed: 1000}, 100, 50_000, func(r *loadgen.Result) { r.MachineBusy = 0.97 }),
			"the machine was busy: its CPUs were 97% busy"},
		{"generator CPU", mk(100, loadgen.Counts{Sent: 500, Completed: 500, Unsent: 500}, 5_000, 0, func(r *loadgen.Result) { r.CPU = 19 * time.Second }),
			"gowrk's CPU is saturated (95% of 2 threads busy)"},
		{"timeouts, waiting", mk(0, loadgen.Counts{Sent: 2160, Completed: 1160, Late: 1120, InFlight: 1000, LateInFlight: 1000}, 1_500_000, 0, conns(1000)),
			"2120 of 2160 requests sent passed --timeout 2s: 1120 were answered late"},
		{"timeouts, abort", mk(0, loadgen.Counts{Sent: 14040, Completed: 40, Timeout: 14000}, 100, 0, func(r *loadgen.Result) { r.Config.TimeoutAction = loadgen.TimeoutAbort }),
			"14000 of 14040 requests sent passed --timeout 2s and were abandoned (--timeout-action abort)"},
		{"resets", mk(0, loadgen.Counts{Sent: 200, Completed: 100, Read: 100}, 100, 0), "100 of 200 requests failed with read, write or HTTP/2 errors (no message)"},
		{"refused", mk(0, loadgen.Counts{Connect: 99}, 100, 0), "all 99 connection attempts failed (no message); check that the server is listening at 127.0.0.1:8080"},
		{"ports", mk(0, loadgen.Counts{Sent: 500, Completed: 500, Ports: 7}, 100, 0), "7 connection attempts failed because this machine ran out of ephemeral ports"},
		{"backlog", mk(0, loadgen.Counts{Sent: 100, Completed: 100, Connect: 50, ConnectTimeout: 50}, 100, 0), "timed out after --connect-timeout 5s"},
		{"4xx", mk(0, loadgen.Counts{Sent: 100, Completed: 100, Status: 100}, 100, 0), "every one of the 100 responses had a status of 400 or more (404 x 100)"},
		{"closed loop CPU", mk(0, loadgen.Counts{Sent: 100, Completed: 100}, 100, 0, func(r *loadgen.Result) { r.CPU = 19 * time.Second }), "add -t"},
		{"UDP buffers", mk(0, loadgen.Counts{Sent: 100, Completed: 100}, 100, 0, func(r *loadgen.Result) {
			r.Conn.QUIC = &loadgen.QUICInfo{UDPRecvBuffer: 425984, UDPSendBuffer: 425984, UDPBufferWanted: 7 << 20, UDPBufferCapped: true}
		}), "the kernel capped the UDP socket buffers at 416 KiB, below the 7168 KiB that QUIC (quic-go) asks for"},
		{"streams", mk(0, loadgen.Counts{Sent: 100, Completed: 100}, 100, 0, func(r *loadgen.Result) { r.Config.Streams = 8; r.Conn.MaxStreams = 2 }),
			"the server allows 2 concurrent streams per connection (SETTINGS_MAX_CONCURRENT_STREAMS), fewer than --streams 8: the other requests waited on their connection, so concurrency was 20, not 80; use --streams 2"},
	} {
		w := Warnings(tc.r)
		if len(w) == 0 || !strings.Contains(w[0], tc.want) {
			t.Errorf("%s: warnings %q, want %q", tc.name, w, tc.want)
		}
		for _, s := range w {
			if strings.Contains(s, "µs") {
				t.Errorf("%s: %q spells microseconds µs; the reports write us", tc.name, s)
			}
		}
	}
	// Every kind has its sentence, not its identifier.
	r := mk(100, loadgen.Counts{}, 100, 0)
	for k := loadgen.RateNoCompletion; k <= loadgen.GeneratorCPU; k++ {
		if s := FindingText(r, loadgen.Finding{Kind: k, Target: 100}); s == k.String() || len(s) < 30 {
			t.Errorf("kind %v renders as %q", k, s)
		}
	}
}

// h3Result is fixedResult(0) as an HTTP/3 run: what QUIC added.
func h3Result() *loadgen.Result {
	r := fixedResult(0)
	r.Conn = loadgen.ConnInfo{Protocol: "h3", TLSVersion: "TLS 1.3", CipherSuite: "TLS_AES_128_GCM_SHA256", QUIC: &loadgen.QUICInfo{
		Handshakes: 4, HandshakeMeanUs: 1500, HandshakeMaxUs: 3000, SmoothedRTTUs: 250, MaxRTTUs: 400,
		PacketsSent: 1000, PacketsLost: 3, BytesLost: 3600, UDPRecvBuffer: 8 << 20, UDPSendBuffer: 8 << 20, UDPBufferWanted: 7 << 20}}
	return r
}

// TestGoldenH3: what QUIC adds, in the JSON report (conn.quic) and the
// CSV report's quic_ and udp_ columns, against golden files.
func TestGoldenH3(t *testing.T) { checkFormats(t, h3Result(), "h3", "json", "csv") }

// TestQUICLine: an HTTP/3 run's text report says what QUIC added, after
// the protocol line.
func TestQUICLine(t *testing.T) {
	r := h3Result()
	var b strings.Builder
	if err := Text(&b, r, Options{}); err != nil {
		t.Fatal(err)
	}
	want := "Protocol: h3 over TLS 1.3 (TLS_AES_128_GCM_SHA256)"
	line := "QUIC: 4 handshakes (mean 1.50ms, max 3.00ms), smoothed RTT 250.00us (max 400.00us), 3 of 1000 packets lost, UDP buffers 8192/8192 KiB (recv/send)\n"
	if i := strings.Index(b.String(), want); i < 0 || !strings.Contains(b.String()[i:], line) {
		t.Errorf("no QUIC line after the protocol's:\n%s", b.String())
	}
}
