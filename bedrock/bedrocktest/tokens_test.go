package bedrocktest

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf8"
)

// decodedStringValueRunes is stringValueRunes by way of encoding/json, which decodes every string:
// the reference the scanner is checked against.
func decodedStringValueRunes(body []byte) int {
	dec := json.NewDecoder(bytes.NewReader(body))
	type container struct{ object, wantKey bool }
	var open []container
	valueDone := func() {
		if len(open) > 0 && open[len(open)-1].object {
			open[len(open)-1].wantKey = true
		}
	}
	n := 0
	for {
		tok, err := dec.Token()
		if err != nil {
			break
		}
		switch t := tok.(type) {
		case json.Delim:
			switch t {
			case '{':
				open = append(open, container{object: true, wantKey: true})
			case '[':
				open = append(open, container{})
			default:
				open = open[:len(open)-1]
				valueDone()
			}
		case string:
			if len(open) > 0 && open[len(open)-1].wantKey {
				open[len(open)-1].wantKey = false
				continue
			}
			n += utf8.RuneCountInString(t)
			valueDone()
		default:
			valueDone()
		}
	}
	return n
}

// TestInputTokensScan checks the in-place count against encoding/json's decoding, on
// escapes, surrogate pairs (whole, lone, reversed), invalid UTF-8 and keys that look like
// values.
func TestInputTokensScan(t *testing.T) {
	bodies := []string{
		`{"a":"\ud83d\ude00 x","b" : "\"quoted\" \\ back\/slash","c":["\ud83d","\ude00\ud83d\ud83d\ude00"]}`,
		"{\"k\":\"\xff\xfe invalid \xe4\xb8 utf8\",\"e\":\"\u00e9\u4e16\"}",
		`{"key with \":\" in it":"v","n":1,"t":true,"z":null,"o":{"x":"yy"}}`,
		`["top","level",{"a":"b"}]`,
		`"just a string"`,
		`{"a" :"spaced key","b":"\u0041\u00e9\u0000"}`,
	}
	rng := rand.New(rand.NewPCG(3, 4))
	parts := []string{`\n`, `\"`, `\\`, `\u00e9`, `\ud83d\ude00`, `\ud83d`, `\ude00`, "é", "世", "\xff", "a", " ", ":"}
	for range 500 {
		var b strings.Builder
		for range rng.IntN(10) {
			b.WriteString(parts[rng.IntN(len(parts))])
		}
		bodies = append(bodies, `{"k":"`+b.String()+`","`+b.String()+`":["`+b.String()+`"]}`)
	}
	for _, body := range bodies {
		if !json.Valid([]byte(body)) && utf8.ValidString(body) {
			t.Fatalf("test body not JSON: %s", body)
		}
		if got, want := stringValueRunes([]byte(body)), decodedStringValueRunes([]byte(body)); got != want {
			t.Errorf("stringValueRunes(%q) = %d, encoding/json gives %d", body, got, want)
		}
	}
}

// FuzzInPlaceJSON checks the two places that read or write JSON text without encoding/json's
// copies against encoding/json: the characters counted in a body's string values, and a
// lazy body holding the input as a long string.
func FuzzInPlaceJSON(f *testing.F) {
	f.Add(`{"a":"\ud83d\ude00","b":["\ud83d","x\u00e9"]}`)
	f.Add("{\"k\":\"\xff é\"}")
	f.Add(`["top",{"key":"v"}]`)
	f.Fuzz(func(t *testing.T, s string) {
		if json.Valid([]byte(s)) {
			if got, want := stringValueRunes([]byte(s)), decodedStringValueRunes([]byte(s)); got != want {
				t.Errorf("stringValueRunes(%q) = %d, encoding/json gives %d", s, got, want)
			}
		}
		long := strings.Repeat(s, escapePiece/max(len(s), 1)+2)
		lb := &lazyBody{}
		lb.skeleton = mustJSON(obj{"a": lb.str(long), "b": lb.str(s)})
		if got, want := lb.bytes(), mustJSON(obj{"a": long, "b": s}); !bytes.Equal(got, want) || lb.len() != len(want) {
			t.Errorf("lazy body of %q differs from encoding/json", s)
		}
	})
}
