package bedrock

import (
	"bytes"
	"encoding/json"
	"io"
	"strings"
	"testing"
	"time"
)

func TestFamilyOf(t *testing.T) {
	for _, tc := range []struct {
		id   string
		want Family
	}{
		{"anthropic.claude-3-haiku-20240307-v1:0", FamilyClaude},
		{"anthropic.claude-v2", FamilyClaude},
		{"us.anthropic.claude-3-5-sonnet-20241022-v2:0", FamilyClaude},
		{"global.anthropic.claude-sonnet-4-20250514-v1:0", FamilyClaude},
		{"arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-instant-v1", FamilyClaude},
		{"arn:aws:bedrock:us-east-2:123456789012:inference-profile/us.anthropic.claude-3-haiku-20240307-v1:0", FamilyClaude},
		{"amazon.titan-text-express-v1", FamilyTitan},
		{"arn:aws:bedrock:us-east-1:123456789012:custom-model/amazon.titan-text-lite-v1:0:4k/abcdefghijkl", FamilyTitan},
		{"meta.llama3-8b-instruct-v1:0", FamilyLlama},
		{"us.meta.llama3-2-1b-instruct-v1:0", FamilyLlama},
		{"mistral.mistral-7b-instruct-v0:2", FamilyMistral},
		{"mistral.mistral-large-2407-v1:0", FamilyMistral},
		{"cohere.command-text-v14", FamilyCohere},
		{"cohere.command-r-plus-v1:0", FamilyCohere},
		{"amazon.nova-pro-v1:0", FamilyNova},
		{"eu.amazon.nova-lite-v1:0", FamilyNova},
		{"ai21.j2-ultra-v1", ""},
		{"arn:aws:bedrock:us-east-1:123456789012:provisioned-model/abcdefghijkl", ""},
		{"", ""},
	} {
		if got := FamilyOf(tc.id); got != tc.want {
			t.Errorf("FamilyOf(%q) = %q, want %q", tc.id, got, tc.want)
		}
	}
}

// TestChunksTextDelta checks every family's generated stream: each chunk is valid JSON in the
// family's shape, the text deltas join back to the text, the last chunk alone carries the
// invocation metrics, and a Reader sees the stream as complete.
func TestChunksTextDelta(t *testing.T) {
	u := Usage{InputTokens: 11, OutputTokens: 22, InvocationLatency: 3300 * time.Millisecond, FirstByteLatency: 440 * time.Millisecond}
	wantMetrics := InvocationMetrics{11, 22, 3300 * time.Millisecond, 440 * time.Millisecond}
	texts := []string{
		"The quick brown fox jumps over the lazy dog. It was \"fun\" <really> & odd: \u00e9\u4e16\n\tnew line.",
		"one",
		"  leading and trailing spaces  ",
		"",
	}
	for _, f := range []Family{FamilyClaude, FamilyTitan, FamilyLlama, FamilyMistral, FamilyMistralChat, FamilyCohere, FamilyCohereChat, FamilyNova, "unknown"} {
		for _, text := range texts {
			chunks := collectChunks(textReply(text, u), f)
			var got strings.Builder
			var buf bytes.Buffer
			w := NewWriter(&buf)
			for i, c := range chunks {
				if !json.Valid(c) {
					t.Fatalf("%s: chunk %d not JSON: %s", f, i, c)
				}
				d, err := TextDelta(f, c)
				if err != nil {
					t.Fatalf("%s: %v", f, err)
				}
				got.WriteString(d)
				if len(strings.Fields(d)) > wordsPerChunk {
					t.Errorf("%s: delta %q has more than %d words", f, d, wordsPerChunk)
				}
				// The delta is also found without being told the family.
				if f != "unknown" {
					if d2, _ := TextDelta("", c); d2 != d {
						t.Errorf("%s: TextDelta without family %q, with %q", f, d2, d)
					}
				}
				im, ok := ChunkMetrics(c)
				last := i == len(chunks)-1
				if ok != last || (last && im != wantMetrics) {
					t.Errorf("%s: chunk %d metrics %+v %v", f, i, im, ok)
				}
				w.WriteChunk(c)
			}
			if got.String() != text {
				t.Errorf("%s: text %q, want %q", f, got.String(), text)
			}
			r := NewReader(&buf)
			if _, _, err := readAll(r); err != io.EOF || !r.Complete() {
				t.Errorf("%s: read back %v, Complete %v", f, err, r.Complete())
			}
			if im, ok := r.InvocationMetrics(); !ok || im != wantMetrics {
				t.Errorf("%s: Reader metrics %+v %v", f, im, ok)
			}
		}
	}
}

func TestChunksShapes(t *testing.T) {
	u := Usage{InputTokens: 5, OutputTokens: 6, InvocationLatency: 700 * time.Millisecond, FirstByteLatency: 80 * time.Millisecond}
	metrics := `"amazon-bedrock-invocationMetrics":{"inputTokenCount":5,"outputTokenCount":6,"invocationLatency":700,"firstByteLatency":80}`
	for _, tc := range []struct {
		f    Family
		want []string
	}{
		{FamilyClaude, []string{
			`{"type":"message_start","message":{"id":"msg_bdrk_*","type":"message","role":"assistant","model":"claude-3-haiku-20240307","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":5,"output_tokens":1}}}`,
			`{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}`,
			`{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hello big world "}}`,
			`{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"again"}}`,
			`{"type":"content_block_stop","index":0}`,
			`{"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":6}}`,
			`{"type":"message_stop",` + metrics + `}`,
		}},
		{FamilyTitan, []string{
			`{"outputText":"Hello big world ","index":0,"totalOutputTextTokenCount":null,"completionReason":null,"inputTextTokenCount":5}`,
			`{"outputText":"again","index":0,"totalOutputTextTokenCount":6,"completionReason":"FINISH","inputTextTokenCount":null,` + metrics + `}`,
		}},
		{FamilyLlama, []string{
			`{"generation":"Hello big world ","prompt_token_count":5,"generation_token_count":1,"stop_reason":null}`,
			`{"generation":"again","prompt_token_count":null,"generation_token_count":2,"stop_reason":null}`,
			`{"generation":"","prompt_token_count":null,"generation_token_count":6,"stop_reason":"stop",` + metrics + `}`,
		}},
		{FamilyMistral, []string{
			`{"outputs":[{"text":"Hello big world ","stop_reason":null}]}`,
			`{"outputs":[{"text":"again","stop_reason":null}]}`,
			`{"outputs":[{"text":"","stop_reason":"stop"}],` + metrics + `}`,
		}},
		{FamilyMistralChat, []string{
			`{"id":"*","object":"chat.completion.chunk","choices":[{"index":0,"message":{"role":"assistant","content":"Hello big world "},"stop_reason":null}]}`,
			`{"id":"*","object":"chat.completion.chunk","choices":[{"index":0,"message":{"role":"assistant","content":"again"},"stop_reason":null}]}`,
			`{"id":"*","object":"chat.completion.chunk","choices":[{"index":0,"message":{"role":"assistant","content":""},"stop_reason":"stop"}],` + metrics + `}`,
		}},
		{FamilyCohere, []string{
			`{"generations":[{"id":"*","text":"Hello big world ","finish_reason":null,"is_finished":false}]}`,
			`{"generations":[{"id":"*","text":"again","finish_reason":null,"is_finished":false}]}`,
			`{"generations":[{"id":"*","text":"","finish_reason":"COMPLETE","is_finished":true}],` + metrics + `}`,
		}},
		{FamilyNova, []string{
			`{"messageStart":{"role":"assistant"}}`,
			`{"contentBlockDelta":{"delta":{"text":"Hello big world "},"contentBlockIndex":0}}`,
			`{"contentBlockDelta":{"delta":{"text":"again"},"contentBlockIndex":0}}`,
			`{"contentBlockStop":{"contentBlockIndex":0}}`,
			`{"messageStop":{"stopReason":"end_turn"}}`,
			`{"metadata":{"usage":{"inputTokens":5,"outputTokens":6},"metrics":{},"trace":{}},` + metrics + `}`,
		}},
	} {
		got := collectChunks(textReply("Hello big world again", u), tc.f)
		if len(got) != len(tc.want) {
			t.Errorf("%s: %d chunks, want %d", tc.f, len(got), len(tc.want))
			continue
		}
		for i := range got {
			if !matchStar(tc.want[i], string(got[i])) {
				t.Errorf("%s chunk %d:\n got %s\nwant %s", tc.f, i, got[i], tc.want[i])
			}
		}
	}
	// Generators are pure functions of their arguments.
	a, b := collectChunks(textReply("same text", u), FamilyClaude), collectChunks(textReply("same text", u), FamilyClaude)
	if string(a[0]) != string(b[0]) {
		t.Error("Chunks is not deterministic")
	}
}

// matchStar matches s against pattern, where each * stands for a run of letters and digits.
func matchStar(pattern, s string) bool {
	parts := strings.Split(pattern, "*")
	if !strings.HasPrefix(s, parts[0]) {
		return false
	}
	s = s[len(parts[0]):]
	for _, p := range parts[1:] {
		i := 0
		for i < len(s) && (s[i] >= 'a' && s[i] <= 'z' || s[i] >= 'A' && s[i] <= 'Z' || s[i] >= '0' && s[i] <= '9') {
			i++
		}
		if i == 0 || !strings.HasPrefix(s[i:], p) {
			return false
		}
		s = s[i+len(p):]
	}
	return s == ""
}

func TestConverseEvents(t *testing.T) {
	got := collectEvents(textReply("Hello big world again", Usage{InputTokens: 5, OutputTokens: 6, InvocationLatency: 789 * time.Millisecond}))
	want := []converseEvent{
		{"messageStart", []byte(`{"role":"assistant"}`)},
		{"contentBlockDelta", []byte(`{"contentBlockIndex":0,"delta":{"text":"Hello big world "}}`)},
		{"contentBlockDelta", []byte(`{"contentBlockIndex":0,"delta":{"text":"again"}}`)},
		{"contentBlockStop", []byte(`{"contentBlockIndex":0}`)},
		{"messageStop", []byte(`{"stopReason":"end_turn"}`)},
		{"metadata", []byte(`{"usage":{"inputTokens":5,"outputTokens":6,"totalTokens":11},"metrics":{"latencyMs":789}}`)},
	}
	if len(got) != len(want) {
		t.Fatalf("%d events", len(got))
	}
	for i := range got {
		if got[i].Type != want[i].Type || string(got[i].JSON) != string(want[i].JSON) {
			t.Errorf("event %d: %s %s", i, got[i].Type, got[i].JSON)
		}
	}
	var text strings.Builder
	for _, e := range got {
		d, err := TextDelta(FamilyConverse, e.JSON)
		if err != nil {
			t.Fatal(err)
		}
		text.WriteString(d)
	}
	if text.String() != "Hello big world again" {
		t.Errorf("text %q", text.String())
	}
}

func TestTextDelta(t *testing.T) {
	for _, tc := range []struct {
		f     Family
		chunk string
		want  string
	}{
		{FamilyClaude, `{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hi \u00e9"}}`, "Hi é"},
		{FamilyClaude, `{"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"{\"a\""}}`, ""},
		{FamilyClaude, `{"type":"message_delta","delta":{"stop_reason":"end_turn"}}`, ""},
		{FamilyClaude, `{"type":"ping"}`, ""},
		{FamilyTitan, `{"outputText":"abc","index":0}`, "abc"},
		{FamilyLlama, `{"generation":" x","stop_reason":null}`, " x"},
		{FamilyMistral, `{"outputs":[{"text":"a","stop_reason":null},{"text":"b"}]}`, "ab"},
		{FamilyMistral, `{"choices":[{"index":0,"message":{"role":"assistant","content":"chat"}}]}`, "chat"},
		{FamilyMistralChat, `{"choices":[{"index":0,"delta":{"content":"delta"}}]}`, "delta"},
		{FamilyCohere, `{"generations":[{"text":"gen","finish_reason":null}]}`, "gen"},
		{FamilyCohere, `{"text":" Hello","is_finished":false}`, " Hello"},
		{FamilyCohere, `{"is_finished":true,"finish_reason":"COMPLETE","response":{"text":"all"}}`, ""},
		{FamilyNova, `{"contentBlockDelta":{"delta":{"text":"nova"},"contentBlockIndex":0}}`, "nova"},
		{FamilyNova, `{"messageStop":{"stopReason":"end_turn"}}`, ""},
		{FamilyConverse, `{"contentBlockIndex":0,"delta":{"text":"conv"}}`, "conv"},
		{FamilyConverse, `{"contentBlockIndex":0,"delta":{"toolUse":{"input":"{}"}}}`, ""},
		{FamilyTitan, `{"generation":"not titan"}`, ""},
		{"", `{"outputText":"auto"}`, "auto"},
		{"", `{"contentBlockDelta":{"delta":{"text":"auto nova"}}}`, "auto nova"},
		{"", `{"contentBlockIndex":0,"delta":{"text":"auto conv"}}`, "auto conv"},
		{"", `{}`, ""},
	} {
		got, err := TextDelta(tc.f, []byte(tc.chunk))
		if err != nil || got != tc.want {
			t.Errorf("TextDelta(%q, %s) = %q, %v; want %q", tc.f, tc.chunk, got, err, tc.want)
		}
	}
	for _, bad := range []string{`not json`, `[1,2]`, `"text"`, `{"outputText":5}`, ``} {
		if _, err := TextDelta(FamilyTitan, []byte(bad)); err == nil || !strings.HasPrefix(err.Error(), "bedrock: ") {
			t.Errorf("TextDelta(%q): %v", bad, err)
		}
	}
}
