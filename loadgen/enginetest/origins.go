package enginetest

import (
	"context"
	"net/url"
	"testing"
	"time"

	"github.com/gowrk/gowrk/loadgen"
	h1wire "github.com/gowrk/gowrk/loadgen/h1"
	"github.com/gowrk/gowrk/loadgen/testserver"
)

// The suite's row for targets on two origins: two loopback servers on
// different ports, each counting its own requests; -n TargetsN requests
// over three targets weighted 2:1:1, the first and third on origin A, the
// second on origin B. Each server's count of each path must be exactly its
// target's share, whole (-n in one run) and split over two shards.

// RunOrigins runs the two-origin row on every engine but the transport
// variants.
func RunOrigins(t *testing.T, engines []Engine) {
	ca, leaf := testserver.LoopbackCert(t)
	for _, e := range engines {
		if e.Via != "" {
			continue
		}
		t.Run(e.Name, func(t *testing.T) { runOrigins(t, newEnv(e, ca, leaf), 1) })
		t.Run(e.Name+"/shards", func(t *testing.T) { runOrigins(t, newEnv(e, ca, leaf), 2) })
	}
}

// originTarget is one target of the row: its origin (0: A, 1: B), path
// and weight.
var originTargets = []struct {
	origin int
	path   string
	weight uint32
}{{0, "/a", 2}, {1, "/b", 1}, {0, "/c", 1}}

func runOrigins(t *testing.T, en *env, shards int) {
	counts := []*pathCounts{{n: map[string]int{}}, {n: map[string]int{}}}
	bases := []string{serveCounting(t, en, counts[0]), serveCounting(t, en, counts[1])}
	var names []string
	var wire [][]byte
	var ws []uint32
	var of []int
	for _, ot := range originTargets {
		u, _ := url.Parse(bases[ot.origin] + ot.path)
		w, err := h1wire.BuildRequest(loadgen.Target{URL: u, Method: "GET"})
		if err != nil {
			t.Fatal(err)
		}
		names, wire, ws, of = append(names, "GET "+ot.path), append(wire, w), append(ws, ot.weight), append(of, ot.origin)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var completed [3]uint64
	for shard := range shards {
		targets, err := loadgen.NewTargets(names, wire, ws, loadgen.OrderWeighted, 0)
		if err == nil {
			err = targets.SetOrigins(of)
		}
		if err != nil {
			t.Fatal(err)
		}
		var engs []loadgen.Engine
		for _, b := range bases {
			u, _ := url.Parse(b + "/")
			e, err := en.eng.New(ctx, loadgen.Target{URL: u, Method: "GET", TLS: en.clientTLS()}, 5*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			engs = append(engs, e)
		}
		eng, err := loadgen.NewOrigins(engs)
		if err != nil {
			t.Fatal(err)
		}
		u, _ := url.Parse(bases[0] + "/a")
		cfg := loadgen.Config{Threads: 1, Connections: Conns, Requests: TargetsN / uint64(shards), Timeout: 5 * time.Second,
			ConnectTimeout: 5 * time.Second, Engine: en.eng.Name, Targets: targets,
			Target: loadgen.Target{URL: u, Method: "GET", TLS: en.clientTLS()}}
		if shards > 1 {
			cfg.Shard = loadgen.ShardSpec{Index: shard, Count: shards}
		}
		if en.eng.Proto == HTTP2 || en.eng.Proto == HTTP3 {
			cfg.Streams = Streams
		}
		res, err := loadgen.Run(ctx, cfg, eng)
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
		if res.Counts.Errors() != 0 {
			t.Fatalf("%d errors (%v)", res.Counts.Errors(), res.ErrorMessages)
		}
		for i := range completed {
			completed[i] += res.Targets[i].Completed
		}
	}
	for i, ot := range originTargets {
		want := int(TargetsN * uint64(ot.weight) / 4)
		if got := counts[ot.origin].count(ot.path); got != want || int(completed[i]) != want {
			t.Errorf("origin %d %s: the server counted %d, the run %d; want %d", ot.origin, ot.path, got, completed[i], want)
		}
	}
	if other := counts[1].count("/a") + counts[1].count("/c") + counts[0].count("/b"); other != 0 {
		t.Errorf("%d requests reached the other origin", other)
	}
}
