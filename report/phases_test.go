package report

import (
	"bytes"
	"testing"

	"github.com/gowrk/gowrk/loadgen"
)

// phasedResult is fixedResult with the phases of a keep-alive TLS run:
// 10 connections (connect 100..1000 us, TLS 1..10 ms), 1000 requests
// (first byte 500 us..500 ms, body the rest of their service time), and
// one DNS lookup of 2 ms.
func phasedResult() *loadgen.Result {
	r := fixedResult(0)
	u := *r.Config.Target.URL
	u.Scheme, u.Host = "https", "api.example:8443"
	r.Config.Target.URL = &u
	r.Conn.TLSVersion, r.Conn.CipherSuite = "TLS 1.3", "TLS_AES_128_GCM_SHA256"
	r.Counts.Opened = 10
	p := &r.Phases
	p.DNS, p.Connect, p.TLS, p.FirstByte, p.Body = loadgen.NewHistogram(), loadgen.NewHistogram(), loadgen.NewHistogram(), loadgen.NewHistogram(), loadgen.NewHistogram()
	p.DNS.RecordValue(2000)
	for i := int64(1); i <= 10; i++ {
		p.Connect.RecordValue(i * 100)
		p.TLS.RecordValue(i * 1000)
	}
	for i := int64(1); i <= 1000; i++ {
		p.FirstByte.RecordValue(i * 50)
		p.Body.RecordValue(i * 50)
	}
	return r
}

// TestGoldenPhases: every format shows the phases of a request; the text
// says how many connections the connect and TLS figures come from.
func TestGoldenPhases(t *testing.T) { checkFormats(t, phasedResult(), "phases", "text", "json", "csv") }

// TestPhasesRoundTrip: the JSON report carries the phases' histograms
// exactly, so that Decode (and gowrk merge) gives them back, and a merge
// of two runs has twice the counts.
func TestPhasesRoundTrip(t *testing.T) {
	r := phasedResult()
	var a bytes.Buffer
	if err := JSON(&a, r, Options{Version: "v0.0.0-test"}); err != nil {
		t.Fatal(err)
	}
	back, err := Decode(bytes.NewReader(a.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	for i, ph := range phasesOf(back) {
		want := phasesOf(r)[i].h
		if (want == nil) != (ph.h == nil) || (want != nil && !want.Equals(ph.h)) {
			t.Errorf("%s differs after the round trip", ph.key)
		}
	}
	again, _ := Decode(bytes.NewReader(a.Bytes()))
	again.RunID = "fedcba9876543210"
	m, err := loadgen.Merge([]*loadgen.Result{back, again}, loadgen.MergeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := m.Phases.Connect.TotalCount(); got != 20 {
		t.Errorf("merged connect count %d, want 20", got)
	}
	if got := m.Phases.FirstByte.TotalCount(); got != 2000 {
		t.Errorf("merged first-byte count %d, want 2000", got)
	}
	if m.Phases.QUIC != nil {
		t.Error("a phase no part had is in the merge")
	}
}

// TestHTMLPhases: the HTML report has the phases' table, with the note on
// the connections behind it.
func TestHTMLPhases(t *testing.T) {
	var b bytes.Buffer
	if err := HTML(&b, phasedResult(), nil, Options{Version: "v0.0.0-test"}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"phases":[["phase","min","mean","p50","p90","p99","max","count","of"],["DNS"`,
		`["TLS handshake","1.00ms","5.50ms","5.00ms","9.01ms","10.01ms","10.01ms","10","connections"]`,
		`"phasesNote":"Connect and TLS figures are of the 10 connections opened`} {
		if !bytes.Contains(b.Bytes(), []byte(want)) {
			t.Errorf("the HTML report lacks %s", want)
		}
	}
}
