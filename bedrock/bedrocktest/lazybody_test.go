package bedrocktest

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// TestLazyBody checks that a lazy body is byte for byte what encoding/json writes for the
// same document, for long strings cut into pieces at every offset around a piece's end, with
// multibyte runes, invalid UTF-8, NULs and the characters encoding/json escapes.
func TestLazyBody(t *testing.T) {
	var texts []string
	for _, unit := range []string{"é", "世", "\U0001F600", "\xff", "\xe4\xb8", "<&>\"\\\n\x00", "\u2028"} {
		for pad := range 5 {
			texts = append(texts, strings.Repeat("a", escapePiece-pad)+strings.Repeat(unit, 5)+"tail")
		}
	}
	texts = append(texts, "short", "", "has a NUL \x00 inside", "\x00bedrocktest-text:0\x00", strings.Repeat("long text ", 30000))
	for i, s := range texts {
		lb := &lazyBody{}
		got := func() []byte {
			lb.skeleton = mustJSON(obj{"a": lb.str(s), "b": []obj{{"c": lb.str(s + "x")}}, "n": 1})
			return lb.bytes()
		}()
		want := mustJSON(obj{"a": s, "b": []obj{{"c": s + "x"}}, "n": 1})
		if !bytes.Equal(got, want) {
			t.Fatalf("text %d: lazy body differs from encoding/json (lengths %d, %d)", i, len(got), len(want))
		}
		if lb.len() != len(want) {
			t.Errorf("text %d: len %d, want %d", i, lb.len(), len(want))
		}
		if !json.Valid(got) {
			t.Errorf("text %d: not JSON", i)
		}
	}
}
