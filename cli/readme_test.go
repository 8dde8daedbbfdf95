package cli

import (
	"bufio"
	"context"
	"flag"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

var updateSample = flag.Bool("update-sample", false, "rewrite the README's quick-start sample with this run's output")

// The markers around the README's quick-start sample.
const (
	sampleBegin = "<!-- quick-start sample: begin"
	sampleEnd   = "<!-- quick-start sample: end -->"
)

// sampleNumber matches a figure with its unit (10.92ms, 0.95MB, 69.73%,
// 4570, 8.001s, 127.0.0.1:8080): shapeOf masks each, since only the
// layout of the output is the sample's promise, not its figures.
var sampleNumber = regexp.MustCompile(`\d+(\.\d+)*(:\d+)?(us|ms|s|m|h|[KMGT]?B|%)?`)

// shapeOf is a line's shape: figures masked as #, runs of spaces as one;
// a percentile's ">= " (only a lower bound, which one is run by run) is
// part of its figure.
func shapeOf(line string) string {
	return strings.Join(strings.Fields(sampleNumber.ReplaceAllString(strings.ReplaceAll(line, ">= ", ""), "#")), " ")
}

// readmeSample returns the README, and the quick-start block's lines
// between its fences, the command line first ("$ ...").
func readmeSample(t *testing.T) (readme string, lines []string) {
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme = string(b)
	_, rest, ok := strings.Cut(readme, sampleBegin)
	block, _, ok2 := strings.Cut(rest, sampleEnd)
	if !ok || !ok2 {
		t.Fatalf("README.md has no block between %q and %q", sampleBegin, sampleEnd)
	}
	_, block, _ = strings.Cut(block, "```\n")
	block, _, _ = strings.Cut(block, "```")
	lines = strings.Split(strings.TrimSuffix(block, "\n"), "\n")
	if !strings.HasPrefix(lines[0], "$ ") {
		t.Fatalf("the quick-start sample starts with %q, want the command line ($ ...)", lines[0])
	}
	return readme, lines
}

// serveCommand runs gowrk serve (args without "serve") in-process until ctx
// ends or its -d passes. It returns the URL it listens on, its start line,
// its stdout (whole once done has yielded) and its exit code on done.
func serveCommand(t *testing.T, ctx context.Context, args []string) (url, listening string, out *strings.Builder, done <-chan int) {
	t.Helper()
	pr, pw := io.Pipe()
	out = &strings.Builder{}
	codes := make(chan int, 1)
	go func() { codes <- Main(ctx, append([]string{"serve"}, args...), out, pw); pw.Close() }()
	listening, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatalf("gowrk serve printed no start line: %v", err)
	}
	go io.Copy(io.Discard, pr)
	_, rest, _ := strings.Cut(listening, "listening on ")
	url, _, _ = strings.Cut(rest, " ")
	return url, listening, out, codes
}

// TestQuickStartSample runs the README's quick-start command (gowrk serve,
// then gowrk against it, with the arguments the README shows) and checks
// that its output has the sample's shape line for line: a report whose
// lines changed makes the README's sample stale, and this test fails.
// -update-sample rewrites the sample from this run.
func TestQuickStartSample(t *testing.T) {
	readme, lines := readmeSample(t)
	cmd := strings.TrimPrefix(lines[0], "$ ")
	serveCmd, loadCmd, ok := strings.Cut(cmd, " & sleep 1; ")
	if !ok || !strings.HasPrefix(serveCmd, "./gowrk serve ") || !strings.HasPrefix(loadCmd, "./gowrk ") {
		t.Fatalf("quick-start command %q: want ./gowrk serve ... & sleep 1; ./gowrk ...", cmd)
	}
	const readmeURL = "http://127.0.0.1:8080/"
	serveArgs := append(strings.Fields(serveCmd)[2:], "-l", "127.0.0.1:0")
	loadArgs := strings.Fields(loadCmd)[1:]
	if loadArgs[len(loadArgs)-1] != readmeURL {
		t.Fatalf("quick-start command %q: want gowrk's URL last, %s", cmd, readmeURL)
	}

	// gowrk serve ends by itself, at its -d, as in the README.
	url, listening, serveOut, done := serveCommand(t, context.Background(), serveArgs)
	loadArgs[len(loadArgs)-1] = url
	code, report, errs := gowrk(t, loadArgs...)
	if c := <-done; c != 0 || code != 0 {
		t.Fatalf("gowrk serve exit %d, gowrk exit %d: %s", c, code, errs)
	}
	got := []string{lines[0]}
	got = append(got, strings.ReplaceAll(strings.TrimSuffix(listening, "\n"), url, readmeURL))
	got = append(got, strings.Split(strings.ReplaceAll(strings.TrimSuffix(report, "\n"), url, readmeURL), "\n")...)
	got = append(got, strings.Split(strings.TrimSuffix(serveOut.String(), "\n"), "\n")...)

	if *updateSample {
		_, rest, _ := strings.Cut(readme, sampleBegin)
		old, _, _ := strings.Cut(rest, sampleEnd)
		head, _, _ := strings.Cut(old, "```")
		updated := strings.Replace(readme, old, head+"```\n"+strings.Join(got, "\n")+"\n```\n", 1)
		if err := os.WriteFile("../README.md", []byte(updated), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	for i := 0; i < max(len(got), len(lines)); i++ {
		var g, w string
		if i < len(got) {
			g = got[i]
		}
		if i < len(lines) {
			w = lines[i]
		}
		if shapeOf(g) != shapeOf(w) {
			t.Errorf("README's quick-start sample is stale at line %d:\n  README: %q\n  gowrk:  %q\nrerun with -update-sample to rewrite it; this run printed:\n%s",
				i+1, w, g, strings.Join(got, "\n"))
			break
		}
	}
}

// TestREADMECommands: every gowrk command line in the README's "Ten
// commands" block is one gowrk accepts (gowrk merge's need files, and are
// checked for their flags only).
func TestREADMECommands(t *testing.T) {
	readme, _ := readmeSample(t)
	t.Chdir("..") // the commands' paths (-s scripts/lua/...) are from the repository's root
	_, rest, ok := strings.Cut(readme, "## Ten commands\n\n```\n")
	block, _, ok2 := strings.Cut(rest, "```")
	if !ok || !ok2 {
		t.Fatal(`README.md has no "## Ten commands" code block`)
	}
	n := 0
	for _, line := range strings.Split(strings.TrimSpace(block), "\n") {
		line, _, _ = strings.Cut(line, " # ")
		line, _, _ = strings.Cut(line, " > ")
		args := shellWords(strings.TrimPrefix(line, "gowrk "))
		n++
		var err error
		if args[0] == "merge" {
			err = newMergeFlagSet(&mergeOptions{}).Parse(args[1:])
		} else {
			_, err = parseArgs(context.Background(), args)
		}
		if err != nil {
			t.Errorf("README's command %q: %v", line, err)
		}
	}
	if n != 10 {
		t.Errorf("the README's ten commands are %d", n)
	}
}

// mdLink matches a Markdown link's target: [text](target).
var mdLink = regexp.MustCompile(`\]\(([^)\s]+)\)`)

// anchorOf is GitHub's anchor for a heading: lower case, punctuation
// dropped (hyphens and underscores kept), spaces as hyphens.
func anchorOf(heading string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(heading) {
		switch {
		case r == ' ':
			b.WriteRune('-')
		case r == '-' || r == '_' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r > 0x7f:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// TestDocLinks: every relative link in the README and docs/ reaches a
// file that exists, and an anchor a heading of that file, so that the
// README's way to any flag or figure does not end on a dead link.
func TestDocLinks(t *testing.T) {
	files, _ := filepath.Glob("../docs/*.md")
	files = append(files, "../README.md")
	anchors := map[string]map[string]bool{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		anchors[f] = map[string]bool{}
		fence := false
		for _, line := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(line, "```") {
				fence = !fence
			}
			if h := strings.TrimLeft(line, "#"); !fence && h != line && strings.HasPrefix(h, " ") {
				anchors[f][anchorOf(strings.TrimSpace(h))] = true
			}
		}
	}
	for _, f := range files {
		b, _ := os.ReadFile(f)
		for _, m := range mdLink.FindAllStringSubmatch(string(b), -1) {
			target := m[1]
			if strings.Contains(target, "://") {
				continue
			}
			path, anchor, _ := strings.Cut(target, "#")
			dest := f
			if path != "" {
				dest = filepath.Join(filepath.Dir(f), path)
				if _, err := os.Stat(dest); err != nil {
					t.Errorf("%s links to %s, which does not exist", f, target)
					continue
				}
			}
			if anchor != "" && anchors[dest] != nil && !anchors[dest][anchor] {
				t.Errorf("%s links to %s: %s has no heading with anchor #%s", f, target, dest, anchor)
			}
		}
	}
}
