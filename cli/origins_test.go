package cli

import (
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// TestTargetsOrigins: targets on two origins, one http:// and one
// https:// (each origin with the engine of its scheme, or HTTP/2 on both),
// whole and in two shards: each server counts exactly its targets' share
// of -n, and the run's per-target figures say the same.
func TestTargetsOrigins(t *testing.T) {
	var mu sync.Mutex
	n := map[string]int{}
	count := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { mu.Lock(); n[r.URL.Path]++; mu.Unlock() })
	seen := func(path string) int { mu.Lock(); defer mu.Unlock(); return n[path] }
	var srv [2]*httptest.Server
	for i := range srv {
		srv[i] = httptest.NewUnstartedServer(count)
		srv[i].Config.Protocols = new(http.Protocols)
		srv[i].Config.Protocols.SetHTTP1(true)
		srv[i].Config.Protocols.SetHTTP2(true)
		srv[i].Config.Protocols.SetUnencryptedHTTP2(true)
		t.Cleanup(srv[i].Close)
	}
	srv[0].Start()
	srv[1].TLS = &tls.Config{NextProtos: []string{"h2", "http/1.1"}}
	srv[1].StartTLS()
	plain, secure := srv[0], srv[1]
	dir := t.TempDir()
	file := writeFile(t, dir, "t.jsonl", `{"url":"`+plain.URL+`/a","weight":2,"name":"a"}`+"\n"+
		`{"url":"`+secure.URL+`/b","name":"b"}`+"\n"+`{"url":"`+plain.URL+`/c","name":"c"}`+"\n")
	for _, tc := range []struct {
		name   string
		args   []string
		shards []string
	}{
		{"h1", nil, []string{""}},
		{"h1/shards", nil, []string{"0/2", "1/2"}},
		{"h2", []string{"--http2"}, []string{""}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a0, b0, c0 := seen("/a"), seen("/b"), seen("/c")
			var got [3]uint64
			for _, sh := range tc.shards {
				args := append([]string{"--targets", file, "-n", "400", "-t2", "-c4", "-k", "--targets-order", "weighted", "-f", "json"}, tc.args...)
				if sh != "" {
					args = append(args, "--shard", sh)
				}
				code, out, errOut := gowrk(t, args...)
				if code != exitOK || !strings.Contains(errOut, "the targets are on 2 origins") {
					t.Fatalf("exit %d: %s", code, errOut)
				}
				for i, f := range targetsOf(t, []byte(out)) {
					got[i] += f.Requests
				}
			}
			if a, b, c := seen("/a")-a0, seen("/b")-b0, seen("/c")-c0; a != 200 || b != 100 || c != 100 || got != [3]uint64{200, 100, 100} {
				t.Errorf("the servers saw a %d, b %d, c %d; the run a, b, c %v; want 200, 100, 100", a, b, c, got)
			}
		})
	}
}
