package bedrocktest

import (
	"encoding/json"
	"io"
	"strings"
	"testing"
)

// TestClaudeToolChoiceTool checks that Claude's tool_choice of type "tool" forces a call of the
// tool it names, not of the first one, without a directive, in the whole body and the stream.
func TestClaudeToolChoiceTool(t *testing.T) {
	srv := NewServer(Config{})
	defer srv.Close()
	c := srv.Client()
	body := `{"anthropic_version":"bedrock-2023-05-31","max_tokens":100,"messages":[{"role":"user","content":"hi"}],` +
		`"tools":[{"name":"get_weather","input_schema":` + weatherSchema + `},` +
		`{"name":"get_time","input_schema":{"type":"object","properties":{"zone":{"type":"string","enum":["UTC","CET"]}},"required":["zone"]}}],` +
		`"tool_choice":{"type":"tool","name":"get_time"}}`
	resp := post(t, c, srv.URL, claude, "invoke", body)
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	if dig(m, "content", 0, "type") != "tool_use" || dig(m, "content", 0, "name") != "get_time" ||
		dig(m, "content", 0, "input", "zone") != "UTC" || m["stop_reason"] != "tool_use" {
		t.Errorf("invoke: %s", b)
	}
	evs := strings.Join(events(t, post(t, c, srv.URL, claude, "invoke-with-response-stream", body)), "\n")
	if !strings.Contains(evs, `"type":"tool_use"`) || !strings.Contains(evs, `"name":"get_time"`) ||
		strings.Contains(evs, "get_weather") || !strings.Contains(evs, `"stop_reason":"tool_use"`) {
		t.Errorf("stream:\n%s", evs)
	}
}
