package cli

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/spf13/pflag"
)

// TestHelpGroups: every flag is in exactly one --help group, every name a
// group gives is a flag, and --help lists each flag once, under its group.
func TestHelpGroups(t *testing.T) {
	var o options
	var p parsed
	fs := newFlagSet(&o, &p)
	group := map[string]string{}
	for _, g := range flagGroups {
		for _, n := range g.names {
			if fs.Lookup(n) == nil {
				t.Errorf("group %q names --%s, which is no flag", g.title, n)
			}
			if was, ok := group[n]; ok {
				t.Errorf("--%s is in groups %q and %q", n, was, g.title)
			}
			group[n] = g.title
		}
	}
	help := usage()
	fs.VisitAll(func(f *pflag.Flag) {
		if _, ok := group[f.Name]; !ok {
			t.Errorf("--%s is in no group of flagGroups (help.go): add it to its topic, and to docs/reference.md", f.Name)
		}
		if n := strings.Count(help, "--"+f.Name+" ") + strings.Count(help, "--"+f.Name+"\n"); n < 1 {
			t.Errorf("--help does not list --%s", f.Name)
		}
	})
	// Each flag's line comes after its own group's heading and before the next.
	for i, g := range flagGroups {
		start := strings.Index(help, "\n"+g.title+":\n")
		if start < 0 {
			t.Fatalf("--help has no heading %q", g.title)
		}
		end := len(help)
		if i+1 < len(flagGroups) {
			end = strings.Index(help, "\n"+flagGroups[i+1].title+":\n")
		}
		for _, n := range g.names {
			if !regexp.MustCompile(`--` + regexp.QuoteMeta(n) + `[ \n]`).MatchString(help[start:end]) {
				t.Errorf("--%s is not under %q in --help", n, g.title)
			}
		}
	}
	for _, want := range []string{"3 the run went through and a --fail-on threshold failed", "--precision PCT", "every other figure", "Examples:"} {
		if !strings.Contains(help, want) {
			t.Errorf("--help lacks %q", want)
		}
	}
	if strings.Contains(help, " string ") || strings.Contains(help, "stringArray") {
		t.Errorf("--help shows a Go type name as a value name:\n%s", help)
	}
}

// shellWords splits a command line as a shell would for the examples:
// spaces separate words, single quotes keep them, a trailing & is dropped.
func shellWords(s string) []string {
	s = strings.TrimSuffix(strings.TrimSpace(s), "&")
	var words []string
	var w strings.Builder
	quoted, in := false, false
	for _, r := range s {
		switch {
		case r == '\'':
			quoted, in = !quoted, true
		case r == ' ' && !quoted:
			if in {
				words = append(words, w.String())
				w.Reset()
			}
			in = false
		default:
			w.WriteRune(r)
			in = true
		}
	}
	if in {
		words = append(words, w.String())
	}
	return words
}

// TestHelpExamples: every example --help gives is a command line gowrk
// accepts.
func TestHelpExamples(t *testing.T) {
	for _, e := range helpExamples {
		args := shellWords(e.args)
		var err error
		if args[0] == "serve" {
			_, err = parseServeArgs(args[1:])
		} else {
			_, err = parseArgs(context.Background(), args)
		}
		if err != nil {
			t.Errorf("--help's example gowrk %s: %v", e.args, err)
		}
	}
}

// TestReferenceHasEveryFlag: docs/reference.md has a row for every flag of
// gowrk, gowrk serve and gowrk merge (names and short names as typed), and
// a heading for each topic of --help.
func TestReferenceHasEveryFlag(t *testing.T) {
	b, err := os.ReadFile("../docs/reference.md")
	if err != nil {
		t.Fatal(err)
	}
	ref := string(b)
	for _, c := range completionCommands() {
		for _, f := range c.flags {
			left := "| `--" + f.Name
			if f.Shorthand != "" {
				left = "| `-" + f.Shorthand + ", --" + f.Name
			}
			if !regexp.MustCompile(regexp.QuoteMeta(left) + "[ `]").MatchString(ref) {
				t.Errorf("docs/reference.md has no row for gowrk %s %s (want a table row starting %q)", c.sub, "--"+f.Name, left)
			}
		}
	}
	for _, g := range flagGroups {
		if !strings.Contains(ref, "\n## "+g.title+"\n") {
			t.Errorf("docs/reference.md has no heading %q (a topic of --help)", "## "+g.title)
		}
	}
}

// TestCompletion: the scripts gowrk completion writes load in bash, zsh and
// fish (each where installed), and complete every flag of every command.
func TestCompletion(t *testing.T) {
	dir := t.TempDir()
	script := func(shell string) string {
		code, out, errs := gowrk(t, "completion", shell)
		if code != 0 {
			t.Fatalf("gowrk completion %s: exit %d, %s", shell, code, errs)
		}
		p := filepath.Join(dir, "gowrk."+shell)
		if err := os.WriteFile(p, []byte(out), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	if code, _, errs := gowrk(t, "completion", "tcsh"); code != 2 || !strings.Contains(errs, "bash, zsh, fish") {
		t.Errorf("completion tcsh: exit %d, %q", code, errs)
	}
	sh := func(t *testing.T, name string, args ...string) string {
		t.Helper()
		if _, err := exec.LookPath(name); err != nil {
			t.Skipf("%s is not installed (Debian: apt-get install %s)", name, name)
		}
		out, err := exec.Command(name, args...).CombinedOutput()
		if err != nil {
			t.Fatalf("%s %q: %v\n%s", name, args, err, out)
		}
		return string(out)
	}
	// want checks that the candidates completing "--" offer every long flag.
	want := func(t *testing.T, sub string, got string) {
		t.Helper()
		for _, c := range completionCommands() {
			if c.sub != sub {
				continue
			}
			for _, f := range c.flags {
				if !regexp.MustCompile(`(^|\s)--` + regexp.QuoteMeta(f.Name) + `(\s|$)`).MatchString(got) {
					t.Errorf("gowrk %s --<TAB> does not offer --%s: %q", sub, f.Name, got)
				}
			}
		}
	}
	t.Run("bash", func(t *testing.T) {
		p := script("bash")
		comp := func(words ...string) string {
			w := "'" + strings.Join(words, "' '") + "'"
			return sh(t, "bash", "-c", "source "+p+"; complete -p gowrk; COMP_WORDS=("+w+"); COMP_CWORD="+
				strconv.Itoa(len(words)-1)+"; _gowrk; echo \"${COMPREPLY[*]}\"")
		}
		if out := comp("gowrk", "--thr"); !strings.Contains(out, "complete -o default -F _gowrk gowrk") || !strings.HasSuffix(out, "--threads\n") {
			t.Errorf("bash: gowrk --thr<TAB>: %q", out)
		}
		if out := comp("gowrk", "-f", ""); !strings.HasSuffix(out, "csv json text\n") {
			t.Errorf("bash: gowrk -f <TAB>: %q", out)
		}
		if out := comp("gowrk", "completion", ""); !strings.HasSuffix(out, "bash zsh fish\n") {
			t.Errorf("bash: gowrk completion <TAB>: %q", out)
		}
		for _, sub := range []string{"", "serve", "merge"} {
			words := []string{"gowrk", sub, "--"}
			if sub == "" {
				words = []string{"gowrk", "--"}
			}
			want(t, sub, comp(words...))
		}
	})
	t.Run("zsh", func(t *testing.T) {
		p := script("zsh")
		sh(t, "zsh", "-n", p)
		if out := sh(t, "zsh", "-f", "-c", "autoload -U compinit; compinit -u -D; source "+p+"; print -r -- $_comps[gowrk]"); out != "_gowrk\n" {
			t.Errorf("zsh: compdef did not register _gowrk: %q", out)
		}
	})
	t.Run("fish", func(t *testing.T) {
		p := script("fish")
		sh(t, "fish", "--no-execute", p)
		comp := func(line string) string {
			return sh(t, "fish", "--no-config", "-c", "source "+p+"; complete -C'"+line+"'")
		}
		if out := comp("gowrk --thr"); !strings.HasPrefix(out, "--threads\t") {
			t.Errorf("fish: gowrk --thr<TAB>: %q", out)
		}
		for _, sub := range []string{"", "serve ", "merge "} {
			want(t, strings.TrimSpace(sub), regexp.MustCompile(`\t[^\n]*`).ReplaceAllString(comp("gowrk "+sub+"--"), ""))
		}
	})
}
