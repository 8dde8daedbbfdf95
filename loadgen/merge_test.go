package loadgen

import (
	"net/url"
	"strings"
	"testing"
	"time"
)

func part(t *testing.T, target string, shard, of int, lat ...int64) *Result {
	t.Helper()
	u, _ := url.Parse(target)
	r := newFigures()
	r.Config = Config{Threads: 1, Connections: 2, Rate: 100, Target: Target{URL: u, Method: "GET"}}
	r.Start = time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC).Add(time.Duration(shard) * time.Millisecond)
	r.Duration = 10 * time.Second
	r.End = r.Start.Add(r.Duration)
	for _, v := range lat {
		r.Latency.RecordValue(v)
	}
	r.Counts = Counts{Sent: uint64(len(lat)), Completed: uint64(len(lat))}
	r.StatusCodes[200] = uint64(len(lat))
	if of > 0 {
		r.Shard = &ShardInfo{Index: shard, Count: of, Late: time.Duration(shard) * time.Millisecond}
	}
	return r
}

// TestMerge: figures add up, the latency is the union of the parts', the
// window is the union of theirs, and what cannot be merged exactly is
// refused.
func TestMerge(t *testing.T) {
	a, b, c := part(t, "http://x/", 0, 3, 100, 200), part(t, "http://x/", 1, 3, 300), part(t, "http://x/", 2, 3, 5000, 6000, 7000)
	m, err := Merge([]*Result{c, a, b}, MergeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if m.Counts.Completed != 6 || m.StatusCodes[200] != 6 || m.Latency.TotalCount() != 6 || m.Latency.Max() != c.Latency.Max() || m.Latency.Min() != 100 {
		t.Errorf("merged counts %+v, latency %d values %d..%d", m.Counts, m.Latency.TotalCount(), m.Latency.Min(), m.Latency.Max())
	}
	if m.Config.Connections != 6 || m.Config.Rate != 300 || m.Duration != 10*time.Second+2*time.Millisecond {
		t.Errorf("merged config %d connections at %v/s over %s", m.Config.Connections, m.Config.Rate, m.Duration)
	}
	if mi := m.Merged; mi.Count != 3 || mi.Incomplete || mi.StartSpread != 2*time.Millisecond || mi.Shards[0].Index != 0 {
		t.Errorf("merge info %+v", mi)
	}
	if m, err := Merge([]*Result{a, c}, MergeOptions{}); err != nil || !m.Merged.Incomplete || len(m.Merged.Missing) != 1 || m.Merged.Missing[0] != 1 {
		t.Errorf("without shard 1: %+v, %v", m.Merged, err)
	}
	empty := part(t, "http://x/", 1, 3)
	if m, err := Merge([]*Result{a, empty, c}, MergeOptions{}); err != nil || !m.Merged.Incomplete || len(m.Merged.Failed) != 1 {
		t.Errorf("a shard that completed nothing: %+v, %v", m.Merged, err)
	}
	for _, tc := range []struct {
		parts []*Result
		want  string
	}{
		{[]*Result{a, a}, "given twice"},
		{[]*Result{a, part(t, "http://y/", 1, 3, 1)}, "different targets"},
		{[]*Result{a, part(t, "http://x/", 1, 4, 1)}, "share N"},
		{[]*Result{a, part(t, "http://x/", 0, 0, 1)}, "1 of the 2 parts are shards"},
		{nil, "nothing to merge"},
	} {
		if _, err := Merge(tc.parts, MergeOptions{}); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("error %v, want %q", err, tc.want)
		}
	}
	if _, err := Merge([]*Result{part(t, "http://x/", 0, 0, 1), part(t, "http://y/", 0, 0, 1)}, MergeOptions{AllowMixed: true}); err != nil {
		t.Errorf("--allow-mixed: %v", err)
	}
}

// TestMergeQUIC: shards' QUIC figures add up; means are weighted by
// handshakes; a capped buffer in any shard is capped in the whole.
func TestMergeQUIC(t *testing.T) {
	a := &QUICInfo{Handshakes: 1, HandshakeMeanUs: 1000, HandshakeMaxUs: 1000, SmoothedRTTUs: 100, MaxRTTUs: 100, PacketsSent: 10, PacketsLost: 1, UDPRecvBuffer: 8 << 20, UDPSendBuffer: 8 << 20, UDPBufferWanted: 7 << 20}
	b := &QUICInfo{Handshakes: 3, HandshakeMeanUs: 3000, HandshakeMaxUs: 5000, SmoothedRTTUs: 300, MaxRTTUs: 400, PacketsSent: 30, PacketsLost: 2, UDPRecvBuffer: 1 << 20, UDPSendBuffer: 2 << 20, UDPBufferWanted: 7 << 20, UDPBufferCapped: true}
	got := *mergeQUIC(mergeQUIC(nil, a), b)
	want := QUICInfo{Handshakes: 4, HandshakeMeanUs: 2500, HandshakeMaxUs: 5000, SmoothedRTTUs: 250, MaxRTTUs: 400, PacketsSent: 40, PacketsLost: 3, UDPRecvBuffer: 1 << 20, UDPSendBuffer: 2 << 20, UDPBufferWanted: 7 << 20, UDPBufferCapped: true}
	if got != want {
		t.Errorf("merged %+v, want %+v", got, want)
	}
	if a.Handshakes != 1 {
		t.Errorf("merging changed a part: %+v", a)
	}
}
