package bedrocktest

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf8"
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

// TestSafeCut checks that splitting a string where safeCut says never changes how
// encoding/json escapes it, for runs of valid, cut and stray UTF-8 bytes.
func TestSafeCut(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	parts := []string{"a", "é", "世", "😀", "\x84", "\xee", "\xf0\x9f", "\xff", "\u2028", "<"}
	inner := func(s string) string { q, _ := json.Marshal(s); return string(q[1 : len(q)-1]) }
	for range 2000 {
		var b strings.Builder
		for range rng.IntN(24) {
			b.WriteString(parts[rng.IntN(len(parts))])
		}
		s := b.String()
		for cut := 1; cut <= len(s); cut++ {
			c := safeCut(s, cut)
			if c > cut || (c == 0 && cut >= utf8.UTFMax) {
				t.Fatalf("safeCut(%q, %d) = %d", s, cut, c)
			}
			if got, want := inner(s[:c])+inner(s[c:]), inner(s); got != want {
				t.Fatalf("safeCut(%q, %d) = %d splits the escaping: %s, want %s", s, cut, c, got, want)
			}
		}
	}
}
