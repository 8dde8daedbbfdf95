package h2

import (
	"bytes"
	"fmt"
	"testing"

	"golang.org/x/net/http2/hpack"
)

// FuzzStatusDecoder checks gowrk's HPACK decoder against x/net's over a
// connection's worth of response blocks built from the fuzz input by
// x/net's encoder: indexed :status codes, names and values that fill,
// evict and resize the dynamic table. Both must agree on every block's
// :status; a table kept out of step shows as a wrong code in a later block.
func FuzzStatusDecoder(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9})
	f.Add([]byte{200, 17, 33, 250, 9, 9, 9, 9, 9, 128, 7, 1})
	f.Add(bytes.Repeat([]byte{3, 77, 12}, 40))
	f.Fuzz(func(t *testing.T, in []byte) {
		var buf bytes.Buffer
		enc := hpack.NewEncoder(&buf)
		ref := hpack.NewDecoder(4096, nil)
		var d statusDecoder
		d.reset()
		names := []string{"date", "server", "content-type", "x-request-id", "set-cookie", "cache-control", "via"}
		codes := []string{"200", "201", "404", "302", "503", "299", "103"}
		for len(in) > 0 {
			op := in[0]
			in = in[1:]
			if op >= 250 && len(in) > 0 {
				enc.SetMaxDynamicTableSize(uint32(in[0]) * 16)
				in = in[1:]
			}
			buf.Reset()
			code := codes[int(op)%len(codes)]
			enc.WriteField(hpack.HeaderField{Name: ":status", Value: code})
			for k := 0; k < int(op%5) && len(in) > 0; k++ {
				v := in[0]
				in = in[1:]
				enc.WriteField(hpack.HeaderField{Name: names[int(v)%len(names)], Value: fmt.Sprintf("v%d-%s", v, bytes.Repeat([]byte("x"), int(v%40))), Sensitive: v%11 == 0})
			}
			block := buf.Bytes()
			fields, err := ref.DecodeFull(block)
			if err != nil {
				t.Fatalf("x/net's decoder: %v", err)
			}
			d.begin()
			// Cut the block in two, as HEADERS + CONTINUATION.
			cut := int(op) % (len(block) + 1)
			if err := d.write(block[:cut], false); err != nil {
				t.Fatal(err)
			}
			if err := d.write(block[cut:], true); err != nil {
				t.Fatalf("gowrk's decoder: %v on %x", err, block)
			}
			if want := statusCode([]byte(fields[0].Value)); d.status != want {
				t.Fatalf("status %d, x/net's decoder %d (%v)", d.status, want, fields)
			}
		}
	})
}

// TestStatusDecoderAllocs: decoding nginx-style blocks (a Huffman-coded
// date indexed on every response) allocates nothing once warm.
func TestStatusDecoderAllocs(t *testing.T) {
	var buf bytes.Buffer
	enc := hpack.NewEncoder(&buf)
	var d statusDecoder
	d.reset()
	block := func() []byte {
		buf.Reset()
		enc.WriteField(hpack.HeaderField{Name: ":status", Value: "200"})
		enc.WriteField(hpack.HeaderField{Name: "date", Value: "Wed, 02 Dec 2026 01:30:00 GMT", Sensitive: true})
		return append([]byte(nil), buf.Bytes()...)
	}
	b := block()
	// nginx's form: a literal with incremental indexing, Huffman-coded
	// (b is 0x88, never-indexed "date" as 0x1f 0x12, then the value).
	raw := append([]byte{0x88, 0x40 | 33}, b[3:]...)
	n := testing.AllocsPerRun(1000, func() {
		d.begin()
		if err := d.write(raw, true); err != nil || d.status != 200 {
			t.Fatalf("decode: %v, status %d", err, d.status)
		}
	})
	if n != 0 {
		t.Errorf("%.1f allocations per block, want 0", n)
	}
}
