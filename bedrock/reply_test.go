package bedrock

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf8"
)

func textReply(text string, u Usage) *Reply {
	return &Reply{Blocks: []Block{{Text: text}}, Usage: u}
}

// collectChunks copies every chunk of r.Chunks(f).
func collectChunks(r *Reply, f Family) [][]byte {
	var out [][]byte
	for c := range r.Chunks(f) {
		out = append(out, bytes.Clone(c))
	}
	return out
}

type converseEvent struct {
	Type string
	JSON []byte
}

// collectEvents copies every event of r.ConverseEvents().
func collectEvents(r *Reply) []converseEvent {
	var out []converseEvent
	for typ, j := range r.ConverseEvents() {
		out = append(out, converseEvent{typ, bytes.Clone(j)})
	}
	return out
}

var allFamilies = []Family{FamilyClaude, FamilyTitan, FamilyLlama, FamilyMistral, FamilyMistralChat, FamilyCohere, FamilyCohereChat, FamilyNova, "unknown"}

// TestReplyCounts checks that the counts given up front are the counts produced, for every
// family, for replies of zero, one and several blocks, and for texts of every shape.
func TestReplyCounts(t *testing.T) {
	texts := []string{"", " ", "a", "a b c", "a b c d", "  a  b  c  d  ", "one two three four five six seven", "\n\t x"}
	var replies []*Reply
	replies = append(replies, &Reply{})
	for _, a := range texts {
		replies = append(replies, textReply(a, Usage{}))
		for _, b := range texts {
			replies = append(replies, &Reply{Blocks: []Block{{Text: a}, {Text: b}}})
		}
	}
	for _, r := range replies {
		for _, f := range allFamilies {
			got := collectChunks(r, f)
			if len(got) != r.ChunkCount(f) {
				t.Errorf("%s %+v: %d chunks, ChunkCount %d", f, r.Blocks, len(got), r.ChunkCount(f))
			}
			var text strings.Builder
			for _, c := range got {
				if !json.Valid(c) {
					t.Fatalf("%s %+v: not JSON: %s", f, r.Blocks, c)
				}
				d, _ := TextDelta(f, c)
				text.WriteString(d)
			}
			want := ""
			for _, b := range r.Blocks {
				want += b.Text
			}
			if text.String() != want {
				t.Errorf("%s %+v: text %q", f, r.Blocks, text.String())
			}
		}
		ev := collectEvents(r)
		if len(ev) != r.ConverseEventCount() {
			t.Errorf("converse %+v: %d events, ConverseEventCount %d", r.Blocks, len(ev), r.ConverseEventCount())
		}
	}
}

// TestReplyBlocks checks the indexes of a reply of two blocks.
func TestReplyBlocks(t *testing.T) {
	r := &Reply{Blocks: []Block{{Text: "first"}, {Text: "second"}}}
	var got []string
	for typ, j := range r.ConverseEvents() {
		got = append(got, typ+" "+string(j))
	}
	want := []string{
		`messageStart {"role":"assistant"}`,
		`contentBlockDelta {"contentBlockIndex":0,"delta":{"text":"first"}}`,
		`contentBlockStop {"contentBlockIndex":0}`,
		`contentBlockDelta {"contentBlockIndex":1,"delta":{"text":"second"}}`,
		`contentBlockStop {"contentBlockIndex":1}`,
		`messageStop {"stopReason":"end_turn"}`,
		`metadata {"usage":{"inputTokens":0,"outputTokens":0,"totalTokens":0},"metrics":{"latencyMs":0}}`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	var claude []string
	for c := range r.Chunks(FamilyClaude) {
		claude = append(claude, string(c))
	}
	for i, want := range map[int]string{
		1: `{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}`,
		4: `{"type":"content_block_start","index":1,"content_block":{"type":"text","text":""}}`,
		5: `{"type":"content_block_delta","index":1,"delta":{"type":"text_delta","text":"second"}}`,
		6: `{"type":"content_block_stop","index":1}`,
	} {
		if claude[i] != want {
			t.Errorf("Claude chunk %d: %s, want %s", i, claude[i], want)
		}
	}
}

// TestReplyStop checks that a consumer that stops early stops the generator.
func TestReplyStop(t *testing.T) {
	r := textReply(strings.Repeat("word ", 100), Usage{})
	for _, f := range allFamilies {
		for stop := 1; stop <= 4; stop++ {
			n := 0
			for range r.Chunks(f) {
				n++
				if n == stop {
					break
				}
			}
			if n != stop {
				t.Errorf("%s: stopped after %d, want %d", f, n, stop)
			}
		}
	}
	n := 0
	for range r.ConverseEvents() {
		if n++; n == 3 {
			break
		}
	}
}

// TestAppendJSONString compares appendJSONString with encoding/json on strings of every
// kind of character, valid UTF-8 or not.
func TestAppendJSONString(t *testing.T) {
	cases := []string{"", "plain", "\"\\/\b\f\n\r\t\x00\x1f\x7f", "<a>&b", "\u2028\u2029\u2027", "\xff\xfe", "é世\U0001F600", "\xe4\xb8", "a\xc0\x80b"}
	rng := rand.New(rand.NewPCG(1, 2))
	alphabet := []string{"a", " ", "\"", "\\", "\n", "\x01", "<", "&", "é", "世", "\u2028", "\xff", "\xe4", "\U0001F600"}
	for range 2000 {
		var b strings.Builder
		for range rng.IntN(12) {
			b.WriteString(alphabet[rng.IntN(len(alphabet))])
		}
		cases = append(cases, b.String())
	}
	for _, s := range cases {
		want, _ := json.Marshal(s)
		if got := appendJSONString([]byte("x"), s); string(got[1:]) != string(want) {
			t.Fatalf("appendJSONString(%q) = %s, want %s (valid UTF-8 %v)", s, got[1:], want, utf8.ValidString(s))
		}
	}
}

// TestPiecesBounded checks that text deltas are a few words each, and at most a character
// more than maxPieceLen bytes however long a word is, and that they join back to the text.
func TestPiecesBounded(t *testing.T) {
	long := strings.Repeat("é", 3*maxPieceLen) // 2-byte characters, no space
	for _, text := range []string{"one two three four five", long, "a " + long + " b c", strings.Repeat("x", maxPieceLen+1)} {
		var joined strings.Builder
		n := 0
		for p := range pieces(text) {
			if len(p) > maxPieceLen+utf8.UTFMax-1 || !utf8.ValidString(p) {
				t.Errorf("piece of %d bytes, valid UTF-8 %v", len(p), utf8.ValidString(p))
			}
			joined.WriteString(p)
			n++
		}
		if joined.String() != text || n != pieceCount(text) {
			t.Errorf("%d pieces (pieceCount %d) join to %d bytes of %d", n, pieceCount(text), joined.Len(), len(text))
		}
	}
	if n := pieceCount(long); n != 6 {
		t.Errorf("%d pieces of a %d-byte word, want 6", n, len(long))
	}
}
