package loadgen

import (
	"context"
	"testing"
	"time"
)

// phasedEngine is instantEngine whose connections say they took 250 us to
// connect and 2 ms to handshake, whose responses' first byte comes 1 ms
// after the send, and which looked its host up in 3 ms.
type phasedEngine struct{ instantEngine }

func (phasedEngine) Dial(context.Context) (Conn, error) { return phasedConn{}, nil }
func (phasedEngine) Lookup() (time.Duration, bool)      { return 3 * time.Millisecond, true }

type phasedConn struct{ instantConn }

func (phasedConn) Phases() ConnPhases {
	return ConnPhases{Connect: 250 * time.Microsecond, TLS: 2 * time.Millisecond, QUIC: -1}
}

func (phasedConn) Do(_ time.Time, res *Response) error {
	res.Status, res.BytesIn, res.BytesOut = 200, 10, 10
	res.First = time.Now()
	return nil
}

// TestPhasesRecorded: what the engine measured reaches the Result: one
// connect and TLS value per connection opened (Counts.Opened), one first
// byte and body per completed request, the one lookup, and no QUIC.
func TestPhasesRecorded(t *testing.T) {
	cfg := fakeConfig()
	cfg.Duration, cfg.Requests = 0, 500
	res, err := Run(context.Background(), cfg, phasedEngine{})
	if err != nil {
		t.Fatal(err)
	}
	p := &res.Phases
	if p.Connect.TotalCount() != int64(res.Counts.Opened) || p.TLS.TotalCount() != int64(res.Counts.Opened) || res.Counts.Opened != uint64(cfg.Connections) {
		t.Errorf("connect %d and TLS %d values for %d connections opened (-c %d)", p.Connect.TotalCount(), p.TLS.TotalCount(), res.Counts.Opened, cfg.Connections)
	}
	if p.Connect.Min() != 250 || p.TLS.Max() < 2000 || p.TLS.Max() > 2002 {
		t.Errorf("connect %d us, TLS %d us; want 250 and 2000", p.Connect.Min(), p.TLS.Max())
	}
	if p.FirstByte.TotalCount() != int64(res.Counts.Completed) || p.Body.TotalCount() != int64(res.Counts.Completed) {
		t.Errorf("%d first bytes and %d bodies for %d completed", p.FirstByte.TotalCount(), p.Body.TotalCount(), res.Counts.Completed)
	}
	if p.DNS.TotalCount() != 1 || p.DNS.Max() < 3000 || p.DNS.Max() > 3003 || p.QUIC != nil {
		t.Errorf("DNS %d values (max %d us), QUIC %v; want one of 3 ms and none", p.DNS.TotalCount(), p.DNS.Max(), p.QUIC)
	}
}
