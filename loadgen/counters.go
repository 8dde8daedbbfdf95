package loadgen

// A Counter is one field of Counts, by the name the reports give it: the
// one list of the counters, which adding, merging, and the JSON report's
// "counts" (written and read back) all go through.
type Counter struct {
	Name string
	Of   func(*Counts) *uint64
}

// later are the counters added after reports were first written: a report
// without one reads it as 0.
var later = map[string]bool{"connects_pending_at_stop": true, "resent": true, "opened_connections": true}

// Counters lists every field of Counts, in the order of the struct. A test
// checks by reflection that none is missing.
var Counters = []Counter{
	{"sent", func(c *Counts) *uint64 { return &c.Sent }},
	{"completed", func(c *Counts) *uint64 { return &c.Completed }},
	{"late", func(c *Counts) *uint64 { return &c.Late }},
	{"in_flight_at_stop", func(c *Counts) *uint64 { return &c.InFlight }},
	{"late_in_flight_at_stop", func(c *Counts) *uint64 { return &c.LateInFlight }},
	{"unsent_at_stop", func(c *Counts) *uint64 { return &c.Unsent }},
	{"connects_pending_at_stop", func(c *Counts) *uint64 { return &c.ConnectPending }},
	{"reconnects", func(c *Counts) *uint64 { return &c.Reconnects }},
	{"resent", func(c *Counts) *uint64 { return &c.Resent }},
	{"opened_connections", func(c *Counts) *uint64 { return &c.Opened }},
	{"idle_closed", func(c *Counts) *uint64 { return &c.IdleClosed }},
	{"connect", func(c *Counts) *uint64 { return &c.Connect }},
	{"ports", func(c *Counts) *uint64 { return &c.Ports }},
	{"connect_timeout", func(c *Counts) *uint64 { return &c.ConnectTimeout }},
	{"read", func(c *Counts) *uint64 { return &c.Read }},
	{"write", func(c *Counts) *uint64 { return &c.Write }},
	{"timeout", func(c *Counts) *uint64 { return &c.Timeout }},
	{"goaway", func(c *Counts) *uint64 { return &c.GoAway }},
	{"reset", func(c *Counts) *uint64 { return &c.Reset }},
	{"protocol", func(c *Counts) *uint64 { return &c.Protocol }},
	{"status", func(c *Counts) *uint64 { return &c.Status }},
	{"bytes_read", func(c *Counts) *uint64 { return &c.BytesRead }},
	{"bytes_written", func(c *Counts) *uint64 { return &c.BytesWritten }},
	{"header_bytes_read", func(c *Counts) *uint64 { return &c.HeaderBytesRead }},
	{"header_bytes_written", func(c *Counts) *uint64 { return &c.HeaderBytesWritten }},
	{"data_bytes_read", func(c *Counts) *uint64 { return &c.DataBytesRead }},
	{"data_bytes_written", func(c *Counts) *uint64 { return &c.DataBytesWritten }},
	{"latency_excluded", func(c *Counts) *uint64 { return &c.LatencyExcluded }},
	{"clipped", func(c *Counts) *uint64 { return &c.Clipped }},
}

// Map is c as name -> value, every counter (zeros included).
func (c *Counts) Map() map[string]uint64 {
	m := make(map[string]uint64, len(Counters))
	for _, f := range Counters {
		m[f.Name] = *f.Of(c)
	}
	return m
}

// CountsFromMap is the inverse of Map. A name it does not know, or a
// counter missing, is an error naming it.
func CountsFromMap(m map[string]uint64) (Counts, error) {
	var c Counts
	for _, f := range Counters {
		v, ok := m[f.Name]
		if !ok && !later[f.Name] {
			return c, &unknownCounter{f.Name, "missing"}
		}
		*f.Of(&c) = v
	}
	if len(m) != len(Counters) {
		for k := range m {
			if !known(k) {
				return c, &unknownCounter{k, "unknown"}
			}
		}
	}
	return c, nil
}

func known(name string) bool {
	for _, f := range Counters {
		if f.Name == name {
			return true
		}
	}
	return false
}

type unknownCounter struct{ name, what string }

func (e *unknownCounter) Error() string {
	return "counts: " + e.what + " counter " + `"` + e.name + `"`
}
