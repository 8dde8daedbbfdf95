package enginetest

import (
	"flag"
	"os"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite docs/faults.md's table from the suite's")

// TestREADME: the documentation's fault section (docs/faults.md, which
// the README links) holds the table as Markdown prints it, between the
// markers.
func TestREADME(t *testing.T) {
	readme, err := os.ReadFile("../../docs/faults.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(readme), BeginMarker+"\n")
	block, _, ok2 := strings.Cut(rest, EndMarker)
	if !ok || !ok2 {
		t.Fatalf("docs/faults.md has no block between %q and %q", BeginMarker, EndMarker)
	}
	if want := Markdown(); block != want && *update {
		i := len(readme) - len(rest)
		out := string(readme[:i]) + want + rest[len(block):]
		if err := os.WriteFile("../../docs/faults.md", []byte(out), 0o644); err != nil {
			t.Fatal(err)
		}
	} else if block != want {
		t.Errorf("docs/faults.md's fault table is out of date; replace the block with (go test ./loadgen/enginetest/ -run TestREADME -update):\n%s", want)
	}
}

// TestTable: every row names a known class, a server and a unique name,
// and a Known or KnownMsg says who and why.
func TestTable(t *testing.T) {
	if len(Faults) < 40 {
		t.Errorf("%d rows; the suite promises at least 40", len(Faults))
	}
	seen := map[string]bool{}
	for _, f := range Faults {
		if seen[f.Name] {
			t.Errorf("row %q twice", f.Name)
		}
		seen[f.Name] = true
		for _, c := range []string{f.Class, f.TLSClass} {
			if _, ok := classWords[c]; !ok && c != "" {
				t.Errorf("row %q: unknown class %q", f.Name, c)
			}
		}
		if f.Class == "" || f.Server == nil {
			t.Errorf("row %q: no class or no server", f.Name)
		}
		for _, k := range []string{f.Known, f.KnownMsg} {
			if who, why, ok := strings.Cut(k, ": "); k != "" && (!ok || who == "" || why == "") {
				t.Errorf("row %q: %q is not \"engine[,engine]: why\"", f.Name, k)
			}
		}
	}
}

func TestKnownOn(t *testing.T) {
	for _, tc := range []struct {
		known, engine string
		want          bool
	}{
		{"goroutine: x", "goroutine", true},
		{"goroutine: x", "goroutine/tls", true},
		{"h2: x", "h2c", false},
		{"h2c,h2: x", "h2/tls", true},
		{"all: x", "loop", true},
		{"", "loop", false},
		{"loop: x", "goroutine", false},
	} {
		if _, got := knownOn(tc.known, tc.engine); got != tc.want {
			t.Errorf("knownOn(%q, %q) = %v", tc.known, tc.engine, got)
		}
	}
}
