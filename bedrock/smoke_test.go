package bedrock

import (
	"bytes"
	"io"
	"testing"
)

func TestSmoke(t *testing.T) {
	var buf bytes.Buffer
	w := NewWriter(&buf)
	for _, c := range Chunks(FamilyClaude, "Hello there, how are you today?", Usage{InputTokens: 3, OutputTokens: 7}) {
		if err := w.WriteChunk(c); err != nil {
			t.Fatal(err)
		}
	}
	r := NewReader(&buf)
	var text string
	for {
		ev, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		d, err := TextDelta(FamilyClaude, ev.Payload)
		if err != nil {
			t.Fatal(err)
		}
		text += d
	}
	if text != "Hello there, how are you today?" || !r.Complete() {
		t.Fatal(text, r.Complete())
	}
	if ValidateRequest(OpInvoke, "anthropic.claude-v2", nil, nil) == nil {
		t.Fatal("want error")
	}
}
