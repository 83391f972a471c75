package corpusgen

import (
	"bytes"
	"testing"
)

// TestLayout pins the generator's byte layout against frames worked out by hand, so that the
// corpus does not merely agree with itself.
func TestLayout(t *testing.T) {
	tests := []struct {
		name      string
		got, want []byte
	}{
		// CRC-32 (IEEE) of 00 00 00 10 00 00 00 00 is 0x05c248eb; continued over the
		// prelude CRC itself it is 0x7d98c8ff.
		{"empty frame", frame(nil, nil), []byte("\x00\x00\x00\x10" + "\x00\x00\x00\x00" + "\x05\xc2\x48\xeb" + "\x7d\x98\xc8\xff")},
		{"string header", hString("ab", "xyz"), []byte("\x02" + "ab" + "\x07" + "\x00\x03" + "xyz")},
		{"bytes header", hBytes("b", []byte{0xff}), []byte("\x01" + "b" + "\x06" + "\x00\x01" + "\xff")},
		{"bool headers", cat(hBool("t", true), hBool("f", false)), []byte("\x01t\x00" + "\x01f\x01")},
		{"byte header", hByte("n", -2), []byte("\x01n\x02" + "\xfe")},
		{"int16 header", hInt16("n", -2), []byte("\x01n\x03" + "\xff\xfe")},
		{"int32 header", hInt32("n", -2), []byte("\x01n\x04" + "\xff\xff\xff\xfe")},
		{"int64 header", hInt64("n", -2), []byte("\x01n\x05" + "\xff\xff\xff\xff\xff\xff\xff\xfe")},
		{"timestamp header", hTime("n", 1), []byte("\x01n\x08" + "\x00\x00\x00\x00\x00\x00\x00\x01")},
		{"uuid header", hUUID("n", [16]byte{15: 1}), []byte("\x01n\x09" + "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01")},
		{"prelude", prelude(16, 0), []byte("\x00\x00\x00\x10\x00\x00\x00\x00\x05\xc2\x48\xeb")},
		{"flip", flip([]byte{0, 0}, 1, 7), []byte{0, 0x80}},
	}
	for _, tt := range tests {
		if !bytes.Equal(tt.got, tt.want) {
			t.Errorf("%s: got % x, want % x", tt.name, tt.got, tt.want)
		}
	}
	// The lengths of a frame are those of its parts.
	f := frame(hString("a", "b"), []byte("pay"))
	if len(f) != 16+6+3 || f[3] != byte(len(f)) || f[7] != 6 {
		t.Errorf("frame lengths: % x", f)
	}
}

func TestVectorsDeterministic(t *testing.T) {
	a, b := Vectors(), Vectors()
	for i := range a {
		if a[i].Name != b[i].Name || !bytes.Equal(a[i].Bytes, b[i].Bytes) {
			t.Errorf("vector %s differs between two calls", a[i].Name)
		}
		if a[i].Description == "" {
			t.Errorf("vector %s has no description", a[i].Name)
		}
	}
}
