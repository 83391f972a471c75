package bedrocktest

import (
	"bytes"
	"encoding/json"
	"fmt"
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
		f := noFaults()
		if err := f.apply(s.Rules[i].Mock); err != nil {
			return nil, fmt.Errorf("bedrocktest: scenario rule %d: %w", i+1, err)
		}
	}
	return &s, nil
}

// LoadScenario reads a scenario file; see [ParseScenario].
func LoadScenario(path string) (*Scenario, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("bedrocktest: %w", err)
	}
	return ParseScenario(data)
}

// match returns the first rule that matches and the faults its Mock asks for, or nil.
func (s *Scenario) match(model, prompt string) (*Rule, Faults, error) {
	f := noFaults()
	if s == nil {
		return nil, f, nil
	}
	for i := range s.Rules {
		r := &s.Rules[i]
		if globMatch(r.Model, model) && strings.Contains(prompt, r.Prompt) {
			err := f.apply(r.Mock)
			return r, f, err
		}
	}
	return nil, f, nil
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
