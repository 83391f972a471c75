package bedrock

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
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
	FamilyCohere  Family = "cohere"           // Cohere Command ("generations"), and Command R's chat events
	FamilyNova    Family = "amazon.nova"      // Amazon Nova (Converse-shaped events keyed by name)

	// FamilyMistralChat is Mistral's chat completion shape ("choices"), which chat-tuned
	// Mistral models stream. FamilyOf never returns it: the model ID does not tell.
	FamilyMistralChat Family = "mistral.chat"
	// FamilyCohereChat is Cohere Command R's chat shape (a request with "message"; events
	// "stream-start", "text-generation", "tool-calls-generation", "stream-end"). FamilyOf
	// never returns it: Command and Command R models share the "cohere" prefix, and
	// TextDelta reads both shapes for FamilyCohere.
	FamilyCohereChat Family = "cohere.chat"
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
	EventType         string  `json:"event_type"` // Cohere Command R
	ContentBlockDelta *struct {
		Delta struct {
			Text string `json:"text"`
		} `json:"delta"`
	} `json:"contentBlockDelta"`
}

var errNotObject = errors.New("bedrock: chunk is not a JSON object")

// TextDelta returns the text that one chunk's model JSON carries for family f (use
// [FamilyOf] on a model ID), or, for [FamilyConverse], the text of a ConverseStream
// contentBlockDelta event's JSON. For [FamilyCohere] and [FamilyCohereChat] it reads both
// Command's "generations" and Command R's chat events, whose text is that of
// "text-generation" events and the preamble of a "tool-calls-generation" event (the whole
// text in "stream-end" is not read again). Chunks without text give "". An unknown family is
// read as whichever known shape the chunk has. JSON that is not an object is an error.
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
		// Command R streams {"event_type":"text-generation","text":...}, and a tool call's
		// preamble as the text of its "tool-calls-generation" event. Its other events carry
		// no text of their own ("stream-end" has it whole in "response").
		if c.Text != nil && (c.EventType == "" || c.EventType == "text-generation" || c.EventType == "tool-calls-generation") {
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
	case FamilyCohere, FamilyCohereChat:
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
	case c.Generations != nil || c.Text != nil || c.EventType != "":
		return cohere(), nil
	case c.ContentBlockDelta != nil:
		return nova(), nil
	}
	return converse(), nil
}
