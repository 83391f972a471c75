package bedrocktest

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/framewire/eventstream/bedrock"
)

const weatherSchema = `{"type":"object","properties":{"city":{"type":"string"},"unit":{"type":"string","enum":["celsius","fahrenheit"]}},"required":["city","unit"]}`

// converseTools is a Converse body with two tools, the messages given as JSON, and extra
// top-level members.
func converseTools(messages string, extra ...string) string {
	b := `{"messages":` + messages + `,"toolConfig":{"tools":[` +
		`{"toolSpec":{"name":"get_weather","description":"Weather in a city","inputSchema":{"json":` + weatherSchema + `}}},` +
		`{"toolSpec":{"name":"get_time","inputSchema":{"json":{"type":"object","properties":{"zone":{"type":"string","default":"UTC"}},"required":["zone"]}}}}]`
	for _, e := range extra {
		if strings.HasPrefix(e, `"toolChoice"`) {
			b += "," + e
		}
	}
	b += "}"
	for _, e := range extra {
		if !strings.HasPrefix(e, `"toolChoice"`) {
			b += "," + e
		}
	}
	return b + "}"
}

func userText(s string) string {
	return `{"role":"user","content":[{"text":` + quote(s) + `}]}`
}

// events reads a stream and returns its events as "type payload" lines.
func events(t *testing.T, resp *http.Response) []string {
	t.Helper()
	if resp.StatusCode != 200 {
		name, status, msg := apiError(t, resp)
		t.Fatalf("%d %s: %s", status, name, msg)
	}
	evs, complete, err := readStream(t, resp)
	if err != nil || !complete {
		t.Fatalf("stream: %v, complete %v", err, complete)
	}
	out := make([]string, len(evs))
	for i, ev := range evs {
		out[i] = ev.Type + " " + string(ev.Payload)
	}
	return out
}

func TestConverseStreamToolLoop(t *testing.T) {
	srv := NewServer(Config{})
	defer srv.Close()
	c := srv.Client()
	first := `[` + userText("Weather in Paris? [[mock tool=get_weather]]") + `]`
	evs := events(t, post(t, c, srv.URL, claude, "converse-stream", converseTools(first)))
	var start struct {
		ContentBlockIndex int
		Start             struct {
			ToolUse struct{ ToolUseID, Name string }
		}
	}
	var input strings.Builder
	var kinds []string
	for _, e := range evs {
		typ, payload, _ := strings.Cut(e, " ")
		kinds = append(kinds, typ)
		switch typ {
		case "contentBlockStart":
			json.Unmarshal([]byte(payload), &start)
		case "contentBlockDelta":
			var d struct {
				Delta struct{ ToolUse struct{ Input string } }
			}
			json.Unmarshal([]byte(payload), &d)
			input.WriteString(d.Delta.ToolUse.Input)
		}
	}
	if got := strings.Join(kinds, " "); got != "messageStart contentBlockStart contentBlockDelta contentBlockDelta contentBlockStop messageStop metadata" {
		t.Errorf("events %s", got)
	}
	if evs[len(evs)-2] != `messageStop {"stopReason":"tool_use"}` {
		t.Errorf("stop %s", evs[len(evs)-2])
	}
	id := start.Start.ToolUse.ToolUseID
	if start.Start.ToolUse.Name != "get_weather" || !strings.HasPrefix(id, "tooluse_") || len(id) != 30 || start.ContentBlockIndex != 0 {
		t.Errorf("start %+v", start)
	}
	if input.String() != `{"city":"example","unit":"celsius"}` {
		t.Errorf("input %s", input.String())
	}

	// The application runs the tool and sends the result: the reply is the result's text.
	second := `[` + userText("Weather in Paris? [[mock tool=get_weather]]") +
		`,{"role":"assistant","content":[{"toolUse":{"toolUseId":"` + id + `","name":"get_weather","input":` + input.String() + `}}]}` +
		`,{"role":"user","content":[{"toolResult":{"toolUseId":"` + id + `","content":[{"text":"18 °C and sunny"}],"status":"success"}}]}]`
	evs = events(t, post(t, c, srv.URL, claude, "converse-stream", converseTools(second)))
	var text strings.Builder
	for _, e := range evs {
		if typ, payload, _ := strings.Cut(e, " "); typ == "contentBlockDelta" {
			s, _ := bedrock.TextDelta(bedrock.FamilyConverse, []byte(payload))
			text.WriteString(s)
		}
	}
	if text.String() != "18 °C and sunny" || evs[len(evs)-2] != `messageStop {"stopReason":"end_turn"}` {
		t.Errorf("final %q, %s", text.String(), evs[len(evs)-2])
	}

	// A result for an ID the previous turn did not issue is refused.
	bad := strings.Replace(second, `"toolResult":{"toolUseId":"`+id, `"toolResult":{"toolUseId":"tooluse_other`, 1)
	name, status, msg := apiError(t, post(t, c, srv.URL, claude, "converse-stream", converseTools(bad)))
	if name != bedrock.ErrValidation || status != 400 || !strings.Contains(msg, "tooluse_other") {
		t.Errorf("unmatched result: %s %d %s", name, status, msg)
	}
	// Tool blocks without a toolConfig are refused, as the service does.
	noTools := `{"messages":` + second + `}`
	if name, _, msg := apiError(t, post(t, c, srv.URL, claude, "converse", noTools)); name != bedrock.ErrValidation || !strings.Contains(msg, "toolConfig") {
		t.Errorf("no toolConfig: %s %s", name, msg)
	}
}

func TestToolDirectives(t *testing.T) {
	srv := NewServer(Config{})
	defer srv.Close()
	c := srv.Client()
	converse := func(prompt string, extra ...string) map[string]any {
		t.Helper()
		resp := post(t, c, srv.URL, claude, "converse", converseTools(`[`+userText(prompt)+`]`, extra...))
		defer resp.Body.Close()
		if resp.StatusCode != 200 {
			name, _, msg := apiError(t, resp)
			t.Fatalf("%s: %s", name, msg)
		}
		var m map[string]any
		json.NewDecoder(resp.Body).Decode(&m)
		return m
	}
	// Parallel tool use, in Converse's response shape.
	m := converse("both [[mock tool=get_weather,get_time]]")
	content := dig(m, "output", "message", "content").([]any)
	if len(content) != 2 || dig(content[0], "toolUse", "name") != "get_weather" || dig(content[1], "toolUse", "name") != "get_time" ||
		dig(content[1], "toolUse", "input", "zone") != "UTC" || m["stopReason"] != "tool_use" {
		t.Errorf("parallel: %v", m)
	}
	// * is the first tool; a rule's reply is not set, so there is no preamble.
	if m := converse("x [[mock tool=*]]"); dig(m, "output", "message", "content", 0, "toolUse", "name") != "get_weather" {
		t.Errorf("tool=*: %v", m)
	}
	// Tool choice forces a call without a directive.
	if m := converse("what time is it", `"toolChoice":{"tool":{"name":"get_time"}}`); dig(m, "output", "message", "content", 0, "toolUse", "name") != "get_time" {
		t.Errorf("toolChoice tool: %v", m)
	}
	if m := converse("anything", `"toolChoice":{"any":{}}`); dig(m, "output", "message", "content", 0, "toolUse", "name") != "get_weather" {
		t.Errorf("toolChoice any: %v", m)
	}
	if m := converse("auto", `"toolChoice":{"auto":{}}`); dig(m, "output", "message", "content", 0, "text") != "auto" {
		t.Errorf("toolChoice auto: %v", m)
	}
	// An unknown name lists the names the request has.
	resp := post(t, c, srv.URL, claude, "converse", converseTools(`[`+userText("[[mock tool=search]]")+`]`))
	if name, status, msg := apiError(t, resp); name != bedrock.ErrValidation || status != 400 || msg != `bedrocktest: tool "search" is not in the request's tools: get_weather, get_time` {
		t.Errorf("unknown tool: %s %d %q", name, status, msg)
	}
	// InvokeModel tool use is Claude's only.
	resp = post(t, c, srv.URL, "meta.llama3-8b-instruct-v1:0", "invoke", `{"prompt":"[[mock tool=x]]"}`)
	if name, _, msg := apiError(t, resp); name != bedrock.ErrValidation || !strings.Contains(msg, "Claude") {
		t.Errorf("llama tool: %s %s", name, msg)
	}
}

// claudeTools is a Claude messages body with the weather tool.
func claudeTools(messages string, extra ...string) string {
	b := `{"anthropic_version":"bedrock-2023-05-31","max_tokens":2048,"messages":` + messages +
		`,"tools":[{"name":"get_weather","description":"Weather","input_schema":` + weatherSchema + `}]`
	for _, e := range extra {
		b += "," + e
	}
	return b + "}"
}

func TestClaudeToolLoop(t *testing.T) {
	srv := NewServer(Config{})
	defer srv.Close()
	c := srv.Client()
	first := `[{"role":"user","content":"Weather? [[mock tool=get_weather]]"}]`
	evs := events(t, post(t, c, srv.URL, claude, "invoke-with-response-stream", claudeTools(first)))
	var id string
	var input strings.Builder
	for _, e := range evs {
		_, payload, _ := strings.Cut(e, " ")
		var ch struct {
			Type         string
			ContentBlock struct{ Type, ID, Name string } `json:"content_block"`
			Delta        struct {
				Type        string
				PartialJSON string `json:"partial_json"`
				StopReason  string `json:"stop_reason"`
			}
		}
		json.Unmarshal([]byte(payload), &ch)
		switch {
		case ch.Type == "content_block_start":
			if ch.ContentBlock.Type != "tool_use" || ch.ContentBlock.Name != "get_weather" || !strings.HasPrefix(ch.ContentBlock.ID, "toolu_bdrk_") {
				t.Errorf("block start %s", payload)
			}
			id = ch.ContentBlock.ID
		case ch.Delta.Type == "input_json_delta":
			input.WriteString(ch.Delta.PartialJSON)
		case ch.Type == "message_delta" && ch.Delta.StopReason != "tool_use":
			t.Errorf("message_delta %s", payload)
		}
	}
	if input.String() != `{"city":"example","unit":"celsius"}` {
		t.Errorf("input %q", input.String())
	}
	second := `[{"role":"user","content":"Weather? [[mock tool=get_weather]]"},` +
		`{"role":"assistant","content":[{"type":"tool_use","id":"` + id + `","name":"get_weather","input":` + input.String() + `}]},` +
		`{"role":"user","content":[{"type":"tool_result","tool_use_id":"` + id + `","content":[{"type":"text","text":"18 °C"}]}]}]`
	resp := post(t, c, srv.URL, claude, "invoke", claudeTools(second))
	var m map[string]any
	json.NewDecoder(resp.Body).Decode(&m)
	resp.Body.Close()
	if dig(m, "content", 0, "text") != "18 °C" || m["stop_reason"] != "end_turn" {
		t.Errorf("final %v", m)
	}
	bad := strings.Replace(second, `"tool_use_id":"`+id, `"tool_use_id":"toolu_nope`, 1)
	name, _, msg := apiError(t, post(t, c, srv.URL, claude, "invoke", claudeTools(bad)))
	if name != bedrock.ErrValidation || msg != "messages.2.content: unexpected `tool_use_id` found in `tool_result` blocks: toolu_nope. Each `tool_result` block must have a corresponding `tool_use` block in the previous message." {
		t.Errorf("unmatched: %s %q", name, msg)
	}
	// tool_choice forces a call; non-streaming shape.
	resp = post(t, c, srv.URL, claude, "invoke", claudeTools(`[{"role":"user","content":"hi"}]`, `"tool_choice":{"type":"any"}`))
	m = nil
	json.NewDecoder(resp.Body).Decode(&m)
	resp.Body.Close()
	if dig(m, "content", 0, "type") != "tool_use" || dig(m, "content", 0, "input", "unit") != "celsius" || m["stop_reason"] != "tool_use" {
		t.Errorf("tool_choice any: %v", m)
	}
}

func TestScenarioToolRules(t *testing.T) {
	sc, err := ParseScenario([]byte(`{"rules":[
		{"tool_result":"get_weather","reply":"The weather: {{result}} (from {{tool}})"},
		{"prompt":"plan a trip","tool":"get_weather","tool_input":{"city":"Oslo","unit":"celsius"},"reply":"Let me check."},
		{"prompt":"think","reasoning":"Scripted thought."},
		{"prompt":"forbidden","guardrail":"intervened","blocked_message":"No."}]}`))
	if err != nil {
		t.Fatal(err)
	}
	srv := NewServer(Config{Scenario: sc})
	defer srv.Close()
	c := srv.Client()
	get := func(body string) map[string]any {
		t.Helper()
		resp := post(t, c, srv.URL, claude, "converse", body)
		defer resp.Body.Close()
		var m map[string]any
		json.NewDecoder(resp.Body).Decode(&m)
		return m
	}
	m := get(converseTools(`[` + userText("plan a trip") + `]`))
	content := dig(m, "output", "message", "content").([]any)
	if len(content) != 2 || dig(content[0], "text") != "Let me check." || dig(content[1], "toolUse", "input", "city") != "Oslo" {
		t.Fatalf("tool rule: %v", m)
	}
	id := dig(content[1], "toolUse", "toolUseId").(string)
	second := `[` + userText("plan a trip") + `,{"role":"assistant","content":[{"toolUse":{"toolUseId":"` + id + `","name":"get_weather","input":{}}}]},` +
		`{"role":"user","content":[{"toolResult":{"toolUseId":"` + id + `","content":[{"json":{"temp":18}}]}}]}]`
	if m := get(converseTools(second)); dig(m, "output", "message", "content", 0, "text") != `The weather: {"temp":18} (from get_weather)` {
		t.Errorf("tool_result rule: %v", m)
	}
	if m := get(converseBody("think")); dig(m, "output", "message", "content", 0, "reasoningContent", "reasoningText", "text") != "Scripted thought." ||
		dig(m, "output", "message", "content", 1, "text") != "think" {
		t.Errorf("reasoning rule: %v", m)
	}
	if m := get(converseBody("forbidden")); dig(m, "output", "message", "content", 0, "text") != "No." || m["stopReason"] != "guardrail_intervened" {
		t.Errorf("guardrail rule: %v", m)
	}
	for _, bad := range []string{`{"rules":[{"tool_input":[1]}]}`, `{"rules":[{"guardrail":"maybe"}]}`} {
		if _, err := ParseScenario([]byte(bad)); err == nil {
			t.Errorf("ParseScenario(%s): no error", bad)
		}
	}
}

func TestExtendedThinking(t *testing.T) {
	srv := NewServer(Config{})
	defer srv.Close()
	c := srv.Client()
	thinking := `"additionalModelRequestFields":{"thinking":{"type":"enabled","budget_tokens":2048}}`
	body := `{"messages":[` + userText("Why is the sky blue?") + `],` + thinking + `}`
	evs := events(t, post(t, c, srv.URL, claude, "converse-stream", body))
	var text, sig string
	for _, e := range evs {
		_, payload, _ := strings.Cut(e, " ")
		var d struct {
			ContentBlockIndex int
			Delta             struct {
				ReasoningContent struct{ Text, Signature string }
			}
		}
		json.Unmarshal([]byte(payload), &d)
		text += d.Delta.ReasoningContent.Text
		sig += d.Delta.ReasoningContent.Signature
	}
	if text != reasoningText("Why is the sky blue?") || sig != signature(text) || sig == "" {
		t.Errorf("reasoning %q signature %q", text, sig)
	}
	// Claude's own format, with a reasoning directive; reasoning blocks in history are accepted.
	claudeBody := `{"anthropic_version":"bedrock-2023-05-31","max_tokens":4096,"thinking":{"type":"enabled","budget_tokens":1024},"messages":[` +
		`{"role":"user","content":"first"},{"role":"assistant","content":[{"type":"thinking","thinking":"old","signature":"c2ln"},{"type":"text","text":"ok"}]},` +
		`{"role":"user","content":"second [[mock reasoning=\"Because of Rayleigh scattering.\"]]"}]}`
	resp := post(t, c, srv.URL, claude, "invoke", claudeBody)
	var m map[string]any
	json.NewDecoder(resp.Body).Decode(&m)
	resp.Body.Close()
	if dig(m, "content", 0, "type") != "thinking" || dig(m, "content", 0, "thinking") != "Because of Rayleigh scattering." ||
		dig(m, "content", 0, "signature") == "" || dig(m, "content", 1, "text") != "second" {
		t.Errorf("claude thinking: %v", m)
	}
	for _, tc := range []struct{ body, want string }{
		{`{"messages":[` + userText("x") + `],"additionalModelRequestFields":{"thinking":{"type":"enabled","budget_tokens":1023}}}`,
			"thinking.enabled.budget_tokens: Input should be greater than or equal to 1024"},
		{`{"messages":[` + userText("x") + `],"inferenceConfig":{"maxTokens":1500},"additionalModelRequestFields":{"thinking":{"type":"enabled","budget_tokens":2000}}}`,
			"`max_tokens` must be greater than `thinking.budget_tokens`."},
	} {
		name, status, msg := apiError(t, post(t, c, srv.URL, claude, "converse", tc.body))
		if name != bedrock.ErrValidation || status != 400 || msg != tc.want {
			t.Errorf("%s: %s %d %q", tc.body, name, status, msg)
		}
	}
	resp = post(t, c, srv.URL, claude, "invoke", claudeTools(`[{"role":"user","content":"x"}]`, `"thinking":{"type":"enabled","budget_tokens":1024}`, `"tool_choice":{"type":"any"}`))
	if name, _, msg := apiError(t, resp); name != bedrock.ErrValidation || !strings.Contains(msg, "tool_choice forces tool use") {
		t.Errorf("thinking with forced tool: %s %s", name, msg)
	}
}

func TestTokenLimitsAndStopSequences(t *testing.T) {
	srv := NewServer(Config{})
	defer srv.Close()
	c := srv.Client()
	const prompt = "one two three four five six seven eight nine ten"
	// Converse: maxTokens 3 keeps 12 characters, and the usage says 3.
	evs := events(t, post(t, c, srv.URL, claude, "converse-stream",
		`{"messages":[`+userText(prompt)+`],"inferenceConfig":{"maxTokens":3}}`))
	var text strings.Builder
	for _, e := range evs[1 : len(evs)-2] {
		_, payload, _ := strings.Cut(e, " ")
		s, _ := bedrock.TextDelta(bedrock.FamilyConverse, []byte(payload))
		text.WriteString(s)
	}
	if text.String() != prompt[:12] || evs[len(evs)-2] != `messageStop {"stopReason":"max_tokens"}` || !strings.Contains(evs[len(evs)-1], `"outputTokens":3,`) {
		t.Errorf("max tokens: %q %v", text.String(), evs[len(evs)-2:])
	}
	// Claude: stop sequence, reported.
	resp := post(t, c, srv.URL, claude, "invoke", `{"anthropic_version":"bedrock-2023-05-31","max_tokens":100,"stop_sequences":["six","four"],"messages":[{"role":"user","content":"`+prompt+`"}]}`)
	var m map[string]any
	json.NewDecoder(resp.Body).Decode(&m)
	resp.Body.Close()
	if dig(m, "content", 0, "text") != "one two three " || m["stop_reason"] != "stop_sequence" || m["stop_sequence"] != "four" {
		t.Errorf("stop sequence: %v", m)
	}
	// Each family's limit and name for it.
	for _, tc := range []struct{ model, body, want string }{
		{"amazon.titan-text-express-v1", `{"inputText":"` + prompt + `","textGenerationConfig":{"maxTokenCount":2}}`, `"completionReason":"LENGTH"`},
		{"amazon.titan-text-express-v1", `{"inputText":"` + prompt + `","textGenerationConfig":{"stopSequences":["five"]}}`, `"completionReason":"STOP_CRITERIA_MET"`},
		{"meta.llama3-8b-instruct-v1:0", `{"prompt":"` + prompt + `","max_gen_len":2}`, `"stop_reason":"length"`},
		{"mistral.mistral-7b-instruct-v0:2", `{"prompt":"` + prompt + `","max_tokens":2}`, `"stop_reason":"length"`},
		{"cohere.command-text-v14", `{"prompt":"` + prompt + `","max_tokens":2}`, `"finish_reason":"MAX_TOKENS"`},
		{"amazon.nova-lite-v1:0", `{"messages":[{"role":"user","content":[{"text":"` + prompt + `"}]}],"inferenceConfig":{"max_new_tokens":2}}`, `"stopReason":"max_tokens"`},
		{claude, `{"anthropic_version":"bedrock-2023-05-31","max_tokens":2,"messages":[{"role":"user","content":"` + prompt + `"}]}`, `"stop_reason":"max_tokens"`},
	} {
		for _, op := range []string{"invoke", "invoke-with-response-stream"} {
			resp := post(t, c, srv.URL, tc.model, op, tc.body)
			var all string
			if op == "invoke" {
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				all = string(b)
			} else {
				all = strings.Join(events(t, resp), "\n")
			}
			if tc.model == "cohere.command-text-v14" && op == "invoke" {
				all = strings.Replace(all, `"prompt":"`+prompt+`"`, "", 1) // the response repeats the prompt
			}
			if !strings.Contains(all, tc.want) || strings.Contains(all, "seven") {
				t.Errorf("%s %s: no %s, or not cut:\n%s", tc.model, op, tc.want, all)
			}
		}
	}
}

func TestGuardrailIntervention(t *testing.T) {
	srv := NewServer(Config{})
	defer srv.Close()
	c := srv.Client()
	body := `{"messages":[` + userText("bad words [[mock guardrail=intervened]]") + `],"guardrailConfig":{"guardrailIdentifier":"gr1","guardrailVersion":"1","trace":"enabled"}}`
	evs := events(t, post(t, c, srv.URL, claude, "converse-stream", body))
	want := []string{
		`messageStart {"role":"assistant"}`,
		`contentBlockDelta {"contentBlockIndex":0,"delta":{"text":"Sorry, the model "}}`,
		`contentBlockDelta {"contentBlockIndex":0,"delta":{"text":"cannot answer this "}}`,
		`contentBlockDelta {"contentBlockIndex":0,"delta":{"text":"question."}}`,
		`contentBlockStop {"contentBlockIndex":0}`,
		`messageStop {"stopReason":"guardrail_intervened"}`,
	}
	if strings.Join(evs[:len(evs)-1], "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s", strings.Join(evs, "\n"))
	}
	if !strings.HasSuffix(evs[len(evs)-1], `,"trace":{"guardrail":{"inputAssessment":{"gr1":{"contentPolicy":{"filters":[{"action":"BLOCKED","confidence":"HIGH","detected":true,"filterStrength":"HIGH","type":"VIOLENCE"}]}}}}}}`) {
		t.Errorf("metadata %s", evs[len(evs)-1])
	}
	// InvokeModel: the action in the body, the trace with X-Amzn-Bedrock-Trace.
	resp := post(t, c, srv.URL, claude, "invoke", claudeBody(`x [[mock guardrail=intervened blocked-message="Blocked."]]`),
		"X-Amzn-Bedrock-GuardrailIdentifier", "gr1", "X-Amzn-Bedrock-GuardrailVersion", "DRAFT", "X-Amzn-Bedrock-Trace", "ENABLED")
	var m map[string]any
	json.NewDecoder(resp.Body).Decode(&m)
	resp.Body.Close()
	if m["amazon-bedrock-guardrailAction"] != "INTERVENED" || dig(m, "content", 0, "text") != "Blocked." ||
		dig(m, "amazon-bedrock-trace", "guardrail", "input", "gr1", "contentPolicy", "filters", 0, "action") != "BLOCKED" {
		t.Errorf("invoke guardrail: %v", m)
	}
	evs = events(t, post(t, c, srv.URL, claude, "invoke-with-response-stream", claudeBody(`x [[mock guardrail=intervened]]`)))
	if last := evs[len(evs)-1]; !strings.HasSuffix(last, `,"amazon-bedrock-guardrailAction":"INTERVENED"}`) {
		t.Errorf("stream guardrail: %s", last)
	}
}

func TestAgentDirectives(t *testing.T) {
	for in, check := range map[string]func(Faults) bool{
		"[[mock tool=a,b]]":                  func(f Faults) bool { return f.Tool == "a,b" },
		"[[mock reasoning]]":                 func(f Faults) bool { return f.Reasoned && f.Reasoning == "" },
		`[[mock reasoning="I think."]]`:      func(f Faults) bool { return f.Reasoned && f.Reasoning == "I think." },
		"[[mock guardrail=intervened]]":      func(f Faults) bool { return f.Guardrail == "intervened" },
		`[[mock blocked-message="Nope."]]`:   func(f Faults) bool { return f.BlockedMessage == "Nope." },
		"[[mock tool=* reasoning=x]] prompt": func(f Faults) bool { return f.Tool == "*" && f.Reasoning == "x" },
	} {
		if _, f, err := ParseDirectives(in); err != nil || !check(f) {
			t.Errorf("ParseDirectives(%q) = %+v, %v", in, f, err)
		}
	}
	for _, bad := range []string{"[[mock tool=]]", "[[mock tool]]", "[[mock guardrail=maybe]]", "[[mock guardrail]]"} {
		if _, _, err := ParseDirectives(bad); err == nil {
			t.Errorf("ParseDirectives(%q): no error", bad)
		}
	}
}

func TestNovaToolUse(t *testing.T) {
	srv := NewServer(Config{})
	defer srv.Close()
	c := srv.Client()
	const nova = "amazon.nova-pro-v1:0"
	tools := `"toolConfig":{"tools":[{"toolSpec":{"name":"get_weather","inputSchema":{"json":` + weatherSchema + `}}}]}`
	first := `{"schemaVersion":"messages-v1","messages":[` + userText("Weather? [[mock tool=get_weather]]") + `],` + tools + `}`
	resp := post(t, c, srv.URL, nova, "invoke", first)
	var m map[string]any
	json.NewDecoder(resp.Body).Decode(&m)
	resp.Body.Close()
	id, _ := dig(m, "output", "message", "content", 0, "toolUse", "toolUseId").(string)
	if m["stopReason"] != "tool_use" || !strings.HasPrefix(id, "tooluse_") || dig(m, "output", "message", "content", 0, "toolUse", "input", "unit") != "celsius" {
		t.Fatalf("nova tool call: %v", m)
	}
	evs := events(t, post(t, c, srv.URL, nova, "invoke-with-response-stream", first))
	if !strings.Contains(evs[1], `{"contentBlockStart":{"start":{"toolUse":{"toolUseId":"tooluse_`) || !strings.Contains(strings.Join(evs, "\n"), `{"messageStop":{"stopReason":"tool_use"}}`) {
		t.Errorf("nova stream:\n%s", strings.Join(evs, "\n"))
	}
	second := `{"messages":[` + userText("Weather?") + `,{"role":"assistant","content":[{"toolUse":{"toolUseId":"` + id + `","name":"get_weather","input":{}}}]},` +
		`{"role":"user","content":[{"toolResult":{"toolUseId":"` + id + `","content":[{"text":"Rain."}]}}]}],` + tools + `}`
	resp = post(t, c, srv.URL, nova, "invoke", second)
	m = nil
	json.NewDecoder(resp.Body).Decode(&m)
	resp.Body.Close()
	if dig(m, "output", "message", "content", 0, "text") != "Rain." || m["stopReason"] != "end_turn" {
		t.Errorf("nova final: %v", m)
	}
	// Claude's text completions report their limit too.
	resp = post(t, c, srv.URL, "anthropic.claude-v2", "invoke", `{"prompt":"\n\nHuman: one two three four\n\nAssistant:","max_tokens_to_sample":1}`)
	m = nil
	json.NewDecoder(resp.Body).Decode(&m)
	resp.Body.Close()
	if m["completion"] != "one " || m["stop_reason"] != "max_tokens" || m["stop"] != nil {
		t.Errorf("completion: %v", m)
	}
}

// FuzzAgentRequest reads arbitrary bodies as every operation and family does, and plans
// a reply for them with every directive: an error or a reply, never a panic.
func FuzzAgentRequest(f *testing.F) {
	f.Add(converseTools(`[`+userText("x")+`]`, `"toolChoice":{"any":{}}`, `"inferenceConfig":{"maxTokens":1,"stopSequences":["x"]}`), "tool=*")
	f.Add(claudeTools(`[{"role":"user","content":[{"type":"tool_result","tool_use_id":"a","content":"r"}]}]`, `"thinking":{"type":"enabled","budget_tokens":2000}`), "reasoning")
	f.Add(`{"messages":[{"role":"assistant","content":[{"toolUse":{"toolUseId":"a","name":"b"}}]},{"role":"user","content":[{"toolResult":{"toolUseId":"a","content":[{"json":[1]}]}}]}],"toolConfig":{}}`, "guardrail=intervened")
	f.Add(`{"inputText":"a b c","textGenerationConfig":{"maxTokenCount":-5,"stopSequences":[""]}}`, "tool=a,b")
	f.Add(`{"message":"x","tools":[{"name":"a","parameter_definitions":{"p":{"type":"List[int]","required":true}}}],"tool_results":[{"call":{"name":"a"},"outputs":[{"text":"r"},[1]]}],"max_tokens":1}`, "tool=a")
	ops := []bedrock.Operation{bedrock.OpConverse, bedrock.OpConverseStream, bedrock.OpInvoke}
	families := []bedrock.Family{bedrock.FamilyClaude, bedrock.FamilyTitan, bedrock.FamilyLlama, bedrock.FamilyMistral, bedrock.FamilyCohere, bedrock.FamilyNova, ""}
	f.Fuzz(func(t *testing.T, body, directive string) {
		_, faults, err := ParseDirectives("[[mock " + directive + "]]")
		if err != nil {
			faults = noFaults()
		}
		for _, op := range ops {
			for _, fam := range families {
				a, apiErr := parseAgent(op, fam, http.Header{}, []byte(body))
				if apiErr != nil {
					continue
				}
				r, apiErr := buildReply(a, nil, faults, lastUserText([]byte(body)))
				if apiErr != nil {
					continue
				}
				if len(r.Blocks) == 0 && r.Stop != bedrock.StopMaxTokens && r.Stop != bedrock.StopSequence {
					t.Fatalf("%s %s: empty reply %+v", op, fam, r)
				}
				for _, shape := range []bedrock.Family{fam, bedrock.FamilyCohereChat} {
					for c := range r.Chunks(shape) {
						if !json.Valid(c) {
							t.Fatalf("%s %s: chunk %s", op, shape, c)
						}
					}
				}
			}
		}
	})
}

// TestWholeResponseShapes checks the Converse response and Claude's InvokeModel body for a
// reply with every block kind, byte for byte, against the API reference's shapes
// (ConverseResponse: output.message.content[].reasoningContent.reasoningText, text, toolUse;
// Claude's messages response: thinking, text and tool_use content blocks).
func TestWholeResponseShapes(t *testing.T) {
	r := &bedrock.Reply{
		Blocks: []bedrock.Block{
			{Kind: bedrock.ReasoningBlock, Text: "Think.", Signature: "c2ln"},
			{Text: "Checking."},
			{Kind: bedrock.ToolUseBlock, ToolUseID: "tooluse_1", ToolName: "get_weather", Input: `{"city":"Paris"}`},
		},
		Stop:  bedrock.StopToolUse,
		Trace: []byte(`{"guardrail":{}}`),
	}
	u := bedrock.Usage{InputTokens: 3, OutputTokens: 9, InvocationLatency: 250 * time.Millisecond}
	want := `{"metrics":{"latencyMs":250},"output":{"message":{"content":[` +
		`{"reasoningContent":{"reasoningText":{"signature":"c2ln","text":"Think."}}},` +
		`{"text":"Checking."},` +
		`{"toolUse":{"input":{"city":"Paris"},"name":"get_weather","toolUseId":"tooluse_1"}}],"role":"assistant"}},` +
		`"stopReason":"tool_use","trace":{"guardrail":{}},"usage":{"inputTokens":3,"outputTokens":9,"totalTokens":12}}`
	if got := string(converseResponse(r, u).bytes()); got != want {
		t.Errorf("Converse:\n got %s\nwant %s", got, want)
	}
	r.Trace = nil
	r.Blocks[2].ToolUseID = "toolu_bdrk_01x"
	p := &plan{family: bedrock.FamilyClaude, model: claude, reply: r, members: topMembersOf([]byte(`{"messages":[]}`))}
	got := string(invokeResponse(p, u).bytes())
	want = `{"content":[` +
		`{"signature":"c2ln","thinking":"Think.","type":"thinking"},` +
		`{"text":"Checking.","type":"text"},` +
		`{"id":"toolu_bdrk_01x","input":{"city":"Paris"},"name":"get_weather","type":"tool_use"}],` +
		`"id":"msg_bdrk_*","model":"` + claude + `","role":"assistant","stop_reason":"tool_use","stop_sequence":null,"type":"message","usage":{"input_tokens":3,"output_tokens":9}}`
	pre, post, _ := strings.Cut(want, "*")
	if !strings.HasPrefix(got, pre) || !strings.HasSuffix(got, post) || len(got) != len(want)-1+24 {
		t.Errorf("Claude:\n got %s\nwant %s", got, want)
	}
}

func TestMistralChatToolUse(t *testing.T) {
	srv := NewServer(Config{})
	defer srv.Close()
	c := srv.Client()
	const mistral = "mistral.mistral-large-2407-v1:0"
	tools := `"tools":[{"type":"function","function":{"name":"get_weather","description":"Weather","parameters":` + weatherSchema + `}}]`
	user := `{"role":"user","content":"Weather? [[mock tool=get_weather]]"}`
	resp := post(t, c, srv.URL, mistral, "invoke", `{"messages":[`+user+`],`+tools+`}`)
	var m map[string]any
	json.NewDecoder(resp.Body).Decode(&m)
	resp.Body.Close()
	call := dig(m, "choices", 0, "message", "tool_calls", 0)
	id, _ := dig(call, "id").(string)
	if dig(m, "choices", 0, "finish_reason") != "tool_calls" || len(id) != 9 || dig(call, "function", "name") != "get_weather" ||
		dig(call, "function", "arguments") != `{"city":"example","unit":"celsius"}` {
		t.Fatalf("mistral tool call: %v", m)
	}
	evs := events(t, post(t, c, srv.URL, mistral, "invoke-with-response-stream", `{"messages":[`+user+`],`+tools+`,"tool_choice":"any"}`))
	if len(evs) != 2 || !strings.Contains(evs[0], `"tool_calls":[{"id":"`) || !strings.Contains(evs[1], `"stop_reason":"tool_calls"`) {
		t.Errorf("mistral stream:\n%s", strings.Join(evs, "\n"))
	}
	// The tool's result, in a message of its own: the directive before it is spent.
	second := `{"messages":[` + user + `,{"role":"assistant","content":"","tool_calls":[{"id":"` + id + `","function":{"name":"get_weather","arguments":"{}"}}]},` +
		`{"role":"tool","tool_call_id":"` + id + `","content":"Snow."}],` + tools + `}`
	resp = post(t, c, srv.URL, mistral, "invoke", second)
	m = nil
	json.NewDecoder(resp.Body).Decode(&m)
	resp.Body.Close()
	if dig(m, "choices", 0, "message", "content") != "Snow." || dig(m, "choices", 0, "finish_reason") != "stop" {
		t.Errorf("mistral final: %v", m)
	}
	bad := strings.Replace(second, `"tool_call_id":"`+id+`"`, `"tool_call_id":"zzz"`, 1)
	if name, _, msg := apiError(t, post(t, c, srv.URL, mistral, "invoke", bad)); name != bedrock.ErrValidation || !strings.Contains(msg, `"zzz"`) {
		t.Errorf("unmatched: %s %s", name, msg)
	}
}

func TestInputTokens(t *testing.T) {
	for body, want := range map[string]int{
		`{}`:                       1,
		`not json`:                 1,
		`{"inputText":"abcdefgh"}`: 2, // keys are not counted
		`{"x":"\u00e9\u00e9\u00e9\u00e9\"ab\\cd","y":["é世"]}`: (4 + 1 + 2 + 1 + 2 + 2 + 3) / 4,
		`{"messages":[{"role":"user","content":[{"text":"abcd"}]},{"role":"assistant","content":[{"toolUse":{"toolUseId":"ab","name":"cd","input":{"k":"efgh"}}}]}],"system":[{"text":"ijkl"}]}`: (4 + 4 + 4 + 9 + 4 + 4 + 3) / 4,
	} {
		if got := inputTokens([]byte(body)); got != want {
			t.Errorf("inputTokens(%s) = %d, want %d", body, got, want)
		}
	}
}
