package cli

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// writeFile writes text to name in dir and returns its path.
func writeFile(t *testing.T, dir, name, text string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestTargetsBadInput: a bad target is one line on stderr naming the file
// and the line, exit 2, before any load.
func TestTargetsBadInput(t *testing.T) {
	dir := t.TempDir()
	const u = "http://127.0.0.1:1/"
	for _, tc := range []struct {
		name, text string
		args       []string
		want       string
	}{
		{"t.txt", "GET " + u + "a\n\nGET\n", nil, "t.txt:3: want \"METHOD URL\""},
		{"t.txt", "GET " + u + "a\nNoColon\n", nil, "t.txt:2: starting \"NoColon\""},
		{"t.txt", "# c\n\nGET ftp://x/\n", nil, `t.txt:3: invalid URL "ftp://x/": scheme "ftp"`},
		{"t.txt", "GET " + u + "a\n@/no/such/body\n", nil, `t.txt:2: body file "/no/such/body": cannot read it`},
		{"t.txt", "GET " + u + "a\n@/dev/null\nX-A: 1\n", nil, "t.txt:3: a header after the @body-file"},
		{"t.txt", "GET " + u + "a\n\nGET https://127.0.0.2:1/b\n", []string{"--h2c"}, "t.txt:3: https://127.0.0.2:1: --h2c is HTTP/2 over cleartext, for http:// targets"},
		{"t.txt", "GET " + u + "a\n\nGET https://127.0.0.2:1/b\n", []string{"--engine", "loop"}, "t.txt:3: https://127.0.0.2:1: --engine loop speaks http:// only"},
		{"t.txt", "GET https://127.0.0.1:1/a\n\nGET " + u + "b\n", []string{"--http3"}, "t.txt:3: http://127.0.0.1:1: --http3 needs https:// targets"},
		{"t.txt", "GET " + u + "a\n", []string{"http://127.0.0.1:2/"}, "the URL argument http://127.0.0.1:2 is on no target's origin"},
		{"t.jsonl", `{"url":"` + u + `"}` + "\n\n" + `{"url":"` + u + `", "weight": 0}`, nil, "t.jsonl:3: weight 0"},
		{"t.jsonl", `{"url":"` + u + `"}` + "\n" + `{"url":"` + u + `", "colour": 1}`, nil, `t.jsonl:2: unknown field "colour"`},
		{"t.jsonl", `{"url":"` + u + `"}` + "\n" + `{"url":`, nil, "t.jsonl:2: not valid JSON"},
		{"t.jsonl", `{"url":"` + u + `", "weight": "3"}`, nil, `t.jsonl:1: "weight" has the wrong type`},
		{"t.jsonl", `{"url":"` + u + `","name":"x"}` + "\n" + `{"url":"` + u + `b","name":"x"}`, nil, `t.jsonl:2: the name "x" is also line 1's`},
		{"t.jsonl", `{"url":"` + u + `","body":"aGk=","body_file":"/dev/null"}`, nil, "t.jsonl:1: body and body_file"},
		{"empty.txt", "# nothing\n\n", nil, "no target in it"},
		{"t.txt", "GET " + u + "\n", []string{"--script", "x.lua"}, "--script"},
		{"t.txt", "GET " + u + "\n", []string{"-P", "4"}, "--targets with -P/--pipeline is not supported yet"},
		{"t.txt", "GET " + u + "\n", []string{"-m", "POST"}, "drop -m, --body and --body-file"},
		{"t.txt", "GET " + u + "\n", []string{"--targets-order", "shuffled"}, `--targets-order "shuffled": want round-robin, weighted or random`},
		{"", "", []string{"--seed", "3", u}, "there is no --targets"},
		{"", "", []string{"--fail-on", "p99{target=a}<1s", u}, "names a target; there is no --targets"},
		{"t.txt", "GET " + u + "a\n", []string{"--fail-on", "p99{target=GET /b}<1s"}, `no target is named "GET /b"; the names are GET /a`},
	} {
		args := tc.args
		if tc.name != "" {
			args = append([]string{"--targets", writeFile(t, dir, tc.name, tc.text), "-n", "1"}, args...)
		}
		code, out, errOut := gowrk(t, args...)
		if code != exitBadInput || out != "" || !strings.Contains(errOut, tc.want) || strings.Count(strings.TrimSpace(errOut), "\n") > 0 {
			t.Errorf("gowrk %v (%q): exit %d, stdout %q, stderr %q; want exit 2 and one line with %q", args, tc.text, code, out, errOut, tc.want)
		}
	}
}

// countingServer counts its requests by method and path (the server's
// own truth) and answers 200, or 404 to /missing.
func countingServer(t *testing.T) (*httptest.Server, func(string) int) {
	var mu sync.Mutex
	n := map[string]int{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		n[r.Method+" "+r.URL.Path+" "+r.Header.Get("X-Who")]++
		mu.Unlock()
		if r.URL.Path == "/missing" {
			w.WriteHeader(http.StatusNotFound)
		}
	}))
	t.Cleanup(srv.Close)
	return srv, func(k string) int { mu.Lock(); defer mu.Unlock(); return n[k] }
}

// TestTargetsRun: a run of the text form, without the URL argument, sends
// each target its share with its method and headers (-H under the
// target's own), by the server's count; the JSON report and the text
// table say the same, per target, and --fail-on judges one target.
func TestTargetsRun(t *testing.T) {
	srv, seen := countingServer(t)
	dir := t.TempDir()
	body := writeFile(t, dir, "body.json", `{"a":1}`)
	file := writeFile(t, dir, "targets.txt", "GET "+srv.URL+"/a\nX-Who: a\n\n# a comment\nPOST "+srv.URL+"/b\n@"+body+"\n\nGET "+srv.URL+"/missing\n")
	code, out, errOut := gowrk(t, "--targets", file, "-n", "300", "-t1", "-c3", "-H", "X-Who: all", "-f", "json")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	rep := targetsOf(t, []byte(out))
	for i, want := range []struct {
		key, name string
		status    string
	}{{"GET /a a", "GET /a", "200"}, {"POST /b all", "POST /b", "200"}, {"GET /missing all", "GET /missing", "404"}} {
		if got := seen(want.key); got != 100 {
			t.Errorf("the server saw %d of %q, want 100", got, want.key)
		}
		if f := rep[i]; f.Name != want.name || f.Requests != 100 || f.StatusCodes[want.status] != 100 {
			t.Errorf("targets[%d] = %+v; want %s: 100 requests of status %s", i, f, want.name, want.status)
		}
	}
	code, out, _ = gowrk(t, "--targets", file, "-n", "30", "-t1", "-c3", "--fail-on", "non2xx{target=GET /a}=0")
	if code != exitOK || !strings.Contains(out, "Targets (3;") || !strings.Contains(out, "GET /missing") || !strings.Contains(out, "404:10") {
		t.Errorf("exit %d, the text report has no targets table with GET /missing 404:10:\n%s", code, out)
	}
	if code, _, _ = gowrk(t, "--targets", file, "-n", "30", "-t1", "-c3", "--fail-on", "non2xx{target=GET /missing}=0"); code != exitThreshold {
		t.Errorf("a threshold on GET /missing's 404s: exit %d, want %d", code, exitThreshold)
	}
}

// jsonTargetFigure is what the tests read of a JSON report's target.
type jsonTargetFigure struct {
	Name        string            `json:"name"`
	Requests    uint64            `json:"requests"`
	StatusCodes map[string]uint64 `json:"status_codes"`
}

// targetsOf is a JSON report's targets.
func targetsOf(t *testing.T, report []byte) []jsonTargetFigure {
	t.Helper()
	var rep struct {
		Targets []jsonTargetFigure `json:"targets"`
	}
	if err := json.Unmarshal(report, &rep); err != nil {
		t.Fatal(err)
	}
	return rep.Targets
}

// TestTargetsMerge: gowrk merge adds the shards' targets by name, exactly:
// the merged counts are the sums of the parts', and the shards of -n 800
// send 800 in all, each target exactly as often as one host does.
func TestTargetsMerge(t *testing.T) {
	srv, _ := countingServer(t)
	dir := t.TempDir()
	file := writeFile(t, dir, "t.jsonl", `{"url":"`+srv.URL+`/a","weight":3,"name":"a"}`+"\n"+`{"url":"`+srv.URL+`/missing","name":"m"}`+"\n")
	var parts []string
	for _, shard := range []string{"0/2", "1/2"} {
		p := filepath.Join(dir, "part"+shard[:1]+".json")
		args := []string{"--targets", file, "-n", "800", "-t1", "-c2", "--targets-order", "random", "--seed", "5", "--shard", shard, "-f", "json", "-o", p}
		if code, _, errOut := gowrk(t, args...); code != exitOK {
			t.Fatalf("exit %d: %s", code, errOut)
		}
		parts = append(parts, p)
	}
	code, out, errOut := gowrk(t, append([]string{"merge", "--allow-mixed", "-f", "json"}, parts...)...)
	if code != exitOK {
		t.Fatalf("merge: exit %d: %s", code, errOut)
	}
	merged := targetsOf(t, []byte(out))
	want := map[string]uint64{}
	for _, p := range parts {
		b, _ := os.ReadFile(p)
		for _, f := range targetsOf(t, b) {
			want[f.Name] += f.Requests
		}
	}
	if len(merged) != 2 || merged[0].Requests != want["a"] || merged[1].Requests != want["m"] || want["a"]+want["m"] != 800 {
		t.Errorf("merged targets %+v; want a: %d, m: %d (800 in all)", merged, want["a"], want["m"])
	}
	// The single-host run of the shards' slots draws the same targets:
	// each request's target is a function of its number in the plan.
	code, out, errOut = gowrk(t, "--targets", file, "-n", "800", "-t1", "-c4", "--targets-order", "random", "--seed", "5", "-f", "json")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	single := targetsOf(t, []byte(out))
	if single[0].Requests != want["a"] || single[1].Requests != want["m"] {
		t.Errorf("one host drew a: %d, m: %d; its two shards a: %d, m: %d", single[0].Requests, single[1].Requests, want["a"], want["m"])
	}
}
