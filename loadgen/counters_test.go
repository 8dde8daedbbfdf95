package loadgen

import (
	"reflect"
	"testing"
)

// TestCountersComplete: Counters names every field of Counts once, by its
// JSON name, and Map/CountsFromMap round-trip.
func TestCountersComplete(t *testing.T) {
	typ := reflect.TypeOf(Counts{})
	if typ.NumField() != len(Counters) {
		t.Fatalf("Counts has %d fields, Counters lists %d", typ.NumField(), len(Counters))
	}
	var c Counts
	v := reflect.ValueOf(&c).Elem()
	for i := range typ.NumField() {
		v.Field(i).SetUint(uint64(i + 1))
	}
	for i, f := range Counters {
		if got := typ.Field(i).Tag.Get("json"); got != f.Name {
			t.Errorf("counter %d is %q, the field's JSON name %q", i, f.Name, got)
		}
		if *f.Of(&c) != uint64(i+1) {
			t.Errorf("counter %q points at the wrong field", f.Name)
		}
	}
	back, err := CountsFromMap(c.Map())
	if err != nil || back != c {
		t.Errorf("round trip: %+v, %v", back, err)
	}
	m := c.Map()
	m["bogus"] = 1
	if _, err := CountsFromMap(m); err == nil {
		t.Error("an unknown counter was accepted")
	}
	delete(m, "bogus")
	delete(m, "sent")
	if _, err := CountsFromMap(m); err == nil {
		t.Error("a missing counter was accepted")
	}
}
