package bedrock

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// agentReply has every block kind: reasoning, a short preamble and a tool call whose input
// spans two pieces.
func agentReply() *Reply {
	return &Reply{
		Blocks: []Block{
			{Kind: ReasoningBlock, Text: "Weather needs a tool.", Signature: "c2lnbmF0dXJl"},
			{Kind: TextBlock, Text: "Let me check."},
			{Kind: ToolUseBlock, ToolUseID: "tooluse_abc", ToolName: "get_weather", Input: `{"city":"Paris","unit":"celsius"}`},
		},
		Usage: Usage{InputTokens: 7, OutputTokens: 20, InvocationLatency: 345 * time.Millisecond, FirstByteLatency: 150 * time.Millisecond},
		Stop:  StopToolUse,
	}
}

// TestConverseEventsAgent checks the ConverseStream events of tool use and reasoning
// against the API reference's shapes: ContentBlockStartEvent.start.toolUse,
// ContentBlockDelta.toolUse.input (a string), ContentBlockDelta.reasoningContent.text and
// .signature, MessageStopEvent.stopReason, ConverseStreamMetadataEvent.trace.
func TestConverseEventsAgent(t *testing.T) {
	r := agentReply()
	r.Trace = []byte(`{"guardrail":{}}`)
	want := []string{
		`messageStart {"role":"assistant"}`,
		`contentBlockDelta {"contentBlockIndex":0,"delta":{"reasoningContent":{"text":"Weather needs a "}}}`,
		`contentBlockDelta {"contentBlockIndex":0,"delta":{"reasoningContent":{"text":"tool."}}}`,
		`contentBlockDelta {"contentBlockIndex":0,"delta":{"reasoningContent":{"signature":"c2lnbmF0dXJl"}}}`,
		`contentBlockStop {"contentBlockIndex":0}`,
		`contentBlockDelta {"contentBlockIndex":1,"delta":{"text":"Let me check."}}`,
		`contentBlockStop {"contentBlockIndex":1}`,
		`contentBlockStart {"contentBlockIndex":2,"start":{"toolUse":{"toolUseId":"tooluse_abc","name":"get_weather"}}}`,
		`contentBlockDelta {"contentBlockIndex":2,"delta":{"toolUse":{"input":"{\"city\":\"Paris\",\"unit\":\""}}}`,
		`contentBlockDelta {"contentBlockIndex":2,"delta":{"toolUse":{"input":"celsius\"}"}}}`,
		`contentBlockStop {"contentBlockIndex":2}`,
		`messageStop {"stopReason":"tool_use"}`,
		`metadata {"usage":{"inputTokens":7,"outputTokens":20,"totalTokens":27},"metrics":{"latencyMs":345},"trace":{"guardrail":{}}}`,
	}
	var got []string
	for typ, j := range r.ConverseEvents() {
		got = append(got, typ+" "+string(j))
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if n := r.ConverseEventCount(); n != len(want) {
		t.Errorf("ConverseEventCount %d, want %d", n, len(want))
	}
}

// TestClaudeChunksAgent checks Claude's messages streaming events for thinking, text and
// tool use, as Anthropic's streaming reference shows them: content_block_start of type
// thinking then thinking_delta and signature_delta; tool_use with id, name and an empty
// input, then input_json_delta with partial_json; message_delta with stop_reason tool_use.
func TestClaudeChunksAgent(t *testing.T) {
	r := agentReply()
	r.Blocks[2].ToolUseID = "toolu_bdrk_01abc"
	metrics := `"amazon-bedrock-invocationMetrics":{"inputTokenCount":7,"outputTokenCount":20,"invocationLatency":345,"firstByteLatency":150}`
	want := []string{
		`{"type":"message_start","message":{"id":"msg_bdrk_*","type":"message","role":"assistant","model":"claude-3-haiku-20240307","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":7,"output_tokens":1}}}`,
		`{"type":"content_block_start","index":0,"content_block":{"type":"thinking","thinking":""}}`,
		`{"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"Weather needs a "}}`,
		`{"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"tool."}}`,
		`{"type":"content_block_delta","index":0,"delta":{"type":"signature_delta","signature":"c2lnbmF0dXJl"}}`,
		`{"type":"content_block_stop","index":0}`,
		`{"type":"content_block_start","index":1,"content_block":{"type":"text","text":""}}`,
		`{"type":"content_block_delta","index":1,"delta":{"type":"text_delta","text":"Let me check."}}`,
		`{"type":"content_block_stop","index":1}`,
		`{"type":"content_block_start","index":2,"content_block":{"type":"tool_use","id":"toolu_bdrk_01abc","name":"get_weather","input":{}}}`,
		`{"type":"content_block_delta","index":2,"delta":{"type":"input_json_delta","partial_json":"{\"city\":\"Paris\",\"unit\":\""}}`,
		`{"type":"content_block_delta","index":2,"delta":{"type":"input_json_delta","partial_json":"celsius\"}"}}`,
		`{"type":"content_block_stop","index":2}`,
		`{"type":"message_delta","delta":{"stop_reason":"tool_use","stop_sequence":null},"usage":{"output_tokens":20}}`,
		`{"type":"message_stop",` + metrics + `}`,
	}
	got := collectChunks(r, FamilyClaude)
	if len(got) != len(want) || r.ChunkCount(FamilyClaude) != len(want) {
		t.Fatalf("%d chunks, ChunkCount %d, want %d", len(got), r.ChunkCount(FamilyClaude), len(want))
	}
	for i := range got {
		if !matchStar(want[i], string(got[i])) {
			t.Errorf("chunk %d:\n got %s\nwant %s", i, got[i], want[i])
		}
	}
	// The text deltas are the text block's only.
	var text strings.Builder
	for _, c := range got {
		d, _ := TextDelta(FamilyClaude, c)
		text.WriteString(d)
	}
	if text.String() != "Let me check." {
		t.Errorf("text %q", text.String())
	}
}

// TestStopReasons checks each family's name for each way a reply ends, and Claude's
// stop_sequence, guardrail action and trace.
func TestStopReasons(t *testing.T) {
	last := func(r *Reply, f Family) string {
		var s string
		for c := range r.Chunks(f) {
			s = string(c)
		}
		return s
	}
	for _, tc := range []struct {
		f    Family
		stop StopReason
		want string // in the family's closing chunks
	}{
		{FamilyTitan, StopMaxTokens, `"completionReason":"LENGTH"`},
		{FamilyTitan, StopSequence, `"completionReason":"STOP_CRITERIA_MET"`},
		{FamilyTitan, StopGuardrail, `"completionReason":"CONTENT_FILTERED"`},
		{FamilyLlama, StopMaxTokens, `"stop_reason":"length"`},
		{FamilyMistral, StopMaxTokens, `"stop_reason":"length"`},
		{FamilyMistral, StopSequence, `"stop_reason":"stop"`},
		{FamilyMistralChat, StopMaxTokens, `"stop_reason":"length"`},
		{FamilyCohere, StopMaxTokens, `"finish_reason":"MAX_TOKENS"`},
		{FamilyCohere, StopSequence, `"finish_reason":"COMPLETE"`},
		{FamilyNova, StopMaxTokens, `{"messageStop":{"stopReason":"max_tokens"}}`},
		{FamilyClaude, StopMaxTokens, `{"type":"message_delta","delta":{"stop_reason":"max_tokens","stop_sequence":null}`},
		{FamilyClaude, StopSequence, `{"type":"message_delta","delta":{"stop_reason":"stop_sequence","stop_sequence":"\nEND"}`},
	} {
		r := &Reply{Blocks: []Block{{Text: "some words here"}}, Stop: tc.stop, StopSequence: "\nEND"}
		var all strings.Builder
		for c := range r.Chunks(tc.f) {
			all.Write(c)
		}
		if !strings.Contains(all.String(), tc.want) {
			t.Errorf("%s %s: no %s in\n%s", tc.f, tc.stop, tc.want, all.String())
		}
	}
	r := &Reply{Blocks: []Block{{Text: "Sorry."}}, Stop: StopGuardrail, Trace: []byte(`{"guardrail":{"input":{}}}`)}
	if got := last(r, FamilyClaude); !strings.HasSuffix(got, `"firstByteLatency":0},"amazon-bedrock-guardrailAction":"INTERVENED","amazon-bedrock-trace":{"guardrail":{"input":{}}}}`) {
		t.Errorf("Claude guardrail last chunk %s", got)
	}
	var ev []string
	for typ, j := range r.ConverseEvents() {
		ev = append(ev, typ+" "+string(j))
	}
	if ev[3] != `messageStop {"stopReason":"guardrail_intervened"}` {
		t.Errorf("Converse guardrail stop %s", ev[3])
	}
}

// TestInputPieces checks that tool input pieces join back, never split a character, and are
// counted up front.
func TestInputPieces(t *testing.T) {
	for _, s := range []string{"", "{}", `{"a":"` + strings.Repeat("é世", 20) + `"}`, strings.Repeat("x", 24), strings.Repeat("x", 25)} {
		var b strings.Builder
		n := 0
		for p := range inputPieces(s) {
			if len(p) == 0 || len(p) > inputPieceLen || !utf8.ValidString(p) {
				t.Errorf("%q: bad piece %q", s, p)
			}
			b.WriteString(p)
			n++
		}
		if b.String() != s || n != inputPieceCount(s) {
			t.Errorf("%q: joined %q, %d pieces, counted %d", s, b.String(), n, inputPieceCount(s))
		}
	}
}

// TestAgentReplyCounts checks the counts given up front for replies with every block kind,
// in every family (families without tool use or reasoning stream only the text blocks).
func TestAgentReplyCounts(t *testing.T) {
	replies := []*Reply{agentReply(), {Blocks: []Block{{Kind: ToolUseBlock, ToolUseID: "a", ToolName: "b", Input: "{}"}, {Kind: ToolUseBlock, ToolUseID: "c", ToolName: "d"}}},
		{Blocks: []Block{{Kind: ReasoningBlock, Text: "x"}, {Kind: TextBlock}}}}
	for _, r := range replies {
		for _, f := range allFamilies {
			if got := collectChunks(r, f); len(got) != r.ChunkCount(f) {
				t.Errorf("%s %+v: %d chunks, ChunkCount %d", f, r.Blocks, len(got), r.ChunkCount(f))
			}
		}
		if got := collectEvents(r); len(got) != r.ConverseEventCount() {
			t.Errorf("%+v: %d events, ConverseEventCount %d", r.Blocks, len(got), r.ConverseEventCount())
		}
	}
}

// TestNovaChunksToolUse checks Nova's streamed tool call: ConverseStream's events keyed by
// their names, the reasoning block left out.
func TestNovaChunksToolUse(t *testing.T) {
	r := agentReply()
	want := []string{
		`{"messageStart":{"role":"assistant"}}`,
		`{"contentBlockDelta":{"delta":{"text":"Let me check."},"contentBlockIndex":0}}`,
		`{"contentBlockStop":{"contentBlockIndex":0}}`,
		`{"contentBlockStart":{"start":{"toolUse":{"toolUseId":"tooluse_abc","name":"get_weather"}},"contentBlockIndex":1}}`,
		`{"contentBlockDelta":{"delta":{"toolUse":{"input":"{\"city\":\"Paris\",\"unit\":\""}},"contentBlockIndex":1}}`,
		`{"contentBlockDelta":{"delta":{"toolUse":{"input":"celsius\"}"}},"contentBlockIndex":1}}`,
		`{"contentBlockStop":{"contentBlockIndex":1}}`,
		`{"messageStop":{"stopReason":"tool_use"}}`,
		`{"metadata":{"usage":{"inputTokens":7,"outputTokens":20},"metrics":{},"trace":{}},"amazon-bedrock-invocationMetrics":{"inputTokenCount":7,"outputTokenCount":20,"invocationLatency":345,"firstByteLatency":150}}`,
	}
	got := collectChunks(r, FamilyNova)
	if len(got) != len(want) || r.ChunkCount(FamilyNova) != len(want) {
		t.Fatalf("%d chunks, ChunkCount %d, want %d", len(got), r.ChunkCount(FamilyNova), len(want))
	}
	for i := range got {
		if string(got[i]) != want[i] {
			t.Errorf("chunk %d:\n got %s\nwant %s", i, got[i], want[i])
		}
	}
}

// TestMistralChatChunksToolUse checks a Mistral chat stream's tool call: a chunk with the
// whole call in message.tool_calls (arguments as a string of JSON), then stop_reason
// tool_calls.
func TestMistralChatChunksToolUse(t *testing.T) {
	r := &Reply{Blocks: []Block{{Kind: ToolUseBlock, ToolUseID: "abcDEF123", ToolName: "get_weather", Input: `{"city":"Paris"}`}}, Stop: StopToolUse}
	want := []string{
		`{"id":"*","object":"chat.completion.chunk","choices":[{"index":0,"message":{"role":"assistant","content":"","tool_calls":[{"id":"abcDEF123","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}}]},"stop_reason":null}]}`,
		`{"id":"*","object":"chat.completion.chunk","choices":[{"index":0,"message":{"role":"assistant","content":""},"stop_reason":"tool_calls"}],"amazon-bedrock-invocationMetrics":{"inputTokenCount":0,"outputTokenCount":0,"invocationLatency":0,"firstByteLatency":0}}`,
	}
	got := collectChunks(r, FamilyMistralChat)
	if len(got) != len(want) || r.ChunkCount(FamilyMistralChat) != len(want) {
		t.Fatalf("%d chunks, ChunkCount %d", len(got), r.ChunkCount(FamilyMistralChat))
	}
	for i := range got {
		if !matchStar(want[i], string(got[i])) {
			t.Errorf("chunk %d:\n got %s\nwant %s", i, got[i], want[i])
		}
	}
}

// TestCohereChatChunks checks Command R's chat stream, chunk by chunk, against Cohere's chat
// streaming events: stream-start with the generation_id; text-generation events with the
// text; or, for tool calls, one tool-calls-generation event with the preamble as its text and
// tool_calls [{"name","parameters"}]; stream-end with is_finished true, the finish_reason
// and the whole response, and the invocation metrics as the last chunk of every family.
func TestCohereChatChunks(t *testing.T) {
	uuid := regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)
	metrics := `"amazon-bedrock-invocationMetrics":{"inputTokenCount":7,"outputTokenCount":20,"invocationLatency":345,"firstByteLatency":150}`
	check := func(name string, r *Reply, want []string) {
		t.Helper()
		got := collectChunks(r, FamilyCohereChat)
		if len(got) != len(want) || r.ChunkCount(FamilyCohereChat) != len(want) {
			t.Fatalf("%s: %d chunks, ChunkCount %d, want %d:\n%s", name, len(got), r.ChunkCount(FamilyCohereChat), len(want), bytes.Join(got, []byte("\n")))
		}
		ids := map[string]bool{}
		for i := range got {
			for _, id := range uuid.FindAllString(string(got[i]), -1) {
				ids[id] = true
			}
			if s := uuid.ReplaceAllString(string(got[i]), "<uuid>"); s != want[i] {
				t.Errorf("%s chunk %d:\n got %s\nwant %s", name, i, s, want[i])
			}
		}
		if len(ids) != 2 { // the generation_id twice, the response_id
			t.Errorf("%s: identifiers %v", name, ids)
		}
	}
	r := agentReply()
	check("tool use", r, []string{
		`{"is_finished":false,"event_type":"stream-start","generation_id":"<uuid>"}`,
		`{"is_finished":false,"event_type":"tool-calls-generation","text":"Let me check.","tool_calls":[{"name":"get_weather","parameters":{"city":"Paris","unit":"celsius"}}]}`,
		`{"is_finished":true,"event_type":"stream-end","response":{"response_id":"<uuid>","text":"Let me check.","generation_id":"<uuid>","finish_reason":"COMPLETE",` +
			`"tool_calls":[{"name":"get_weather","parameters":{"city":"Paris","unit":"celsius"}}],"meta":{"api_version":{"version":"1"},"billed_units":{"input_tokens":7,"output_tokens":20}}},` +
			`"finish_reason":"COMPLETE",` + metrics + `}`,
	})
	// Parallel calls without a preamble.
	r.Blocks = []Block{r.Blocks[2], {Kind: ToolUseBlock, ToolName: "get_time", Input: `{}`}}
	check("parallel", r, []string{
		`{"is_finished":false,"event_type":"stream-start","generation_id":"<uuid>"}`,
		`{"is_finished":false,"event_type":"tool-calls-generation","tool_calls":[{"name":"get_weather","parameters":{"city":"Paris","unit":"celsius"}},{"name":"get_time","parameters":{}}]}`,
		`{"is_finished":true,"event_type":"stream-end","response":{"response_id":"<uuid>","text":"","generation_id":"<uuid>","finish_reason":"COMPLETE",` +
			`"tool_calls":[{"name":"get_weather","parameters":{"city":"Paris","unit":"celsius"}},{"name":"get_time","parameters":{}}],"meta":{"api_version":{"version":"1"},"billed_units":{"input_tokens":7,"output_tokens":20}}},` +
			`"finish_reason":"COMPLETE",` + metrics + `}`,
	})
	// Text cut at the token limit.
	r.Blocks, r.Stop = []Block{{Text: "It is \"sunny\" in Paris."}}, StopMaxTokens
	check("text", r, []string{
		`{"is_finished":false,"event_type":"stream-start","generation_id":"<uuid>"}`,
		`{"is_finished":false,"event_type":"text-generation","text":"It is \"sunny\" "}`,
		`{"is_finished":false,"event_type":"text-generation","text":"in Paris."}`,
		`{"is_finished":true,"event_type":"stream-end","response":{"response_id":"<uuid>","text":"It is \"sunny\" in Paris.","generation_id":"<uuid>","finish_reason":"MAX_TOKENS",` +
			`"meta":{"api_version":{"version":"1"},"billed_units":{"input_tokens":7,"output_tokens":20}}},"finish_reason":"MAX_TOKENS",` + metrics + `}`,
	})
	// The preamble is the text delta of tool-calls-generation; stream-end adds none.
	r = agentReply()
	var text strings.Builder
	for c := range r.Chunks(FamilyCohereChat) {
		d, err := TextDelta(FamilyCohere, c)
		if err != nil {
			t.Fatal(err)
		}
		text.WriteString(d)
	}
	if text.String() != "Let me check." {
		t.Errorf("text deltas %q", text.String())
	}
}

// TestCohereChatEndTextMax checks that stream-end repeats a text of CohereEndTextMax bytes and
// leaves out a longer one, whose chunks stay small.
func TestCohereChatEndTextMax(t *testing.T) {
	for _, n := range []int{CohereEndTextMax, CohereEndTextMax + 1} {
		text := strings.Repeat("abc ", n/4) + strings.Repeat("x", n%4)
		var last []byte
		biggest := 0
		for c := range textReply(text, Usage{}).Chunks(FamilyCohereChat) {
			last = c
			biggest = max(biggest, len(c))
		}
		got := strings.Contains(string(last), `"text":"`+text+`"`)
		if got != (n <= CohereEndTextMax) || !strings.Contains(string(last), `"event_type":"stream-end"`) {
			t.Errorf("%d bytes: text in stream-end %v", n, got)
		}
		if n > CohereEndTextMax && (!strings.Contains(string(last), `"text":"",`) || biggest > 1024) {
			t.Errorf("%d bytes: largest chunk %d bytes, last %.200s", n, biggest, last)
		}
	}
}
