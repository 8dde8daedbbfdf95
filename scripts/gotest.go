//go:build ignore

// gotest runs `go test -json` once per stage and prints what plain `go test`
// prints (each package's closing line, "FAIL", a failed test's output, build
// errors), then one line naming every skipped test, why it skipped and what
// to install for it. Each argument is one stage: go test's flags and
// packages separated by spaces. Every stage runs; the exit status is 1 when
// any failed. `make test` runs it:
//
//	go run scripts/gotest.go "-count=1 -run Alloc ./loadgen/..." "-race ./..."
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"sort"
	"strings"
)

// event is one line of `go test -json` (cmd/test2json).
type event struct {
	Action, Package, Test, Output, ImportPath string
}

// skip is one skipped test and the reason it gave.
type skip struct{ test, reason string }

func main() {
	failed := false
	var skips []skip
	for _, stage := range os.Args[1:] {
		ok, s := runStage(strings.Fields(stage))
		failed = failed || !ok
		skips = append(skips, s...)
	}
	fmt.Println(summary(skips))
	if failed {
		os.Exit(1)
	}
}

// runStage runs go test -json with args, prints what plain go test would,
// and returns whether it passed and what skipped.
func runStage(args []string) (bool, []skip) {
	fmt.Printf("go test %s\n", strings.Join(args, " "))
	gocmd := os.Getenv("GO") // make passes its $(GO)
	if gocmd == "" {
		gocmd = "go"
	}
	cmd := exec.Command(gocmd, append([]string{"test", "-json"}, args...)...)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		fmt.Fprintln(os.Stderr, "gotest:", err)
		return false, nil
	}
	if err := cmd.Start(); err != nil {
		fmt.Fprintln(os.Stderr, "gotest:", err)
		return false, nil
	}
	skips := follow(out, os.Stdout)
	return cmd.Wait() == nil, skips
}

// follow reads go test -json events from r and writes to w what plain go
// test prints: package lines at once, a test's output only when it fails
// (or when its package fails while it runs: a panic, a timeout).
func follow(r io.Reader, w io.Writer) []skip {
	var skips []skip
	held := map[string][]string{} // package + "\x00" + test: output so far
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		var e event
		if json.Unmarshal(sc.Bytes(), &e) != nil {
			fmt.Fprintln(w, sc.Text()) // not an event: pass it on
			continue
		}
		key := e.Package + "\x00" + e.Test
		switch {
		case e.Action == "build-output":
			fmt.Fprint(w, e.Output)
		case e.Test == "" && e.Action == "output":
			if e.Output != "PASS\n" { // -json runs the binary verbose; plain go test shows only "ok"
				fmt.Fprint(w, e.Output)
			}
		case e.Test == "" && e.Action == "fail":
			for k, lines := range held { // tests that never ended: print what they said
				if strings.HasPrefix(k, e.Package+"\x00") {
					fmt.Fprint(w, strings.Join(lines, ""))
					delete(held, k)
				}
			}
		case e.Action == "output":
			if !strings.HasPrefix(e.Output, "=== ") {
				held[key] = append(held[key], e.Output)
			}
		case e.Action == "fail":
			fmt.Fprint(w, strings.Join(held[key], ""))
			delete(held, key)
		case e.Action == "skip" && e.Test == "": // a package with no tests: "?" above says so
		case e.Action == "skip":
			skips = append(skips, skip{e.Test, skipReason(held[key])})
			delete(held, key)
		case e.Action == "pass":
			delete(held, key)
		}
	}
	return skips
}

var logPrefix = regexp.MustCompile(`^\s*[\w.-]+\.go:\d+: `)

// skipReason is the message a skipped test gave (its t.Skip text), without
// the file:line prefix and the "--- SKIP" line.
func skipReason(lines []string) string {
	var msg []string
	for _, l := range lines {
		if strings.HasPrefix(strings.TrimSpace(l), "--- SKIP") {
			continue
		}
		msg = append(msg, strings.TrimSpace(logPrefix.ReplaceAllString(l, "")))
	}
	if len(msg) == 0 {
		return "no reason given"
	}
	return strings.Join(msg, " ")
}

// installHint finds the Debian packages a skip names: "(apt-get install
// a b)", "(Debian: apt-get install a)" or "(apt-get install a; more
// words)", the names alone.
var installHint = regexp.MustCompile(`\((?:Debian: )?apt-get install ([a-z0-9][a-z0-9.+ -]*)[);]`)

// summary is one line: how many tests skipped, grouped by reason, and the
// Debian packages that would let them run.
func summary(skips []skip) string {
	byReason := map[string][]string{}
	pkgs := map[string]bool{}
	for _, s := range skips {
		reason, _, _ := strings.Cut(s.reason, "; .ci/run installs")
		reason, _, _ = strings.Cut(reason, "; scripts/install-test-deps.sh installs")
		byReason[reason] = append(byReason[reason], s.test)
		for _, m := range installHint.FindAllStringSubmatch(s.reason, -1) {
			for _, p := range strings.Fields(m[1]) {
				pkgs[p] = true
			}
		}
	}
	if len(skips) == 0 {
		return "skipped: none"
	}
	var reasons []string
	for r, tests := range byReason {
		sort.Strings(tests)
		reasons = append(reasons, fmt.Sprintf("%s [%s]", r, strings.Join(tests, ", ")))
	}
	sort.Strings(reasons)
	line := fmt.Sprintf("skipped %d tests: %s", len(skips), strings.Join(reasons, "; "))
	if len(pkgs) > 0 {
		var names []string
		for p := range pkgs {
			names = append(names, p)
		}
		sort.Strings(names)
		line += fmt.Sprintf(". To run them: sudo apt-get install %s (or bash scripts/install-test-deps.sh)", strings.Join(names, " "))
	}
	return line
}
