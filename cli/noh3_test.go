package cli

import (
	"bytes"
	"errors"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestNoH3Build builds gowrk with -tags noh3 and checks that quic-go is
// not linked and that --http3 is refused with one line and exit code 2,
// as other bad input is. The plain build and make test never compile
// engine_noh3.go, so this test is what keeps it building.
func TestNoH3Build(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("go is not on PATH: the test builds gowrk -tags noh3")
	}
	deps, err := exec.Command("go", "list", "-deps", "-tags", "noh3", "..").CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps -tags noh3: %v: %s", err, deps)
	}
	for _, p := range strings.Fields(string(deps)) {
		if strings.Contains(p, "quic-go") || strings.HasSuffix(p, "/loadgen/h3") {
			t.Errorf("-tags noh3 still links %s", p)
		}
	}
	bin := filepath.Join(t.TempDir(), "gowrk-noh3")
	if out, err := exec.Command("go", "build", "-tags", "noh3", "-o", bin, "..").CombinedOutput(); err != nil {
		t.Fatalf("go build -tags noh3: %v: %s", err, out)
	}
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(bin, "--http3", "-d1s", "https://127.0.0.1:1/")
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != exitBadInput {
		t.Errorf("gowrk -tags noh3 --http3: %v, want exit code %d", err, exitBadInput)
	}
	want := "gowrk: " + errNoH3.Error() + "\n"
	if got := stderr.String(); got != want {
		t.Errorf("stderr = %q, want %q", got, want)
	}
	if stdout.Len() != 0 {
		t.Errorf("stdout = %q, want nothing", stdout.String())
	}
}
