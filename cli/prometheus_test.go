package cli

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/gowrk/gowrk/live"
	"github.com/gowrk/gowrk/loadgen/testserver"
)

// TestPrometheusScrape: a real Prometheus (Debian's prometheus package)
// scrapes gowrk's /metrics during a run; the request counter it holds at
// the end, from the final scrape during --prometheus-linger, equals the
// report's count, and so does the count of censored requests (never
// completed by the stop) in gowrk_censored_latency_seconds.
func TestPrometheusScrape(t *testing.T) {
	bin, err := exec.LookPath("prometheus")
	if err != nil {
		t.Skip("prometheus is not installed (apt-get install prometheus); .ci/run installs it")
	}
	gport, pport := freePort(t), freePort(t)
	dir := t.TempDir()
	cfg := fmt.Sprintf("global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\nscrape_configs:\n  - job_name: gowrk\n    static_configs:\n      - targets: ['127.0.0.1:%d']\n", gport)
	cfgPath := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "--config.file="+cfgPath, "--storage.tsdb.path="+filepath.Join(dir, "data"),
		"--web.listen-address=127.0.0.1:"+strconv.Itoa(pport), "--log.level=warn")
	startProcess(t, cmd)
	api := fmt.Sprintf("http://127.0.0.1:%d", pport)
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(api + "/-/ready")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Skipf("prometheus did not become ready in 30 s: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	// Prometheus starts scraping a static target up to 5 s after it is
	// ready (its discovery updates at most every 5 s): wait for its first
	// attempt (which fails: gowrk is not up yet) before the run.
	for deadline := time.Now().Add(20 * time.Second); ; {
		resp, err := http.Get(api + "/api/v1/targets")
		if err == nil {
			var tg struct {
				Data struct {
					ActiveTargets []struct {
						LastScrape time.Time `json:"lastScrape"`
					} `json:"activeTargets"`
				} `json:"data"`
			}
			json.NewDecoder(resp.Body).Decode(&tg)
			resp.Body.Close()
			if len(tg.Data.ActiveTargets) > 0 && tg.Data.ActiveTargets[0].LastScrape.Year() > 2000 {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Skip("prometheus did not start scraping in 20 s")
		}
		time.Sleep(100 * time.Millisecond)
	}
	s := server(t, testserver.Behaviour{})
	code, out, errs := gowrk(t, "-t1", "-c2", "-d", "3s", "-R", "200", "-f", "json", "--prometheus", fmt.Sprintf("127.0.0.1:%d", gport), "--prometheus-linger", "30s", s.URL())
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var rep struct {
		Requests float64 `json:"requests"`
		Due      struct {
			Censored float64 `json:"censored"`
		} `json:"latency_all_due"`
		Latency struct {
			Percentiles map[string]float64 `json:"percentiles_us"`
		} `json:"latency"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	// Each query reads the last sample stored: once gowrk has exited its
	// target is down and Prometheus marks the series stale, so a plain
	// instant query made a moment late (a loaded machine) finds nothing.
	last := func(selector string) string { return "last_over_time(" + selector + "[5m])" }
	query := func(q string) float64 {
		resp, err := http.Get(api + "/api/v1/query?query=" + url.QueryEscape(q))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var r struct {
			Data struct {
				Result []struct {
					Value [2]any `json:"value"`
				} `json:"result"`
			} `json:"data"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&r); err != nil || len(r.Data.Result) == 0 {
			t.Fatalf("query %s: %v, %+v", q, err, r)
		}
		v, _ := strconv.ParseFloat(r.Data.Result[0].Value[1].(string), 64)
		return v
	}
	// gowrk exits once a scrape's response carried the final figures;
	// Prometheus stores the sample a moment later (a hang guard, not a
	// measurement).
	for deadline := time.Now().Add(20 * time.Second); query(last("gowrk_run_finished")) != 1; time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("Prometheus never stored the final figures (gowrk_run_finished 1) scraped before gowrk exited")
		}
	}
	if got := query(last("gowrk_requests_total")); got != rep.Requests || got < 60 {
		t.Errorf("Prometheus holds gowrk_requests_total %v, the report says %v", got, rep.Requests)
	}
	if got := query(last(`gowrk_status_codes_total{code="200"}`)); got != rep.Requests {
		t.Errorf("Prometheus holds %v responses with status 200, the report %v requests", got, rep.Requests)
	}
	// The classic buckets place p50 only within its bucket: the scraped
	// estimate must lie in the bucket that holds the report's p50, or the
	// one below it (HdrHistogram reports a value's highest equivalent,
	// which may sit just past a bucket's edge).
	p50 := rep.Latency.Percentiles["50"] / 1e6
	lo, hi := 0.0, math.Inf(1)
	for i, b := range live.PromBuckets {
		if b < p50 {
			lo = 0
			if i > 0 {
				lo = live.PromBuckets[i-1]
			}
		} else {
			hi = b
			break
		}
	}
	if got := query("histogram_quantile(0.5, " + last("gowrk_latency_seconds_bucket") + ")"); !(got >= lo && got <= hi) {
		t.Errorf("p50 from the scraped histogram: %v s, outside the buckets (%v s, %v s] around the report's p50 %v s", got, lo, hi, p50)
	}
	// The requests due that never completed (in flight or unsent at the
	// stop) are in the censored histogram, filled at the stop: as many as
	// the report's latency over every due request counts.
	if got := query(last("gowrk_censored_latency_seconds_count")); got != rep.Due.Censored {
		t.Errorf("Prometheus holds %v censored requests, the report %v", got, rep.Due.Censored)
	}
}
