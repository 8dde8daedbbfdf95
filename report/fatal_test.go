package report

import (
	"errors"
	"fmt"
	"testing"

	"github.com/gowrk/gowrk/loadgen"
)

// TestFatalText: every remedy a loadgen.FatalError can name is worded, the
// facts first; a wrapped one is found; a result's abort is worded the same.
func TestFatalText(t *testing.T) {
	for fix := loadgen.FixHTTP2; fix <= loadgen.FixProxyCredentials; fix++ {
		if Remedy(&loadgen.FatalError{Err: errors.New("x"), Fix: fix}) == "" {
			t.Errorf("fix %d has no words", fix)
		}
	}
	f := &loadgen.FatalError{Err: errors.New("TLS certificate of a is for b.test, not a"), Fix: loadgen.FixSNI, Name: "b.test"}
	want := "TLS certificate of a is for b.test, not a; pass --sni b.test (or use that name in the URL), or -k/--insecure to skip verification"
	if got := ErrorText(fmt.Errorf("dial: %w", f)); got != want {
		t.Errorf("ErrorText = %q, want %q", got, want)
	}
	if got := Aborted(&loadgen.Result{Aborted: f.Error(), Fatal: f}); got != want {
		t.Errorf("Aborted = %q, want %q", got, want)
	}
	if got := FatalText(&loadgen.FatalError{Err: errors.New("facts")}); got != "facts" {
		t.Errorf("no fix: %q", got)
	}
}
