package bedrocktest

import (
	"encoding/json"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/framewire/eventstream/bedrock"
)

const commandR = "cohere.command-r-v1:0"

// cohereTools is Command R's tools member: get_weather (a required str and int, an optional
// str) and get_time (no parameters).
const cohereTools = `"tools":[{"name":"get_weather","description":"Weather in a city","parameter_definitions":{` +
	`"city":{"description":"The city","type":"str","required":true},` +
	`"days":{"description":"Days ahead","type":"int","required":true},` +
	`"unit":{"description":"celsius or fahrenheit","type":"str","required":false}}},` +
	`{"name":"get_time","description":"The time","parameter_definitions":{}}]`

var uuidRE = regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)
var metricsRE = regexp.MustCompile(`"amazon-bedrock-invocationMetrics":\{"inputTokenCount":(\d+),"outputTokenCount":(\d+),"invocationLatency":\d+,"firstByteLatency":\d+\}`)

// normal replaces the identifiers and latencies of a Command R stream's line.
func normal(s string) string {
	s = uuidRE.ReplaceAllString(s, "<uuid>")
	return metricsRE.ReplaceAllString(s, `"amazon-bedrock-invocationMetrics":{"inputTokenCount":$1,"outputTokenCount":$2,"invocationLatency":<ms>,"firstByteLatency":<ms>}`)
}

// TestCohereChatToolLoop runs an agent loop over InvokeModelWithResponseStream with Command
// R's chat format: the model calls a tool, the test runs it and sends its output back as
// tool_results, and the final text, read with bedrock.TextDelta, is the tool's output.
func TestCohereChatToolLoop(t *testing.T) {
	srv := NewServer(Config{})
	defer srv.Close()
	c := srv.Client()
	message := `"message":"Weather in Paris? [[mock tool=get_weather]]"`
	first := `{` + message + `,` + cohereTools + `,"force_single_step":true}`
	evs := events(t, post(t, c, srv.URL, commandR, "invoke-with-response-stream", first))
	in := inputTokens([]byte(first))
	call := `{"name":"get_weather","parameters":{"city":"example","days":1}}`
	want := []string{
		`chunk {"is_finished":false,"event_type":"stream-start","generation_id":"<uuid>"}`,
		`chunk {"is_finished":false,"event_type":"tool-calls-generation","tool_calls":[` + call + `]}`,
		`chunk {"is_finished":true,"event_type":"stream-end","response":{"response_id":"<uuid>","text":"","generation_id":"<uuid>","finish_reason":"COMPLETE",` +
			`"tool_calls":[` + call + `],"meta":{"api_version":{"version":"1"},"billed_units":{"input_tokens":` + strconv.Itoa(in) + `,"output_tokens":7}}},` +
			`"finish_reason":"COMPLETE","amazon-bedrock-invocationMetrics":{"inputTokenCount":` + strconv.Itoa(in) + `,"outputTokenCount":7,"invocationLatency":<ms>,"firstByteLatency":<ms>}}`,
	}
	for i := range evs {
		evs[i] = normal(evs[i])
	}
	if strings.Join(evs, "\n") != strings.Join(want, "\n") {
		t.Fatalf("first turn:\n got %s\nwant %s", strings.Join(evs, "\n"), strings.Join(want, "\n"))
	}

	// The application runs the tool named by the call with its parameters.
	_, payload, _ := strings.Cut(evs[1], " ")
	var gen struct {
		ToolCalls []struct {
			Name       string
			Parameters struct {
				City string
				Days int
			}
		} `json:"tool_calls"`
	}
	if err := json.Unmarshal([]byte(payload), &gen); err != nil || len(gen.ToolCalls) != 1 {
		t.Fatalf("tool calls: %v %s", err, payload)
	}
	tc := gen.ToolCalls[0]
	if tc.Name != "get_weather" {
		t.Fatalf("called %q", tc.Name)
	}
	output := "Snow in " + tc.Parameters.City + " for " + strconv.Itoa(tc.Parameters.Days) + " day."

	// Multi-step use: the history holds the call; the message is sent again, its directive spent.
	history := `"chat_history":[{"role":"USER","message":"Weather in Paris?"},{"role":"CHATBOT","message":"","tool_calls":[` + call + `]}]`
	results := `"tool_results":[{"call":` + call + `,"outputs":[{"text":` + quote(output) + `}]}]`
	second := `{` + message + `,` + history + `,` + cohereTools + `,` + results + `}`
	resp := post(t, c, srv.URL, commandR, "invoke-with-response-stream", second)
	r, err := bedrock.ReadResponse(resp)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var text strings.Builder
	var last string
	for {
		ev, err := r.Next()
		if err != nil {
			break
		}
		d, err := bedrock.TextDelta(bedrock.FamilyOf(commandR), ev.Payload)
		if err != nil {
			t.Fatal(err)
		}
		text.WriteString(d)
		last = string(ev.Payload)
	}
	if !r.Complete() || text.String() != output {
		t.Errorf("final text %q (complete %v), want %q", text.String(), r.Complete(), output)
	}
	if !strings.Contains(last, `"event_type":"stream-end"`) || !strings.Contains(last, `"finish_reason":"COMPLETE"`) || strings.Contains(last, "tool_calls") {
		t.Errorf("last chunk %s", last)
	}

	// Single-step use: no call in the history, the result names a tool of the request.
	third := `{` + message + `,` + cohereTools + `,` + results + `}`
	var m map[string]any
	resp = post(t, c, srv.URL, commandR, "invoke", third)
	json.NewDecoder(resp.Body).Decode(&m)
	resp.Body.Close()
	if m["text"] != output || m["finish_reason"] != "COMPLETE" || m["tool_calls"] != nil {
		t.Errorf("single step: %v", m)
	}
}

// TestCohereChatInvoke checks InvokeModel's whole body for a Command R tool call, byte for
// byte but for its identifiers: response_id, text, generation_id, chat_history (the user's
// message, then the CHATBOT turn with its tool_calls), finish_reason, meta and tool_calls,
// with parallel calls (tool=a,b) and tool=*.
func TestCohereChatInvoke(t *testing.T) {
	srv := NewServer(Config{})
	defer srv.Close()
	c := srv.Client()
	body := `{"message":"Both. [[mock tool=get_weather,get_time]]",` + cohereTools + `}`
	resp := post(t, c, srv.URL, commandR, "invoke", body)
	var raw json.RawMessage
	json.NewDecoder(resp.Body).Decode(&raw)
	resp.Body.Close()
	in, out := resp.Header.Get("X-Amzn-Bedrock-Input-Token-Count"), resp.Header.Get("X-Amzn-Bedrock-Output-Token-Count")
	calls := `[{"name":"get_weather","parameters":{"city":"example","days":1}},{"name":"get_time","parameters":{}}]`
	want := `{"chat_history":[{"message":"Both.","role":"USER"},{"message":"","role":"CHATBOT","tool_calls":` + calls + `}],` +
		`"finish_reason":"COMPLETE","generation_id":"<uuid>","meta":{"api_version":{"version":"1"},"billed_units":{"input_tokens":` + in + `,"output_tokens":` + out + `}},` +
		`"response_id":"<uuid>","text":"","tool_calls":` + calls + `}`
	if got := uuidRE.ReplaceAllString(string(raw), "<uuid>"); got != want || in != strconv.Itoa(inputTokens([]byte(body))) || out != "8" {
		t.Errorf("got  %s\nwant %s\n(%s, %s)", got, want, in, out)
	}
	resp = post(t, c, srv.URL, commandR, "invoke", `{"message":"Any. [[mock tool=*]]",`+cohereTools+`}`)
	var m map[string]any
	json.NewDecoder(resp.Body).Decode(&m)
	resp.Body.Close()
	if dig(m, "tool_calls", 0, "name") != "get_weather" || dig(m, "tool_calls", 1) != nil {
		t.Errorf("tool=*: %v", m)
	}
}

// TestCohereChatErrors checks the ValidationExceptions of Command R tool use: a tool the
// request does not have (the message lists those it has), a result for a call the
// conversation did not make, and a tool call asked of Command's text generation.
func TestCohereChatErrors(t *testing.T) {
	srv := NewServer(Config{})
	defer srv.Close()
	c := srv.Client()
	for _, tc := range []struct {
		model, body, want string
	}{
		{commandR, `{"message":"x [[mock tool=get_news]]",` + cohereTools + `}`, `tool "get_news" is not in the request's tools: get_weather, get_time`},
		{commandR, `{"message":"x [[mock tool=get_news]]"}`, `tool "get_news" is not in the request's tools: none`},
		{commandR, `{"message":"x",` + cohereTools + `,"chat_history":[{"role":"CHATBOT","message":"","tool_calls":[{"name":"get_time","parameters":{}}]}],` +
			`"tool_results":[{"call":{"name":"get_weather","parameters":{}},"outputs":[{"text":"r"}]}]}`,
			`tool_results.0.call.name "get_weather" is not one of the tool calls of the last CHATBOT turn of chat_history: get_time`},
		{commandR, `{"message":"x","tool_results":[{"call":{"name":"get_weather","parameters":{}},"outputs":[]}]}`,
			`tool_results.0.call.name "get_weather" is not one of the request's tools: none`},
		{"cohere.command-text-v14", `{"prompt":"x [[mock tool=a]]"}`, "Converse"},
	} {
		name, status, msg := apiError(t, post(t, c, srv.URL, tc.model, "invoke", tc.body))
		if name != bedrock.ErrValidation || status != 400 || !strings.Contains(msg, tc.want) {
			t.Errorf("%s: %d %s %s, want %q", tc.body, status, name, msg, tc.want)
		}
	}
}

// TestCohereChatLimits checks Command R's max_tokens cut (finish_reason MAX_TOKENS, the usage
// at the limit) and stop sequences (cut before, COMPLETE), streamed and whole, and that tool
// outputs that are not only text come back as their JSON text.
func TestCohereChatLimits(t *testing.T) {
	srv := NewServer(Config{})
	defer srv.Close()
	c := srv.Client()
	evs := events(t, post(t, c, srv.URL, commandR, "invoke-with-response-stream", `{"message":"one two three four five six","max_tokens":2}`))
	lastEv := normal(evs[len(evs)-1])
	if len(evs) != 3 || !strings.Contains(evs[1], `"event_type":"text-generation","text":"one two "}`) ||
		!strings.Contains(lastEv, `"text":"one two ","generation_id":"<uuid>","finish_reason":"MAX_TOKENS"`) ||
		!strings.Contains(lastEv, `"output_tokens":2}}},"finish_reason":"MAX_TOKENS","amazon-bedrock-invocationMetrics":{"inputTokenCount":`) ||
		!strings.Contains(lastEv, `"outputTokenCount":2,`) {
		t.Errorf("max_tokens:\n%s", strings.Join(evs, "\n"))
	}
	var m map[string]any
	resp := post(t, c, srv.URL, commandR, "invoke", `{"message":"one two three four","stop_sequences":["three"]}`)
	json.NewDecoder(resp.Body).Decode(&m)
	resp.Body.Close()
	if m["text"] != "one two " || m["finish_reason"] != "COMPLETE" {
		t.Errorf("stop sequence: %v", m)
	}
	m = nil
	resp = post(t, c, srv.URL, commandR, "invoke", `{"message":"x",`+cohereTools+`,"tool_results":[{"call":{"name":"get_time","parameters":{}},"outputs":[{"time":"noon"},{"text":"UTC"}]}]}`)
	json.NewDecoder(resp.Body).Decode(&m)
	resp.Body.Close()
	if m["text"] != "{\"time\":\"noon\"}\nUTC" {
		t.Errorf("outputs: %v", m)
	}
}

func TestCohereSchema(t *testing.T) {
	got := string(cohereSchema(map[string]cohereParameterDef{
		"a": {Type: "str", Required: true}, "b": {Type: "float", Required: true}, "c": {Type: "List[int]", Required: true},
		"d": {Type: "Dict[str, int]", Required: true}, "e": {Type: "bool"}, "f": {Type: "integer", Description: "count", Required: true},
	}))
	want := `{"properties":{"a":{"type":"string"},"b":{"type":"number"},"c":{"items":{"type":"integer"},"type":"array"},"d":{"type":"object"},` +
		`"e":{"type":"boolean"},"f":{"description":"count","type":"integer"}},"required":["a","b","c","d","f"],"type":"object"}`
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	input, err := ExampleInput([]byte(got))
	if err != nil || string(input) != `{"a":"example","b":1.5,"c":[1],"d":{},"f":1}` {
		t.Errorf("ExampleInput: %s %v", input, err)
	}
}

// TestCohereChatScenario checks a scenario's rules on Command R: a tool call with the rule's
// input and its reply as the preamble (the text of tool-calls-generation), a rule matched by
// the name of the tool whose result came back, and a guardrail's blocked message streamed
// with the guardrail action in the last chunk.
func TestCohereChatScenario(t *testing.T) {
	sc, err := ParseScenario([]byte(`{"rules":[
		{"prompt":"weather","tool":"get_weather","tool_input":{"city":"Oslo","days":2},"reply":"Let me look."},
		{"tool_result":"get_weather","reply":"Forecast: {{result}}"},
		{"prompt":"forbidden","guardrail":"intervened","blocked_message":"No."}]}`))
	if err != nil {
		t.Fatal(err)
	}
	srv := NewServer(Config{Scenario: sc})
	defer srv.Close()
	c := srv.Client()
	evs := events(t, post(t, c, srv.URL, commandR, "invoke-with-response-stream", `{"message":"The weather?",`+cohereTools+`}`))
	call := `{"name":"get_weather","parameters":{"city":"Oslo","days":2}}`
	if len(evs) != 3 || evs[1] != `chunk {"is_finished":false,"event_type":"tool-calls-generation","text":"Let me look.","tool_calls":[`+call+`]}` {
		t.Errorf("rule's call:\n%s", strings.Join(evs, "\n"))
	}
	var m map[string]any
	resp := post(t, c, srv.URL, commandR, "invoke", `{"message":"The weather?",`+cohereTools+`,"tool_results":[{"call":`+call+`,"outputs":[{"text":"rain"}]}]}`)
	json.NewDecoder(resp.Body).Decode(&m)
	resp.Body.Close()
	if m["text"] != "Forecast: rain" {
		t.Errorf("tool_result rule: %v", m)
	}
	evs = events(t, post(t, c, srv.URL, commandR, "invoke-with-response-stream", `{"message":"Something forbidden."}`))
	if last := evs[len(evs)-1]; len(evs) != 3 || evs[1] != `chunk {"is_finished":false,"event_type":"text-generation","text":"No."}` ||
		!strings.Contains(last, `"text":"No.",`) || !strings.HasSuffix(last, `},"amazon-bedrock-guardrailAction":"INTERVENED"}`) {
		t.Errorf("guardrail:\n%s", strings.Join(evs, "\n"))
	}
}
