package report

import (
	"bytes"
	"testing"
)

// TestGoldenNoKeepAlive: a run without keep-alive says in every format
// how many connections it opened (text: a line; JSON: the counts'
// opened_connections; CSV: the opened_connections column).
func TestGoldenNoKeepAlive(t *testing.T) {
	for _, format := range []string{"text", "json", "csv"} {
		t.Run(format, func(t *testing.T) {
			r := fixedResult(0)
			r.Config.Target.NoKeepAlive = true
			r.Counts.Opened = r.Counts.Sent
			f, _ := Lookup(format)
			var b bytes.Buffer
			if err := f(&b, r, Options{Version: "v0.0.0-test"}); err != nil {
				t.Fatal(err)
			}
			checkGolden(t, format+"_no_keepalive", b.Bytes())
		})
	}
}
