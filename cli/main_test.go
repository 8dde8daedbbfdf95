package cli

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"encoding/pem"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gowrk/gowrk/loadgen/testserver"
	"github.com/spf13/pflag"
)

func gowrk(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = Main(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

// server starts a test server and stops it when the test ends.
var server = testserver.StartT

// TestBadInput: one clear line on stderr naming the flag or value, exit 2,
// nothing on stdout.
func TestBadInput(t *testing.T) {
	body := filepath.Join(t.TempDir(), "missing")
	dir := t.TempDir()
	same, otherCSV := filepath.Join(dir, "same"), filepath.Join(dir, "other.csv")
	if err := os.WriteFile(otherCSV, []byte("start,end,url\n1,2,3\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	noDir := filepath.Join(dir, "no", "such", "dir", "file")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "missing URL"},
		{[]string{"127.0.0.1:8080"}, "missing scheme"},
		{[]string{"ftp://127.0.0.1/"}, `scheme "ftp" is not supported`},
		{[]string{"http://"}, "missing host"},
		{[]string{"http://[::1"}, "invalid URL"},
		{[]string{"http://127.0.0.1:1/a b"}, `invalid URL "http://127.0.0.1:1/a b": a space in it; write %20 for a space in a path or query`},
		{[]string{"--bogus", "http://127.0.0.1/"}, "unknown flag: --bogus"},
		{[]string{"-t4", "-c2", "http://127.0.0.1/"}, "--connections 2 is less than --threads 4"},
		{[]string{"-c0", "http://127.0.0.1/"}, "--connections"},
		{[]string{"--shard", "3/3", "http://127.0.0.1/"}, `--shard "3/3": want I/N with 0 <= I < N`},
		{[]string{"--shard", "x", "http://127.0.0.1/"}, `--shard "x"`},
		{[]string{"--shard", "0/3", "-c10", "-R", "100", "http://127.0.0.1/"}, "-c 10 must be a multiple of 3"},
		{[]string{"--shard", "0/3", "-R", "10:20:10@1s", "http://127.0.0.1/"}, "--shard goes with closed loop or a constant -R"},
		{[]string{"--shard", "2/3", "-t2", "-c4", "http://127.0.0.1/"}, "this shard's 1 connections (of -c 4) are fewer than -t 2"},
		{[]string{"--start-at", "tomorrow", "http://127.0.0.1/"}, `--start-at "tomorrow": want RFC 3339`},
		{[]string{"--start-at", "2099-01-01T00:00:00Z", "http://127.0.0.1/"}, "more than 24h0m0s ahead"},
		{[]string{"merge", "--format", "xml", "a.json"}, `--format "xml"`},
		{[]string{"merge", "--fail-on", "p99<<1", "a.json"}, `--fail-on "p99<<1": "<<" is no comparison`},
		{[]string{"--fail-on", "p99=<1ms", "http://127.0.0.1/"}, `--fail-on "p99=<1ms": "=<" is no comparison: the operators are < <= > >= =`},
		{[]string{"--fail-on", "p99<1ms,p50<1ms", "http://127.0.0.1/"}, "one threshold per --fail-on: repeat the flag for another"},
		{[]string{"--fail-on", "p99<-5ms", "http://127.0.0.1/"}, "a bound is not negative"},
		{[]string{"-c", "-5", "http://127.0.0.1/"}, "--connections"},
		{[]string{"-t", "x", "http://127.0.0.1/"}, "--threads"},
		{[]string{"-d", "0", "http://127.0.0.1/"}, "--duration"},
		{[]string{"-d", "-1s", "http://127.0.0.1/"}, "--duration"},
		{[]string{"-d", "soon", "http://127.0.0.1/"}, "--duration"},
		{[]string{"--timeout", "0s", "http://127.0.0.1/"}, "--timeout"},
		{[]string{"-R", "0", "http://127.0.0.1/"}, "--rate"},
		{[]string{"-R", "fast", "http://127.0.0.1/"}, "--rate"},
		{[]string{"-n", "1.5", "http://127.0.0.1/"}, "--requests"},
		{[]string{"-H", "NoColon", "http://127.0.0.1/"}, "--header"},
		{[]string{"-H", "Authorization Bearer s3cr3t-token", "http://127.0.0.1/"}, `--header starting "Authorization"`},
		{[]string{"-f", "xml", "http://127.0.0.1/"}, `--format "xml"`},
		{[]string{"--body-file", body, "http://127.0.0.1/"}, "--body-file"},
		{[]string{"-b", "x", "--body-file", body, "http://127.0.0.1/"}, "--body and --body-file"},
		{[]string{"-m", "GE T", "http://127.0.0.1/"}, "--method"},
		{[]string{"http://127.0.0.1/", "http://127.0.0.2/"}, "one URL expected"},
		{[]string{"--h2c", "https://127.0.0.1/"}, "--h2c is HTTP/2 over cleartext"},
		{[]string{"--streams", "4", "http://127.0.0.1/"}, "--streams 4 needs --http2"},
		{[]string{"--http2", "--streams", "0", "http://127.0.0.1/"}, "--streams"},
		{[]string{"--h2c", "--h2-window", "3g", "http://127.0.0.1/"}, "largest window, 2147483647"},
		{[]string{"--h2c", "--h2-window", "lots", "http://127.0.0.1/"}, "--h2-window"},
		{[]string{"--h2-window", "64k", "http://127.0.0.1/"}, "need --http2"},
		{[]string{"--h2c", "--h2-conn-window", "1000", "http://127.0.0.1/"}, "at least 65535"},
		{[]string{"--sni", "x", "http://127.0.0.1/"}, "apply to https:// URLs only"},
		{[]string{"-q", "100", "http://127.0.0.1/"}, "-q 100: -q is --quiet here (no progress line); the rate is -R: -R 100"},
		{[]string{"-R", "50/0s", "http://127.0.0.1/"}, "requests per time (50/1s, 3000/1m)"},
		{[]string{"-R", "50/soon", "http://127.0.0.1/"}, "requests per time"},
		{[]string{"--tls-min", "1.1", "https://127.0.0.1/"}, `--tls-min "1.1": want 1.2 or 1.3`},
		{[]string{"--cert", "c.pem", "https://127.0.0.1/"}, "--cert and --key"},
		{[]string{"--cacert", body, "https://127.0.0.1/"}, "--cacert"},
		{[]string{"http://127.0.0.1:0/"}, "port 0; want 1 to 65535"},
		{[]string{"http://127.0.0.1:99999/"}, "port 99999; want 1 to 65535"},
		{[]string{"-H", "Host:", "http://127.0.0.1/"}, `--header "Host:" has no value`},
		{[]string{"-R", "1e10", "http://127.0.0.1/"}, "at most 1e9 (1G) requests per second"},
		{[]string{"-n", "1e13", "http://127.0.0.1/"}, "at most 1e12"},
		{[]string{"-d", "1ns", "http://127.0.0.1/"}, "--duration 1ns: at least 10ms"},
		{[]string{"-L", "false", "http://127.0.0.1/"}, "a boolean flag takes no separate value"},
		{[]string{"--timeout-action", "drop", "http://127.0.0.1/"}, `--timeout-action "drop": want wait or abort`},
		{[]string{"--connect-timeout", "0", "http://127.0.0.1/"}, "--connect-timeout"},
		{[]string{"serve", "extra"}, "gowrk serve takes no arguments"},
		{[]string{"--stream", "http://127.0.0.1/"}, "--stream goes with --format json"},
		{[]string{"--slo", "p99<1s", "http://127.0.0.1/"}, "--slo goes with --find-max-rate"},
		{[]string{"-R", "100:50:10@1s", "http://127.0.0.1/"}, "malformed steps"},
		{[]string{"-R", "0..10", "http://127.0.0.1/"}, "a ramp needs /DURATION"},
		{[]string{"-R", "10:20:5@1s", "--warmup", "1s", "-d", "2s", "http://127.0.0.1/"}, "--warmup goes with a constant -R"},
		{[]string{"--find-max-rate", "http://127.0.0.1/"}, "--find-max-rate needs at least one --slo"},
		{[]string{"--find-max-rate", "--slo", "p99<1s", "-R", "10", "http://127.0.0.1/"}, "drop --rate"},
		{[]string{"--find-max-rate", "--slo", "p99", "http://127.0.0.1/"}, "--slo"},
		{[]string{"--find-max-rate", "--slo", "p99<1s", "--precision", "0%", "http://127.0.0.1/"}, "--precision"},
		{[]string{"--intervals", "http://127.0.0.1/"}, "--intervals goes with --format csv"},
		{[]string{"--interval", "1ms", "http://127.0.0.1/"}, "--interval 1ms: at least 10ms"},
		{[]string{"--percentiles", "50,abc", "http://127.0.0.1/"}, "--percentiles"},
		{[]string{"--fail-on", "p99", "http://127.0.0.1/"}, "--fail-on"},
		{[]string{"--progress", "--quiet", "http://127.0.0.1/"}, "--progress and --quiet"},
		{[]string{"--engine", "turbo", "http://127.0.0.1/"}, `--engine "turbo"`},
		{[]string{"--engine", "loop", "https://127.0.0.1/"}, "--engine loop speaks http:// only"},
		{[]string{"-P", "4", "--engine", "goroutine", "http://127.0.0.1/"}, "needs the loop engine"},
		{[]string{"serve", "--status", "99"}, "--status 99"},
		{[]string{"-o", same, "--html", same, "http://127.0.0.1/"}, "-o and --html name the same file"},
		{[]string{"--html", same, "--hdr-log", dir + "/../" + filepath.Base(dir) + "/same", "http://127.0.0.1/"}, "--html and --hdr-log name the same file"},
		{[]string{"--html", noDir, "http://127.0.0.1/"}, "--html \"" + noDir + "\": cannot write it"},
		{[]string{"--hdr-log", noDir, "http://127.0.0.1/"}, "--hdr-log \"" + noDir + "\": cannot write it"},
		{[]string{"-f", "csv", "-o", otherCSV, "http://127.0.0.1/"}, "its CSV header differs from this run's"},
		{[]string{"--start-at", "1", "http://127.0.0.1/"}, "in the past (at most 5s"},
		{[]string{"-R", "1e-300", "http://127.0.0.1/"}, "below the smallest rate, 0.001 requests per second"},
		{[]string{"--fail-on", "errors=1.5", "http://127.0.0.1/"}, "errors without % is a count, a whole number"},
		{[]string{"merge", "--fail-on", "timeouts<0.5", "a.json"}, "a whole number"},
		{[]string{"--fail-on", "rate_achieved>=99%", "http://127.0.0.1/"}, `--fail-on "rate_achieved>=99%": rate_achieved is a share of the -R target, and this run has none (closed loop); give -R, or drop it`},
		{[]string{"-H", "X-A: b\x01c", "http://127.0.0.1/"}, `--header starting "X-A"`},
		{[]string{"-H", "X-A\x7f: b", "http://127.0.0.1/"}, "--header"},
		{[]string{"-H", "X-A: b\rInjected: s3cr3t", "http://127.0.0.1/"}, "(value not shown)"},
		{[]string{"http://127.0.0.1/?a=%zz"}, `"%zz" in the query is not a %XX escape`},
		{[]string{"http://127.0.0.1/?a=1%"}, `"%" in the query is not a %XX escape`},
	} {
		code, out, errs := gowrk(t, tc.args...)
		if code != 2 || out != "" || !strings.Contains(errs, tc.want) || strings.Count(errs, "\n") != 1 || stackTrace.MatchString(errs) || strings.Contains(errs, "s3cr3t") {
			t.Errorf("gowrk %q = exit %d, stdout %q, stderr %q; want exit 2 and one line containing %q", tc.args, code, out, errs, tc.want)
		}
	}
}

func TestHelpAndVersion(t *testing.T) {
	if code, out, _ := gowrk(t, "--help"); code != 0 || !strings.Contains(out, "--connections") {
		t.Errorf("--help: exit %d, %q", code, out)
	}
	if code, out, _ := gowrk(t, "-v"); code != 0 || !strings.HasPrefix(out, "gowrk ") {
		t.Errorf("-v: exit %d, %q", code, out)
	}
}

// TestSubcommands: every subcommand Main runs has its usage line in
// --help, its own --help, and its place, with its flags, in the shell
// completions.
func TestSubcommands(t *testing.T) {
	_, help, _ := gowrk(t, "--help")
	usage, _, _ := strings.Cut(help, "\n\n")
	_, bash, _ := gowrk(t, "completion", "bash")
	subs := regexp.MustCompile(`case "\$\{COMP_WORDS\[1\]\}" in ([a-z|]+)\)`).FindStringSubmatch(bash)
	var names []string
	for _, sc := range subcommandList() {
		names = append(names, sc.name)
		if !strings.Contains(usage, "gowrk "+sc.name+" "+sc.args) {
			t.Errorf("--help's usage lacks gowrk %s:\n%s", sc.name, usage)
		}
		code, out, errs := gowrk(t, sc.name, "--help")
		if code != 0 || !strings.HasPrefix(out, "Usage: gowrk "+sc.name) {
			t.Errorf("gowrk %s --help: exit %d, %q %q", sc.name, code, out, errs)
		}
		if sc.flags != nil {
			sc.flags().VisitAll(func(f *pflag.Flag) {
				if !strings.Contains(bash, "--"+f.Name) {
					t.Errorf("bash completion lacks gowrk %s --%s", sc.name, f.Name)
				}
			})
		}
	}
	if subs == nil || subs[1] != strings.Join(names, "|") {
		t.Errorf("bash completion's subcommands %v, want %v", subs, names)
	}
	if n := strings.Count(usage, "\n       gowrk "); n != len(names) {
		t.Errorf("--help's usage has %d subcommand lines, want %d:\n%s", n, len(names), usage)
	}
}

// TestTextReport: wrk's layout, and -n exact against the server's count.
func TestTextReport(t *testing.T) {
	s := server(t, testserver.Behaviour{})
	code, out, errs := gowrk(t, "-t1", "-c2", "-n", "500", "--latency", s.URL())
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, want := range []string{"Running ", "  1 threads and 2 connections", "  Thread Stats   Avg      Stdev     Max   +/- Stdev",
		"    Latency ", "    Req/Sec ", "  Latency Distribution\n     50%", "  500 requests in ", "Requests/sec: ", "Transfer/sec: ",
		"Latency Distribution (HdrHistogram - Recorded Latency)", "Detailed Percentile spectrum"} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
	if n := s.Requests.Load(); n != 500 {
		t.Errorf("server counted %d requests, want 500", n)
	}
}

// TestJSONReport: the fixed fields are there and agree with the server.
func TestJSONReport(t *testing.T) {
	s := server(t, testserver.Behaviour{StatusFor: func(n int64) int {
		if n%10 == 0 {
			return 500
		}
		return 200
	}})
	code, out, errs := gowrk(t, "-t2", "-c4", "-n", "1000", "-f", "json", "-H", "Authorization: Bearer topsecret", s.URL())
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var doc struct {
		SchemaVersion int               `json:"schema_version"`
		Requests      uint64            `json:"requests"`
		DurationUs    int64             `json:"duration_us"`
		BytesRead     int64             `json:"bytes_read"`
		Errors        map[string]uint64 `json:"errors"`
		StatusCodes   map[string]uint64 `json:"status_codes"`
		Latency       struct {
			MinUs, MaxUs  int64
			PercentilesUs map[string]int64 `json:"percentiles_us"`
			Histogram     string           `json:"histogram"`
		} `json:"latency"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("%v:\n%s", err, out)
	}
	s.Close()
	if doc.SchemaVersion != 1 || doc.Requests != 1000 || doc.StatusCodes["200"] != 900 || doc.StatusCodes["500"] != 100 || doc.Errors["status"] != 100 {
		t.Errorf("json: %+v", doc)
	}
	if doc.BytesRead != s.BytesOut.Load() {
		t.Errorf("bytes_read %d, server wrote %d", doc.BytesRead, s.BytesOut.Load())
	}
	for _, k := range []string{"50", "75", "90", "99", "99.9", "99.99", "99.999"} {
		if _, ok := doc.Latency.PercentilesUs[k]; !ok {
			t.Errorf("percentiles_us lacks %q", k)
		}
	}
	if strings.Contains(out, "topsecret") {
		t.Error("JSON report prints the Authorization value")
	}
}

// TestCSVAppend: -o to an existing CSV file appends a row, no second header.
func TestCSVAppend(t *testing.T) {
	s := server(t, testserver.Behaviour{})
	path := filepath.Join(t.TempDir(), "runs.csv")
	for range 2 {
		if code, out, errs := gowrk(t, "-t1", "-c1", "-n", "10", "-f", "csv", "-o", path, s.URL()); code != 0 || out != "" {
			t.Fatalf("exit %d, stdout %q, stderr %s", code, out, errs)
		}
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 || rows[0][0] != "start" || rows[1][10] != "10" || rows[2][10] != "10" {
		t.Errorf("rows: %q", rows)
	}
	// Another --percentiles list would shift every column after the
	// latency percentiles: refused before the run, the file as it was.
	before, _ := os.ReadFile(path)
	code, out, errs := gowrk(t, "-t1", "-c1", "-n", "10", "-f", "csv", "--percentiles", "50,99", "-o", path, s.URL())
	after, _ := os.ReadFile(path)
	if code != 2 || out != "" || !bytes.Equal(before, after) || !strings.Contains(errs, "not in this run: latency_p75_us, latency_p90_us") {
		t.Errorf("appending under another header: exit %d, stderr %q, file changed %v", code, errs, !bytes.Equal(before, after))
	}
}

// TestAllConnectionsFail: a report with the connect errors, exit 1.
func TestAllConnectionsFail(t *testing.T) {
	s := server(t, testserver.Behaviour{})
	addr := s.URL()
	s.Close()
	code, out, errs := gowrk(t, "-t1", "-c2", "-d", "300ms", addr)
	// One dial per connection (the goroutine engine also counts the run's
	// own first dial), then the run stops.
	if code != 1 || !(strings.Contains(out, "Socket errors: connect 2,") || strings.Contains(out, "Socket errors: connect 3,")) || !strings.Contains(errs, "cannot connect to "+strings.TrimSuffix(strings.TrimPrefix(addr, "http://"), "/")) {
		t.Errorf("exit %d\nstdout %s\nstderr %s", code, out, errs)
	}
}

// TestTimeoutHint: a server slower than the timeout gets the plain-words
// line that explains the timeouts, and the run ends on time. By default
// the late answers are counted (10 connections, 700 ms each: 10 answered
// in a 1 s run, 10 waiting at the stop: wrk's Socket errors line counts
// the 10 answered late, as wrk does, gowrk's Timeouts line all 20); with
// abort, none is.
func TestTimeoutHint(t *testing.T) {
	s := server(t, testserver.Behaviour{Delay: 700 * time.Millisecond})
	for _, tc := range []struct {
		action string
		exit   int
		want   []string
	}{
		{"wait", 0, []string{"10 requests in 1.0", "Socket errors: connect 0, read 0, write 0, timeout 10", "Timeouts: 20 passed --timeout 200ms: 10 answered late (in the latency figures), 10 still waiting at the stop", "20 of 20 requests sent passed --timeout 200ms: 10 were answered late"}},
		{"abort", 1, []string{"0 requests in 1.0", "were abandoned (--timeout-action abort)"}},
	} {
		wait, began := testserver.CPUWait(), time.Now()
		code, out, _ := gowrk(t, "-t1", "-c10", "-d", "1s", "--timeout", "200ms", "--timeout-action", tc.action, s.URL())
		if el := time.Since(began); el > 1200*time.Millisecond+3*time.Second+wait() { // a hang bound
			t.Errorf("%s: run took %s, %s of it waiting for a CPU", tc.action, el, wait())
		}
		if code != tc.exit {
			t.Errorf("%s: exit %d, want %d", tc.action, code, tc.exit)
		}
		for _, w := range tc.want {
			if !strings.Contains(out, w) {
				// The counts follow from 700 ms answers in a 1 s run: a
				// starved machine shifts them (testserver.Judge).
				testserver.Judge(t, wait(), time.Second, "how many 700 ms answers fit in a 1 s run")
				t.Errorf("%s: report lacks %q:\n%s", tc.action, w, out)
			}
		}
	}
}

// TestTLS: an untrusted certificate stops the run with a line naming -k;
// with -k the run goes through.
func TestTLS(t *testing.T) {
	ts := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) }))
	ts.Config.ErrorLog = log.New(io.Discard, "", 0) // the handshake gowrk refuses is expected
	ts.StartTLS()
	defer ts.Close()
	code, out, errs := gowrk(t, "-t1", "-c1", "-n", "5", ts.URL+"/")
	if code != 1 || out != "" || !strings.Contains(errs, "not trusted") || !strings.Contains(errs, "-k/--insecure") {
		t.Errorf("untrusted: exit %d, stdout %q, stderr %q", code, out, errs)
	}
	code, out, errs = gowrk(t, "-k", "-t1", "-c1", "-n", "5", ts.URL+"/")
	if code != 0 || !strings.Contains(out, "5 requests in") {
		t.Errorf("-k: exit %d, stdout %q, stderr %q", code, out, errs)
	}
}

// TestHTTP2CLI: --http2 with --cacert and --streams over TLS; the JSON
// report records the protocol and TLS version spoken.
func TestHTTP2CLI(t *testing.T) {
	var requests atomic.Int64
	ts := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		w.Write([]byte("ok"))
	}))
	ts.EnableHTTP2 = true
	ts.StartTLS()
	defer ts.Close()
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ts.Certificate().Raw}), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errs := gowrk(t, "--http2", "--cacert", ca, "--tls-min", "1.3", "-t1", "-c2", "--streams", "5", "-n", "300", "-f", "json", ts.URL+"/")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var doc struct {
		Requests uint64
		Config   struct{ Protocol string }
		TLS      struct{ Version string }
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Requests != 300 || requests.Load() != 300 || doc.Config.Protocol != "h2" || doc.TLS.Version != "TLS 1.3" {
		t.Errorf("report %+v, server counted %d", doc, requests.Load())
	}
}

// TestSecretsNotPrinted: credentials in the URL and sensitive headers are
// sent to the server but appear in no report.
func TestSecretsNotPrinted(t *testing.T) {
	var auth, cookie atomic.Value
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		auth.Store(r.Header.Get("Authorization"))
		cookie.Store(r.Header.Get("Cookie"))
	}))
	defer ts.Close()
	u := strings.Replace(ts.URL, "http://", "http://alice:pa55word@", 1) + "/"
	for _, format := range []string{"text", "json", "csv"} {
		code, out, errs := gowrk(t, "-t1", "-c1", "-n", "3", "-f", format, "-H", "Cookie: session=c00kie", "-H", "X-Api-Token: t0ken", u)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errs)
		}
		for _, secret := range []string{"pa55word", "c00kie", "t0ken", "YWxpY2U6cGE1NXdvcmQ="} {
			if strings.Contains(out+errs, secret) {
				t.Errorf("%s report prints %q", format, secret)
			}
		}
	}
	if got := auth.Load(); got != "Basic YWxpY2U6cGE1NXdvcmQ=" {
		t.Errorf("server got Authorization %q, want Basic alice:pa55word", got)
	}
	if got := cookie.Load(); got != "session=c00kie" {
		t.Errorf("server got Cookie %q", got)
	}
}

func TestUnresolvableHost(t *testing.T) {
	code, out, errs := gowrk(t, "-d1s", "http://no-such-host.invalid/")
	if code != 1 || out != "" || !strings.Contains(errs, "cannot resolve host") {
		t.Errorf("exit %d, stdout %q, stderr %q", code, out, errs)
	}
}

// stackTrace matches a Go panic's goroutine header.
var stackTrace = regexp.MustCompile(`goroutine \d+ \[`)
