package bedrocktest

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
)

// A Scenario scripts replies and faults. Its JSON form, as read by [ParseScenario]:
//
//	{
//	  "rules": [
//	    {"model": "anthropic.claude-*", "prompt": "weather", "reply": "Sunny, 21 °C."},
//	    {"prompt": "flaky", "reply": "ok", "mock": "status=503 error=ServiceUnavailableException fail-attempts=2"},
//	    {"model": "meta.llama*", "mock": "exception=throttlingException after=3"}
//	  ]
//	}
//
// A request takes the first rule that matches it; a request no rule matches gets the echo.
type Scenario struct {
	Rules []Rule `json:"rules"`
}

// A Rule matches a request by model ID and prompt, and says what to answer.
type Rule struct {
	// Model matches the model ID (as percent-decoded from the path): empty matches any;
	// each '*' matches any run of characters, including none.
	Model string `json:"model,omitempty"`
	// Prompt matches when the text of the last user message, directives removed,
	// contains it; empty matches any.
	Prompt string `json:"prompt,omitempty"`
	// Reply is the text to answer instead of the echo; empty keeps the echo.
	Reply string `json:"reply,omitempty"`
	// Transcript, in a voice session (InvokeModelWithBidirectionalStream), is what the
	// user said in an audio turn: the first rule whose Model matches and whose Transcript is
	// set gives the transcript of every audio turn, which then stands as the turn's prompt
	// for matching Prompt, Reply and Mock. Without one, audio turns say
	// DefaultAudioTranscript.
	Transcript string `json:"transcript,omitempty"`
	// Mock holds directive settings, written as inside "[[mock ...]]"; directives in the
	// prompt override them.
	Mock string `json:"mock,omitempty"`

	// ToolResult matches when the last user message carries the result of a call of the
	// tool of that name; empty matches any request. In Reply, "{{result}}" stands for the
	// text of the tool results and "{{tool}}" for the tool's name.
	ToolResult string `json:"tool_result,omitempty"`
	// Tool makes the reply call tools, as the tool= directive does; Reply, when set, is
	// then the text before the calls.
	Tool string `json:"tool,omitempty"`
	// ToolInput is the input of the calls Tool makes (a JSON object), instead of one made
	// from the tool's input schema (see [ExampleInput]).
	ToolInput json.RawMessage `json:"tool_input,omitempty"`
	// Reasoning, when set, starts the reply with a reasoning block of that text.
	Reasoning string `json:"reasoning,omitempty"`
	// Guardrail "intervened" makes a guardrail block the request, with BlockedMessage (or
	// DefaultBlockedMessage) as the reply.
	Guardrail      string `json:"guardrail,omitempty"`
	BlockedMessage string `json:"blocked_message,omitempty"`
}

// ParseScenario reads a scenario from its JSON form. Unknown fields and bad mock settings
// are errors.
func ParseScenario(data []byte) (*Scenario, error) {
	var s Scenario
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		return nil, fmt.Errorf("bedrocktest: scenario: %w", err)
	}
	for i := range s.Rules {
		r := &s.Rules[i]
		f := noFaults()
		if err := f.apply(r.Mock); err != nil {
			return nil, fmt.Errorf("bedrocktest: scenario rule %d: %w", i+1, err)
		}
		if r.ToolInput != nil {
			var m map[string]json.RawMessage
			if json.Unmarshal(r.ToolInput, &m) != nil || m == nil {
				return nil, fmt.Errorf("bedrocktest: scenario rule %d: tool_input must be a JSON object", i+1)
			}
		}
		if r.Guardrail != "" && r.Guardrail != "intervened" {
			return nil, fmt.Errorf("bedrocktest: scenario rule %d: guardrail %q: want \"intervened\"", i+1, r.Guardrail)
		}
	}
	return &s, nil
}

// MaxScenarioBytes is the size limit of a scenario file.
const MaxScenarioBytes = 1 << 20

// LoadScenario reads a scenario file of at most [MaxScenarioBytes]; see [ParseScenario].
// A larger file is an error, found without reading more than the limit.
func LoadScenario(path string) (*Scenario, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("bedrocktest: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxScenarioBytes+1))
	if err != nil {
		return nil, fmt.Errorf("bedrocktest: %w", err)
	}
	if len(data) > MaxScenarioBytes {
		return nil, fmt.Errorf("bedrocktest: scenario %s is larger than %d bytes", path, MaxScenarioBytes)
	}
	return ParseScenario(data)
}

// match returns the first rule that matches and the faults its Mock and its tool,
// reasoning and guardrail fields ask for, or nil. results are the tool results the request
// carries.
func (s *Scenario) match(model, prompt string, results []toolResult) (*Rule, Faults, error) {
	f := noFaults()
	if s == nil {
		return nil, f, nil
	}
	for i := range s.Rules {
		r := &s.Rules[i]
		if globMatch(r.Model, model) && strings.Contains(prompt, r.Prompt) && resultMatch(r.ToolResult, results) {
			err := f.apply(r.Mock)
			f.Tool = cmp.Or(f.Tool, r.Tool)
			if r.Reasoning != "" && !f.Reasoned {
				f.Reasoning, f.Reasoned = r.Reasoning, true
			}
			f.Guardrail = cmp.Or(f.Guardrail, r.Guardrail)
			f.BlockedMessage = cmp.Or(f.BlockedMessage, r.BlockedMessage)
			return r, f, err
		}
	}
	return nil, f, nil
}

// resultMatch reports whether a result of tool name came back; "" matches anything.
func resultMatch(name string, results []toolResult) bool {
	if name == "" {
		return true
	}
	for _, r := range results {
		if r.name == name {
			return true
		}
	}
	return false
}

// globMatch reports whether s matches pattern, where '*' matches any run of characters and
// an empty pattern matches everything.
func globMatch(pattern, s string) bool {
	if pattern == "" {
		return true
	}
	parts := strings.Split(pattern, "*")
	if len(parts) == 1 {
		return pattern == s
	}
	if !strings.HasPrefix(s, parts[0]) {
		return false
	}
	s = s[len(parts[0]):]
	last := parts[len(parts)-1]
	for _, p := range parts[1 : len(parts)-1] {
		i := strings.Index(s, p)
		if i < 0 {
			return false
		}
		s = s[i+len(p):]
	}
	return len(s) >= len(last) && strings.HasSuffix(s, last)
}

// toolInput returns the input of a call of a tool whose input schema is schema: the rule's
// tool_input, compacted, when r has one, or else the value ExampleInput makes from schema.
func (r *Rule) toolInput(schema []byte) ([]byte, error) {
	if r != nil && r.ToolInput != nil {
		var b bytes.Buffer
		json.Compact(&b, r.ToolInput) // checked by ParseScenario
		return b.Bytes(), nil
	}
	return ExampleInput(schema)
}
