package bedrocktest

import (
	"encoding/hex"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestHPACKDecodeRFCExamples decodes the request examples of RFC 7541, Appendix C.3
// (literals) and C.4 (Huffman-coded), each three blocks on one connection, so that the
// later ones read entries the earlier ones put in the dynamic table.
func TestHPACKDecodeRFCExamples(t *testing.T) {
	want := [][]hpackField{
		{{":method", "GET"}, {":scheme", "http"}, {":path", "/"}, {":authority", "www.example.com"}},
		{{":method", "GET"}, {":scheme", "http"}, {":path", "/"}, {":authority", "www.example.com"}, {"cache-control", "no-cache"}},
		{{":method", "GET"}, {":scheme", "https"}, {":path", "/index.html"}, {":authority", "www.example.com"}, {"custom-key", "custom-value"}},
	}
	wantSize := []int{57, 110, 164}
	for name, blocks := range map[string][]string{
		"C.3": {
			"8286 8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d",
			"8286 84be 5808 6e6f 2d63 6163 6865",
			"8287 85bf 400a 6375 7374 6f6d 2d6b 6579 0c63 7573 746f 6d2d 7661 6c75 65",
		},
		"C.4": {
			"8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff",
			"8286 84be 5886 a8eb 1064 9cbf",
			"8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf",
		},
	} {
		d := newHPACKDecoder(4096)
		for i, block := range blocks {
			var got []hpackField
			err := d.decode(unhex(t, block), func(string) bool { return true }, func(n, v string) { got = append(got, hpackField{n, v}) })
			if err != nil {
				t.Fatalf("%s.%d: %v", name, i+1, err)
			}
			if diff := cmp.Diff(want[i], got, cmp.AllowUnexported(hpackField{})); diff != "" {
				t.Errorf("%s.%d: (-want +got)\n%s", name, i+1, diff)
			}
			if d.size != wantSize[i] {
				t.Errorf("%s.%d: table size %d, want %d", name, i+1, d.size, wantSize[i])
			}
		}
	}
}

// huffmanEncode is the encoder of huffmanCode, to test the decoder with.
func huffmanEncode(s string) []byte {
	var out []byte
	var acc uint64
	n := 0
	for i := 0; i < len(s); i++ {
		c := huffmanCode[s[i]]
		acc = acc<<c.bits | uint64(c.code)
		n += int(c.bits)
		for n >= 8 {
			n -= 8
			out = append(out, byte(acc>>uint(n)))
		}
	}
	if n > 0 {
		out = append(out, byte(acc<<uint(8-n))|byte(0xff>>uint(n)))
	}
	return out
}

// TestHuffmanDecode checks every octet through an encode-decode round trip and that the
// decoder refuses what section 5.2 forbids.
func TestHuffmanDecode(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 200 {
		b := make([]byte, r.IntN(40))
		for i := range b {
			b[i] = byte(r.IntN(256))
		}
		got, err := huffmanDecode(huffmanEncode(string(b)))
		if err != nil || got != string(b) {
			t.Fatalf("%x: got %x, %v", b, got, err)
		}
	}
	for name, bad := range map[string][]byte{
		"padding of 8 bits": append(huffmanEncode("a"), 0xff), // 'a' is 5 bits: 3 bits of padding, then 8 more
		"padding not ones":  {0x00},                           // '0' (00000) then 000 padding
		"EOS":               {0xff, 0xff, 0xff, 0xfc},         // the 30 bits of EOS, then 2 bits of padding
		"truncated symbol":  huffmanEncode("\x00")[:1],        // 8 of its 13 bits
	} {
		if _, err := huffmanDecode(bad); err == nil {
			t.Errorf("%s (%x): no error", name, bad)
		}
	}
}

// TestHPACKDecodeRefuses checks malformed blocks and the dynamic table's bounds.
func TestHPACKDecodeRefuses(t *testing.T) {
	for name, block := range map[string]string{
		"index 0":                            "80",
		"index past the tables":              "be",
		"size update after a field":          "82 3f e1 1f",
		"size update over the limit":         "3f e2 1f", // 4097
		"truncated integer":                  "ff",
		"integer too large":                  "ff ff ff ff ff 0f",
		"string longer than the block":       "40 05 61",
		"literal name index past the tables": "7f 00",
	} {
		d := newHPACKDecoder(4096)
		if err := d.decode(unhex(t, block), func(string) bool { return true }, func(string, string) {}); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	// Entries are evicted, oldest first, to keep the table within its size.
	d := newHPACKDecoder(100)
	var block []byte
	for _, v := range []string{"aaaaaaaaaa", "bbbbbbbbbb", "cccccccccc"} {
		block = append(block, 0x40)
		block = hpackAppendInt(block, 0, 7, 4)
		block = append(block, "name"...)
		block = hpackAppendInt(block, 0, 7, uint64(len(v)))
		block = append(block, v...)
	}
	block = append(block, 0x80|62, 0x80|63) // the newest two
	var got []string
	if err := d.decode(block, func(string) bool { return true }, func(n, v string) { got = append(got, v) }); err != nil {
		t.Fatal(err)
	}
	if want := []string{"aaaaaaaaaa", "bbbbbbbbbb", "cccccccccc", "cccccccccc", "bbbbbbbbbb"}; !cmp.Equal(got, want) || d.size != 92 || len(d.dyn) != 2 {
		t.Errorf("got %q, table of %d entries, %d bytes", got, len(d.dyn), d.size)
	}
	if err := d.decode([]byte{0x80 | 64}, func(string) bool { return true }, func(string, string) {}); err == nil {
		t.Error("the evicted entry is still there")
	}
	if err := d.decode([]byte{0x20}, func(string) bool { return true }, func(string, string) {}); err != nil || d.size != 0 || len(d.dyn) != 0 {
		t.Errorf("size update to 0: %v, %d entries", err, len(d.dyn))
	}
}
