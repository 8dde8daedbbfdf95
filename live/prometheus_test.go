package live

import (
	"bufio"
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
