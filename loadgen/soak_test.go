//go:build soak

package loadgen_test

// Soak checks, run by scripts/soak.sh (not by make test): a long run must
// keep memory flat after warm-up (histograms are fixed size; nothing grows
// with the number of requests), and goroutines and file descriptors must
// return to where they were once the run ends.

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gowrk/gowrk/loadgen"
	"github.com/gowrk/gowrk/loadgen/h1"
)

func env(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func openFDs() int {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return -1
	}
	return len(ents)
}

func rssMB() float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return -1
	}
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Fields(l); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, _ := strconv.ParseFloat(f[1], 64)
			return kb / 1024
		}
	}
	return -1
}

// soak runs cfg and samples memory every interval; it checks that the heap
// at the end is no more than 10% (plus 8 MB) above the heap after warm-up
// (the first quarter of the run), and that goroutines and descriptors come back.
func soak(t *testing.T, name string, cfg loadgen.Config) {
	u, err := url.Parse(env("SOAK_URL", "http://127.0.0.1:18080/"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(u.Host, "127.") && !strings.HasPrefix(u.Host, "localhost") && !strings.HasPrefix(u.Host, "[::1]") {
		t.Fatalf("SOAK_URL %s: loopback targets only", u)
	}
	cfg.Target = loadgen.Target{URL: u, Method: "GET"}
	eng, err := h1.New(context.Background(), cfg.Target, cfg.Timeout)
	if err != nil {
		t.Fatal(err)
	}
	runtime.GC()
	g0, fd0, rss0 := runtime.NumGoroutine(), openFDs(), rssMB()
	type sample struct {
		at       time.Duration
		heapMB   float64
		rssMB    float64
		routines int
		fds      int
	}
	var samples []sample
	stop := make(chan struct{})
	done := make(chan struct{})
	every := cfg.Duration / 12
	go func() {
		defer close(done)
		began := time.Now()
		tick := time.NewTicker(every)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				// Live heap: collect first, so that garbage (this sampler's
				// own listing of /proc/self/fd among it) does not count.
				runtime.GC()
				var ms runtime.MemStats
				runtime.ReadMemStats(&ms)
				samples = append(samples, sample{time.Since(began).Round(time.Second), float64(ms.HeapInuse) / (1 << 20), rssMB(), runtime.NumGoroutine(), openFDs()})
			}
		}
	}()
	res, err := loadgen.Run(context.Background(), cfg, eng)
	close(stop)
	<-done
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * time.Second) // let closed connections' goroutines exit
	runtime.GC()
	g1, fd1, rss1 := runtime.NumGoroutine(), openFDs(), rssMB()

	fmt.Printf("\n## %s: -t%d -c%d -d%s", name, cfg.Threads, cfg.Connections, cfg.Duration)
	if cfg.Rate > 0 {
		fmt.Printf(" -R %.0f", cfg.Rate)
	}
	fmt.Printf(" against %s\n\n", u)
	fmt.Printf("requests %d (%.0f/s), errors %d, in flight at stop %d\n\n", res.Counts.Completed, res.RequestsPerSec(), res.Counts.Errors(), res.Counts.InFlight)
	fmt.Printf("| time | live heap MB | RSS MB | goroutines | open fds |\n|---|---|---|---|---|\n")
	fmt.Printf("| before | | %.1f | %d | %d |\n", rss0, g0, fd0)
	for _, s := range samples {
		fmt.Printf("| %s | %.1f | %.1f | %d | %d |\n", s.at, s.heapMB, s.rssMB, s.routines, s.fds)
	}
	fmt.Printf("| after | | %.1f | %d | %d |\n", rss1, g1, fd1)

	if len(samples) >= 4 {
		warm := samples[len(samples)/4].heapMB
		last := samples[len(samples)-1].heapMB
		if last > warm*1.1+8 {
			t.Errorf("heap grew from %.1f MB after warm-up to %.1f MB at the end", warm, last)
		}
	}
	if g1 > g0+2 {
		t.Errorf("goroutines: %d before, %d after", g0, g1)
	}
	if fd1 > fd0 {
		t.Errorf("open files: %d before, %d after", fd0, fd1)
	}
	if res.Counts.Completed == 0 {
		t.Error("no request completed")
	}
}

func duration(t *testing.T, name, def string) time.Duration {
	d, err := time.ParseDuration(env(name, def))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TestSoakConnections: 10,000 connections for a minute.
func TestSoakConnections(t *testing.T) {
	soak(t, "10,000 connections", loadgen.Config{Threads: 2, Connections: 10000, Duration: duration(t, "SOAK_CONNS_DURATION", "60s"), Timeout: 5 * time.Second})
}

// TestSoakRate: a steady rate for ten minutes.
func TestSoakRate(t *testing.T) {
	soak(t, "steady rate", loadgen.Config{Threads: 2, Connections: 100, Rate: 2000, Duration: duration(t, "SOAK_RATE_DURATION", "10m"), Timeout: 2 * time.Second})
}
