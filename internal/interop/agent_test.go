package interop

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/document"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"

	"github.com/framewire/eventstream/bedrock/bedrocktest"
)

// agentTools are the two tools of the agent tests: the application's own functions and the
// tool configuration that describes them.
var agentTools = map[string]func(input map[string]any) string{
	"get_weather": func(in map[string]any) string { return "18 °C and sunny in " + in["city"].(string) },
	"get_time":    func(in map[string]any) string { return "09:30 in " + in["zone"].(string) },
}

func agentToolConfig() *types.ToolConfiguration {
	schema := func(s string) types.ToolInputSchema {
		var v map[string]any
		json.Unmarshal([]byte(s), &v)
		return &types.ToolInputSchemaMemberJson{Value: document.NewLazyDocument(v)}
	}
	return &types.ToolConfiguration{Tools: []types.Tool{
		&types.ToolMemberToolSpec{Value: types.ToolSpecification{
			Name:        aws.String("get_weather"),
			Description: aws.String("Current weather in a city"),
			InputSchema: schema(`{"type":"object","properties":{"city":{"type":"string","examples":["Paris"]}},"required":["city"]}`),
		}},
		&types.ToolMemberToolSpec{Value: types.ToolSpecification{
			Name:        aws.String("get_time"),
			InputSchema: schema(`{"type":"object","properties":{"zone":{"type":"string","default":"UTC"}},"required":["zone"]}`),
		}},
	}}
}

// converseTurn is what one ConverseStream call streamed, read through the SDK's typed
// events.
type converseTurn struct {
	text, reasoning, signature string
	calls                      []types.ToolUseBlock
	stop                       types.StopReason
	meta                       types.ConverseStreamMetadataEvent
}

func converseStreamTurn(t *testing.T, c *bedrockruntime.Client, in *bedrockruntime.ConverseStreamInput) converseTurn {
	t.Helper()
	out, err := c.ConverseStream(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	stream := out.GetStream()
	defer stream.Close()
	var turn converseTurn
	inputs := map[int32]*strings.Builder{}
	ids := map[int32]types.ToolUseBlockStart{}
	var order []int32
	for ev := range stream.Events() {
		switch e := ev.(type) {
		case *types.ConverseStreamOutputMemberContentBlockStart:
			if s, ok := e.Value.Start.(*types.ContentBlockStartMemberToolUse); ok {
				i := *e.Value.ContentBlockIndex
				ids[i], inputs[i] = s.Value, &strings.Builder{}
				order = append(order, i)
			}
		case *types.ConverseStreamOutputMemberContentBlockDelta:
			switch d := e.Value.Delta.(type) {
			case *types.ContentBlockDeltaMemberText:
				turn.text += d.Value
			case *types.ContentBlockDeltaMemberToolUse:
				inputs[*e.Value.ContentBlockIndex].WriteString(*d.Value.Input)
			case *types.ContentBlockDeltaMemberReasoningContent:
				switch r := d.Value.(type) {
				case *types.ReasoningContentBlockDeltaMemberText:
					turn.reasoning += r.Value
				case *types.ReasoningContentBlockDeltaMemberSignature:
					turn.signature += r.Value
				}
			}
		case *types.ConverseStreamOutputMemberMessageStop:
			turn.stop = e.Value.StopReason
		case *types.ConverseStreamOutputMemberMetadata:
			turn.meta = e.Value
		}
	}
	if err := stream.Err(); err != nil {
		t.Fatal(err)
	}
	for _, i := range order {
		var input map[string]any
		if err := json.Unmarshal([]byte(inputs[i].String()), &input); err != nil {
			t.Fatalf("tool input %q: %v", inputs[i].String(), err)
		}
		turn.calls = append(turn.calls, types.ToolUseBlock{ToolUseId: ids[i].ToolUseId, Name: ids[i].Name, Input: document.NewLazyDocument(input)})
	}
	return turn
}

// runTool runs a call of one of agentTools.
func runTool(t *testing.T, call types.ToolUseBlock) string {
	t.Helper()
	raw, err := call.Input.MarshalSmithyDocument()
	if err != nil {
		t.Fatal(err)
	}
	var input map[string]any
	if err := json.Unmarshal(raw, &input); err != nil {
		t.Fatal(err)
	}
	return agentTools[*call.Name](input)
}

// TestAgentLoopConverseStream runs an agent loop over ConverseStream: the model calls a tool,
// the application runs it and sends the result, and the final answer is the tool's output.
// The journal then shows the tool result the application sent.
func TestAgentLoopConverseStream(t *testing.T) {
	srv := bedrocktest.NewServer(bedrocktest.Config{})
	defer srv.Close()
	c := newClient(srv.URL)
	messages := []types.Message{{
		Role:    types.ConversationRoleUser,
		Content: []types.ContentBlock{&types.ContentBlockMemberText{Value: "What is the weather in Paris? [[mock tool=get_weather]]"}},
	}}
	var final string
	for turn := 0; ; turn++ {
		if turn == 3 {
			t.Fatal("the loop did not end")
		}
		out := converseStreamTurn(t, c, &bedrockruntime.ConverseStreamInput{
			ModelId:    aws.String(model),
			Messages:   messages,
			ToolConfig: agentToolConfig(),
		})
		if out.stop != types.StopReasonToolUse {
			final = out.text
			if out.stop != types.StopReasonEndTurn {
				t.Errorf("final stop reason %s", out.stop)
			}
			break
		}
		assistant := types.Message{Role: types.ConversationRoleAssistant}
		results := types.Message{Role: types.ConversationRoleUser}
		for _, call := range out.calls {
			assistant.Content = append(assistant.Content, &types.ContentBlockMemberToolUse{Value: call})
			results.Content = append(results.Content, &types.ContentBlockMemberToolResult{Value: types.ToolResultBlock{
				ToolUseId: call.ToolUseId,
				Content:   []types.ToolResultContentBlock{&types.ToolResultContentBlockMemberText{Value: runTool(t, call)}},
				Status:    types.ToolResultStatusSuccess,
			}})
		}
		messages = append(messages, assistant, results)
	}
	if want := "18 °C and sunny in Paris"; final != want {
		t.Errorf("final answer %q, want the tool's output %q", final, want)
	}

	// The journal has both requests; the second carries the tool result.
	reqs := srv.Requests()
	if len(reqs) != 2 || reqs[1].Operation != "ConverseStream" || reqs[1].Model != model {
		t.Fatalf("journal: %+v", reqs)
	}
	var body struct {
		Messages []struct {
			Content []struct {
				ToolResult *struct {
					ToolUseID string `json:"toolUseId"`
					Content   []struct{ Text string }
				} `json:"toolResult"`
			}
		}
	}
	if err := json.Unmarshal([]byte(reqs[1].Body), &body); err != nil {
		t.Fatal(err)
	}
	last := body.Messages[len(body.Messages)-1].Content[0].ToolResult
	if last == nil || last.Content[0].Text != "18 °C and sunny in Paris" || !strings.HasPrefix(last.ToolUseID, "tooluse_") {
		t.Errorf("journal body: %s", reqs[1].Body)
	}
	if auth := reqs[1].Header.Get("Authorization"); auth != "REDACTED" {
		t.Errorf("Authorization in the journal: %q", auth)
	}
}

// TestAgentLoopClaudeMessages runs the same loop over InvokeModelWithResponseStream with
// Claude's messages format, reading the chunks as the application would.
func TestAgentLoopClaudeMessages(t *testing.T) {
	srv := bedrocktest.NewServer(bedrocktest.Config{})
	defer srv.Close()
	c := newClient(srv.URL)
	messages := []any{map[string]any{"role": "user", "content": "What time is it? [[mock tool=get_time]]"}}
	tools := []any{
		map[string]any{"name": "get_weather", "input_schema": json.RawMessage(`{"type":"object","properties":{"city":{"type":"string","examples":["Paris"]}},"required":["city"]}`)},
		map[string]any{"name": "get_time", "input_schema": json.RawMessage(`{"type":"object","properties":{"zone":{"type":"string","default":"UTC"}},"required":["zone"]}`)},
	}
	var final string
	for turn := 0; ; turn++ {
		if turn == 3 {
			t.Fatal("the loop did not end")
		}
		body, _ := json.Marshal(map[string]any{"anthropic_version": "bedrock-2023-05-31", "max_tokens": 1024, "messages": messages, "tools": tools})
		out, err := c.InvokeModelWithResponseStream(context.Background(), &bedrockruntime.InvokeModelWithResponseStreamInput{
			ModelId: aws.String(model), ContentType: aws.String("application/json"), Body: body,
		})
		if err != nil {
			t.Fatal(err)
		}
		type block struct {
			Type, ID, Name, Text string
			input                strings.Builder
		}
		var blocks []*block
		var stop, text string
		stream := out.GetStream()
		for ev := range stream.Events() {
			chunk := ev.(*types.ResponseStreamMemberChunk).Value.Bytes
			var ch struct {
				Type         string
				Index        int
				ContentBlock block `json:"content_block"`
				Delta        struct {
					Type, Text  string
					PartialJSON string `json:"partial_json"`
					StopReason  string `json:"stop_reason"`
				}
			}
			if err := json.Unmarshal(chunk, &ch); err != nil {
				t.Fatal(err)
			}
			switch ch.Type {
			case "content_block_start":
				b := ch.ContentBlock
				blocks = append(blocks, &block{Type: b.Type, ID: b.ID, Name: b.Name})
			case "content_block_delta":
				switch ch.Delta.Type {
				case "text_delta":
					text += ch.Delta.Text
				case "input_json_delta":
					blocks[ch.Index].input.WriteString(ch.Delta.PartialJSON)
				}
			case "message_delta":
				stop = ch.Delta.StopReason
			}
		}
		stream.Close()
		if err := stream.Err(); err != nil {
			t.Fatal(err)
		}
		if stop != "tool_use" {
			final = text
			break
		}
		var uses, results []any
		for _, b := range blocks {
			if b.Type != "tool_use" {
				continue
			}
			var input map[string]any
			if err := json.Unmarshal([]byte(b.input.String()), &input); err != nil {
				t.Fatal(err)
			}
			uses = append(uses, map[string]any{"type": "tool_use", "id": b.ID, "name": b.Name, "input": input})
			results = append(results, map[string]any{"type": "tool_result", "tool_use_id": b.ID, "content": agentTools[b.Name](input)})
		}
		messages = append(messages, map[string]any{"role": "assistant", "content": uses}, map[string]any{"role": "user", "content": results})
	}
	if final != "09:30 in UTC" {
		t.Errorf("final answer %q", final)
	}
}

// TestParallelToolUse asks for two calls in one reply, over Converse.
func TestParallelToolUse(t *testing.T) {
	srv := bedrocktest.NewServer(bedrocktest.Config{})
	defer srv.Close()
	c := newClient(srv.URL)
	user := types.Message{Role: types.ConversationRoleUser, Content: []types.ContentBlock{&types.ContentBlockMemberText{Value: "Weather and time [[mock tool=get_weather,get_time]]"}}}
	out, err := c.Converse(context.Background(), &bedrockruntime.ConverseInput{ModelId: aws.String(model), Messages: []types.Message{user}, ToolConfig: agentToolConfig()})
	if err != nil {
		t.Fatal(err)
	}
	msg := out.Output.(*types.ConverseOutputMemberMessage).Value
	if out.StopReason != types.StopReasonToolUse || len(msg.Content) != 2 {
		t.Fatalf("stop %s, %d blocks", out.StopReason, len(msg.Content))
	}
	results := types.Message{Role: types.ConversationRoleUser}
	var want []string
	for _, b := range msg.Content {
		call := b.(*types.ContentBlockMemberToolUse).Value
		res := runTool(t, call)
		want = append(want, res)
		results.Content = append(results.Content, &types.ContentBlockMemberToolResult{Value: types.ToolResultBlock{
			ToolUseId: call.ToolUseId, Content: []types.ToolResultContentBlock{&types.ToolResultContentBlockMemberText{Value: res}},
		}})
	}
	out, err = c.Converse(context.Background(), &bedrockruntime.ConverseInput{ModelId: aws.String(model), Messages: []types.Message{user, msg, results}, ToolConfig: agentToolConfig()})
	if err != nil {
		t.Fatal(err)
	}
	text := out.Output.(*types.ConverseOutputMemberMessage).Value.Content[0].(*types.ContentBlockMemberText).Value
	if text != strings.Join(want, "\n") || want[0] != "18 °C and sunny in Paris" || want[1] != "09:30 in UTC" {
		t.Errorf("final %q, results %q", text, want)
	}
}

func userMessage(s string) []types.Message {
	return []types.Message{{Role: types.ConversationRoleUser, Content: []types.ContentBlock{&types.ContentBlockMemberText{Value: s}}}}
}

// TestExtendedThinking enables reasoning through additionalModelRequestFields: its text and
// signature arrive as the SDK's typed reasoning deltas, before the answer.
func TestExtendedThinking(t *testing.T) {
	srv := bedrocktest.NewServer(bedrocktest.Config{})
	defer srv.Close()
	c := newClient(srv.URL)
	out := converseStreamTurn(t, c, &bedrockruntime.ConverseStreamInput{
		ModelId:  aws.String(model),
		Messages: userMessage(`Why is the sky blue? [[mock reasoning="Light scatters off air molecules."]]`),
		AdditionalModelRequestFields: document.NewLazyDocument(map[string]any{
			"thinking": map[string]any{"type": "enabled", "budget_tokens": 2048},
		}),
	})
	if out.reasoning != "Light scatters off air molecules." || out.signature == "" || out.text != "Why is the sky blue?" {
		t.Errorf("reasoning %q, signature %q, text %q", out.reasoning, out.signature, out.text)
	}
	_, err := c.Converse(context.Background(), &bedrockruntime.ConverseInput{
		ModelId:                      aws.String(model),
		Messages:                     userMessage("x"),
		AdditionalModelRequestFields: document.NewLazyDocument(map[string]any{"thinking": map[string]any{"type": "enabled", "budget_tokens": 100}}),
	})
	var ve *types.ValidationException
	if !errors.As(err, &ve) || !strings.Contains(ve.ErrorMessage(), "1024") {
		t.Errorf("budget 100: %v", err)
	}
}

// TestMaxTokensStopSequenceGuardrail checks a maxTokens cut, a stop sequence and a guardrail
// intervention with its trace, through the SDK's typed fields.
func TestMaxTokensStopSequenceGuardrail(t *testing.T) {
	srv := bedrocktest.NewServer(bedrocktest.Config{})
	defer srv.Close()
	c := newClient(srv.URL)
	const prompt = "one two three four five six seven eight"
	out := converseStreamTurn(t, c, &bedrockruntime.ConverseStreamInput{
		ModelId: aws.String(model), Messages: userMessage(prompt),
		InferenceConfig: &types.InferenceConfiguration{MaxTokens: aws.Int32(2)},
	})
	if out.stop != types.StopReasonMaxTokens || out.text != prompt[:8] || *out.meta.Usage.OutputTokens != 2 {
		t.Errorf("maxTokens: stop %s, text %q, usage %+v", out.stop, out.text, out.meta.Usage)
	}

	conv, err := c.Converse(context.Background(), &bedrockruntime.ConverseInput{
		ModelId: aws.String(model), Messages: userMessage(prompt),
		InferenceConfig: &types.InferenceConfiguration{StopSequences: []string{" five"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	text := conv.Output.(*types.ConverseOutputMemberMessage).Value.Content[0].(*types.ContentBlockMemberText).Value
	if conv.StopReason != types.StopReasonStopSequence || text != "one two three four" {
		t.Errorf("stop sequence: %s %q", conv.StopReason, text)
	}

	out = converseStreamTurn(t, c, &bedrockruntime.ConverseStreamInput{
		ModelId: aws.String(model), Messages: userMessage("something forbidden [[mock guardrail=intervened]]"),
		GuardrailConfig: &types.GuardrailStreamConfiguration{
			GuardrailIdentifier: aws.String("gr1abc"), GuardrailVersion: aws.String("1"), Trace: types.GuardrailTraceEnabled,
		},
	})
	if out.stop != types.StopReasonGuardrailIntervened || out.text != bedrocktest.DefaultBlockedMessage {
		t.Errorf("guardrail: stop %s, text %q", out.stop, out.text)
	}
	if tr := out.meta.Trace; tr == nil || tr.Guardrail == nil ||
		tr.Guardrail.InputAssessment["gr1abc"].ContentPolicy.Filters[0].Action != types.GuardrailContentPolicyActionBlocked {
		t.Errorf("guardrail trace: %+v", out.meta.Trace)
	}
}
