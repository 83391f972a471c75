package bedrock

import (
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"
	"time"
)

// A Family is a model family: the prefix of its model IDs, which decides the shape of the
// model's own JSON inside chunks.
type Family string

// Model families.
const (
	FamilyClaude  Family = "anthropic.claude" // Anthropic Claude, messages API
	FamilyTitan   Family = "amazon.titan"     // Amazon Titan Text
	FamilyLlama   Family = "meta.llama"       // Meta Llama
	FamilyMistral Family = "mistral"          // Mistral, text completion shape ("outputs")
	FamilyCohere  Family = "cohere"           // Cohere Command ("generations")
	FamilyNova    Family = "amazon.nova"      // Amazon Nova (Converse-shaped events keyed by name)

	// FamilyMistralChat is Mistral's chat completion shape ("choices"), which chat-tuned
	// Mistral models stream. FamilyOf never returns it: the model ID does not tell.
	FamilyMistralChat Family = "mistral.chat"
	// FamilyConverse stands for ConverseStream events: TextDelta reads a contentBlockDelta
	// event's JSON. FamilyOf never returns it.
	FamilyConverse Family = "converse"
)

var families = []Family{FamilyClaude, FamilyTitan, FamilyLlama, FamilyMistral, FamilyCohere, FamilyNova}

// FamilyOf returns the family of a model ID or ARN: foundation model IDs
// ("anthropic.claude-3-haiku-20240307-v1:0"), inference profile IDs with a geographic prefix
// ("us.anthropic.claude-..."), and ARNs whose resource names one of those. It returns "" if
// the family is unknown.
func FamilyOf(modelID string) Family {
	for _, part := range strings.Split(modelID, "/") {
		if f := familyPrefix(part); f != "" {
			return f
		}
		if i := strings.IndexByte(part, '.'); i >= 0 {
			if f := familyPrefix(part[i+1:]); f != "" {
				return f
			}
		}
	}
	return ""
}

func familyPrefix(s string) Family {
	for _, f := range families {
		if strings.HasPrefix(s, string(f)) {
			return f
		}
	}
	return ""
}

// Usage is what the generators report as token usage and invocation metrics.
type Usage struct {
	InputTokens, OutputTokens           int
	InvocationLatency, FirstByteLatency time.Duration
}

func (u Usage) metricsJSON() string {
	return fmt.Sprintf(`{"inputTokenCount":%d,"outputTokenCount":%d,"invocationLatency":%d,"firstByteLatency":%d}`,
		u.InputTokens, u.OutputTokens, u.InvocationLatency.Milliseconds(), u.FirstByteLatency.Milliseconds())
}

// wordsPerChunk is how many words each generated text delta carries.
const wordsPerChunk = 3

// splitText cuts text into pieces of a few words each, spaces kept, so that the pieces join
// back to text.
func splitText(text string) []string {
	var pieces []string
	start, words := 0, 0
	inWord := false
	for i := 0; i < len(text); i++ {
		space := text[i] == ' ' || text[i] == '\n' || text[i] == '\t'
		if !space && !inWord {
			if words == wordsPerChunk {
				pieces = append(pieces, text[start:i])
				start, words = i, 0
			}
			words++
		}
		inWord = !space
	}
	if start < len(text) {
		pieces = append(pieces, text[start:])
	}
	return pieces
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// responseID derives a stable identifier from the text, so that generators are pure
// functions of their arguments.
func responseID(text string, n int) string {
	const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	h := fnv.New64a()
	h.Write([]byte(text))
	x := h.Sum64()
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[x%uint64(len(alphabet))]
		x = x*6364136223846793005 + 1442695040888963407
		x ^= x >> 29
	}
	return string(b)
}

// Chunks returns the model JSON documents (each one to pass to [Writer.WriteChunk]) that
// stream text as family f does: the family's opening events, the text a few words per
// chunk, its closing events, and "amazon-bedrock-invocationMetrics" built from u in the last
// chunk. An unknown family gets Claude's format. The text deltas of the chunks, read with
// [TextDelta], join back to text.
func Chunks(f Family, text string, u Usage) [][]byte {
	pieces := splitText(text)
	metrics := u.metricsJSON()
	var out []string
	switch f {
	case FamilyTitan:
		if len(pieces) == 0 {
			pieces = []string{""}
		}
		for i, p := range pieces {
			in := "null"
			if i == 0 {
				in = strconv.Itoa(u.InputTokens)
			}
			if i < len(pieces)-1 {
				out = append(out, fmt.Sprintf(`{"outputText":%s,"index":0,"totalOutputTextTokenCount":null,"completionReason":null,"inputTextTokenCount":%s}`, jsonString(p), in))
				continue
			}
			out = append(out, fmt.Sprintf(`{"outputText":%s,"index":0,"totalOutputTextTokenCount":%d,"completionReason":"FINISH","inputTextTokenCount":%s,%q:%s}`, jsonString(p), u.OutputTokens, in, metricsKey, metrics))
		}
	case FamilyLlama:
		for i, p := range pieces {
			in := "null"
			if i == 0 {
				in = strconv.Itoa(u.InputTokens)
			}
			out = append(out, fmt.Sprintf(`{"generation":%s,"prompt_token_count":%s,"generation_token_count":%d,"stop_reason":null}`, jsonString(p), in, i+1))
		}
		out = append(out, fmt.Sprintf(`{"generation":"","prompt_token_count":null,"generation_token_count":%d,"stop_reason":"stop",%q:%s}`, u.OutputTokens, metricsKey, metrics))
	case FamilyMistral:
		for _, p := range pieces {
			out = append(out, fmt.Sprintf(`{"outputs":[{"text":%s,"stop_reason":null}]}`, jsonString(p)))
		}
		out = append(out, fmt.Sprintf(`{"outputs":[{"text":"","stop_reason":"stop"}],%q:%s}`, metricsKey, metrics))
	case FamilyMistralChat:
		id := responseID(text, 32)
		for _, p := range pieces {
			out = append(out, fmt.Sprintf(`{"id":%q,"object":"chat.completion.chunk","choices":[{"index":0,"message":{"role":"assistant","content":%s},"stop_reason":null}]}`, id, jsonString(p)))
		}
		out = append(out, fmt.Sprintf(`{"id":%q,"object":"chat.completion.chunk","choices":[{"index":0,"message":{"role":"assistant","content":""},"stop_reason":"stop"}],%q:%s}`, id, metricsKey, metrics))
	case FamilyCohere:
		id := responseID(text, 36)
		for _, p := range pieces {
			out = append(out, fmt.Sprintf(`{"generations":[{"id":%q,"text":%s,"finish_reason":null,"is_finished":false}]}`, id, jsonString(p)))
		}
		out = append(out, fmt.Sprintf(`{"generations":[{"id":%q,"text":"","finish_reason":"COMPLETE","is_finished":true}],%q:%s}`, id, metricsKey, metrics))
	case FamilyNova:
		out = append(out, `{"messageStart":{"role":"assistant"}}`)
		for _, p := range pieces {
			out = append(out, fmt.Sprintf(`{"contentBlockDelta":{"delta":{"text":%s},"contentBlockIndex":0}}`, jsonString(p)))
		}
		out = append(out, `{"contentBlockStop":{"contentBlockIndex":0}}`, `{"messageStop":{"stopReason":"end_turn"}}`)
		out = append(out, fmt.Sprintf(`{"metadata":{"usage":{"inputTokens":%d,"outputTokens":%d},"metrics":{},"trace":{}},%q:%s}`, u.InputTokens, u.OutputTokens, metricsKey, metrics))
	default:
		out = append(out,
			fmt.Sprintf(`{"type":"message_start","message":{"id":"msg_bdrk_%s","type":"message","role":"assistant","model":"claude-3-haiku-20240307","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":%d,"output_tokens":1}}}`, responseID(text, 24), u.InputTokens),
			`{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}`)
		for _, p := range pieces {
			out = append(out, fmt.Sprintf(`{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":%s}}`, jsonString(p)))
		}
		out = append(out,
			`{"type":"content_block_stop","index":0}`,
			fmt.Sprintf(`{"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":%d}}`, u.OutputTokens),
			fmt.Sprintf(`{"type":"message_stop",%q:%s}`, metricsKey, metrics))
	}
	chunks := make([][]byte, len(out))
	for i, s := range out {
		chunks[i] = []byte(s)
	}
	return chunks
}

// A ConverseEvent is one ConverseStream event: its ":event-type" and its JSON.
type ConverseEvent struct {
	Type string
	JSON []byte
}

// ConverseEvents returns the ConverseStream events (each one to pass to [Writer.WriteEvent])
// that stream text: messageStart, contentBlockDelta events of a few words each,
// contentBlockStop, messageStop with stopReason end_turn, and metadata with usage (input,
// output and total tokens) and metrics.latencyMs from u.
func ConverseEvents(text string, u Usage) []ConverseEvent {
	ev := []ConverseEvent{{Type: "messageStart", JSON: []byte(`{"role":"assistant"}`)}}
	for _, p := range splitText(text) {
		ev = append(ev, ConverseEvent{Type: "contentBlockDelta", JSON: []byte(fmt.Sprintf(`{"contentBlockIndex":0,"delta":{"text":%s}}`, jsonString(p)))})
	}
	ev = append(ev,
		ConverseEvent{Type: "contentBlockStop", JSON: []byte(`{"contentBlockIndex":0}`)},
		ConverseEvent{Type: "messageStop", JSON: []byte(`{"stopReason":"end_turn"}`)},
		ConverseEvent{Type: "metadata", JSON: []byte(fmt.Sprintf(`{"usage":{"inputTokens":%d,"outputTokens":%d,"totalTokens":%d},"metrics":{"latencyMs":%d}}`,
			u.InputTokens, u.OutputTokens, u.InputTokens+u.OutputTokens, u.InvocationLatency.Milliseconds()))})
	return ev
}

// chunkText holds every member that carries text in some family's chunk.
type chunkText struct {
	Type  string `json:"type"`
	Delta *struct {
		Type    string `json:"type"`
		Text    string `json:"text"`
		Content string `json:"content"`
	} `json:"delta"`
	OutputText *string `json:"outputText"`
	Generation *string `json:"generation"`
	Outputs    []struct {
		Text string `json:"text"`
	} `json:"outputs"`
	Choices []struct {
		Message *struct {
			Content string `json:"content"`
		} `json:"message"`
		Delta *struct {
			Content string `json:"content"`
		} `json:"delta"`
	} `json:"choices"`
	Generations []struct {
		Text string `json:"text"`
	} `json:"generations"`
	Text              *string `json:"text"`
	ContentBlockDelta *struct {
		Delta struct {
			Text string `json:"text"`
		} `json:"delta"`
	} `json:"contentBlockDelta"`
}

var errNotObject = errors.New("bedrock: chunk is not a JSON object")

// TextDelta returns the text that one chunk's model JSON carries for family f (use
// [FamilyOf] on a model ID), or, for [FamilyConverse], the text of a ConverseStream
// contentBlockDelta event's JSON. Chunks without text give "". An unknown family is read as
// whichever known shape the chunk has. JSON that is not an object is an error.
func TextDelta(f Family, chunk []byte) (string, error) {
	var c chunkText
	if err := json.Unmarshal(chunk, &c); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field == "" {
			return "", errNotObject
		}
		return "", fmt.Errorf("bedrock: chunk: %w", err)
	}
	claude := func() string {
		if c.Type == "content_block_delta" && c.Delta != nil {
			return c.Delta.Text
		}
		return ""
	}
	converse := func() string {
		if c.Delta != nil && c.Type == "" {
			return c.Delta.Text
		}
		return ""
	}
	nova := func() string {
		if c.ContentBlockDelta != nil {
			return c.ContentBlockDelta.Delta.Text
		}
		return ""
	}
	mistral := func() string {
		var b strings.Builder
		for _, o := range c.Outputs {
			b.WriteString(o.Text)
		}
		return b.String()
	}
	mistralChat := func() string {
		var b strings.Builder
		for _, ch := range c.Choices {
			if ch.Message != nil {
				b.WriteString(ch.Message.Content)
			}
			if ch.Delta != nil {
				b.WriteString(ch.Delta.Content)
			}
		}
		return b.String()
	}
	cohere := func() string {
		if len(c.Generations) > 0 {
			var b strings.Builder
			for _, g := range c.Generations {
				b.WriteString(g.Text)
			}
			return b.String()
		}
		if c.Text != nil { // Command R streams {"text":...,"is_finished":false}
			return *c.Text
		}
		return ""
	}
	deref := func(p *string) string {
		if p == nil {
			return ""
		}
		return *p
	}
	switch f {
	case FamilyClaude:
		return claude(), nil
	case FamilyTitan:
		return deref(c.OutputText), nil
	case FamilyLlama:
		return deref(c.Generation), nil
	case FamilyMistral, FamilyMistralChat:
		return mistral() + mistralChat(), nil
	case FamilyCohere:
		return cohere(), nil
	case FamilyNova:
		return nova(), nil
	case FamilyConverse:
		return converse(), nil
	}
	switch {
	case c.Type != "":
		return claude(), nil
	case c.OutputText != nil:
		return *c.OutputText, nil
	case c.Generation != nil:
		return *c.Generation, nil
	case c.Outputs != nil:
		return mistral(), nil
	case c.Choices != nil:
		return mistralChat(), nil
	case c.Generations != nil || c.Text != nil:
		return cohere(), nil
	case c.ContentBlockDelta != nil:
		return nova(), nil
	}
	return converse(), nil
}
