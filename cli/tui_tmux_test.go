package cli

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// serveProcess starts `gowrk serve` on a free loopback port for at most
// limit, and returns its URL.
func serveProcess(t *testing.T, bin string, limit time.Duration) string {
	t.Helper()
	cmd := exec.Command(bin, "serve", "-l", "127.0.0.1:0", "-d", limit.String())
	errs, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	line, err := bufio.NewReader(errs).ReadString('\n')
	m := regexp.MustCompile(`listening on (http://\S+/)`).FindStringSubmatch(line)
	if err != nil || m == nil {
		t.Fatalf("gowrk serve said %q (%v)", line, err)
	}
	return m[1]
}

// TestTUIInTmux: --tui as a person sees it, in a real terminal (tmux):
// a run at -R 100 against gowrk serve shows its figures full-screen; the
// figures shown are those of the run's own intervals (the JSON report's:
// requests so far, the interval's requests/s, status codes), with the
// target; q ends the run with its report on stdout (JSON, nothing of the
// screen in it), exit 0, and the terminal is given back (the screen is
// gone from the pane).
func TestTUIInTmux(t *testing.T) {
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Skip("tmux is not installed (apt-get install tmux): the live view is tested in a real terminal")
	}
	bin, err := gowrkBinary()
	if err != nil {
		t.Fatal(err)
	}
	url := serveProcess(t, bin, 2*time.Minute)
	dir := t.TempDir()
	sock := "gowrk-tui-" + strconv.Itoa(os.Getpid())
	tmux := func(args ...string) string {
		t.Helper()
		out, err := exec.Command("tmux", append([]string{"-L", sock, "-f", "/dev/null"}, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("tmux %v: %v: %s", args, err, out)
		}
		return string(out)
	}
	out, errf, code := filepath.Join(dir, "out.json"), filepath.Join(dir, "err.txt"), filepath.Join(dir, "code")
	script := fmt.Sprintf("%s --tui -t1 -c2 -d60s -R 100 --format json %s >%s 2>%s; echo $? >%s.tmp; mv %s.tmp %s; sleep 60",
		bin, url, out, errf, code, code, code)
	tmux("new-session", "-d", "-x", "120", "-y", "30", "env", "TERM=xterm-256color", "LANG=C.UTF-8", "sh", "-c", script)
	defer exec.Command("tmux", "-L", sock, "kill-server").Run()

	// Wait (bounded) for the screen to show the third interval.
	var pane string
	shown := regexp.MustCompile(`requests (\d+)   req/s (\d+) \(target (\d+)/s\)   in flight (\d+)   errors (\d+)`)
	var m []string
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		pane = tmux("capture-pane", "-p")
		if strings.Contains(pane, "elapsed  3s / 1m0s") {
			m = shown.FindStringSubmatch(pane)
			break
		}
	}
	if m == nil {
		t.Fatalf("the screen never showed the run's figures:\n%s", pane)
	}
	t.Logf("the screen:\n%s", pane)
	for _, want := range []string{"q or Ctrl-C", "requests/s, last 3 intervals", "latency p50", "latency p99", "status codes: 200: " + m[1], "errors: connect 0"} {
		if !strings.Contains(pane, want) {
			t.Errorf("the screen lacks %q", want)
		}
	}
	if m[3] != "100" || m[5] != "0" {
		t.Errorf("target %s/s, errors %s; want 100/s and 0", m[3], m[5])
	}
	tmux("send-keys", "q")
	var exit []byte
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if exit, err = os.ReadFile(code); err == nil {
			break
		}
	}
	if strings.TrimSpace(string(exit)) != "0" {
		t.Fatalf("exit %q after q", exit)
	}
	after := tmux("capture-pane", "-p")
	if strings.Contains(after, "q or Ctrl-C") {
		t.Errorf("the screen is still there after the run:\n%s", after)
	}
	checkShownFigures(t, out, errf, m)
}

// checkShownFigures compares what the screen showed with the report on
// stdout: the requests shown are the sum of the report's first intervals,
// and the requests/s shown is the last of those intervals' rate.
func checkShownFigures(t *testing.T, out, errf string, m []string) {
	t.Helper()
	b, _ := os.ReadFile(out)
	var rep struct {
		Requests    uint64 `json:"requests"`
		Interrupted bool   `json:"interrupted"`
		Intervals   []struct {
			Requests uint64  `json:"requests"`
			Rate     float64 `json:"requests_per_sec"`
		} `json:"intervals"`
	}
	if strings.Contains(string(b), "\x1b") || json.Unmarshal(b, &rep) != nil {
		t.Fatalf("stdout is not the JSON report alone: %q", b)
	}
	e, _ := os.ReadFile(errf)
	if strings.Contains(string(e), "\x1b") {
		t.Errorf("the screen was drawn on stderr: %q", e)
	}
	shownReq, _ := strconv.ParseUint(m[1], 10, 64)
	var sum uint64
	matched := false
	for _, iv := range rep.Intervals {
		sum += iv.Requests
		if sum == shownReq && fmt.Sprintf("%.0f", iv.Rate) == m[2] {
			matched = true
			break
		}
	}
	if !matched || !rep.Interrupted || rep.Requests < shownReq {
		t.Errorf("shown %s requests at %s/s: no interval of the report ends there (interrupted %v, %d requests): %+v", m[1], m[2], rep.Interrupted, rep.Requests, rep.Intervals)
	}
}
