package interop

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"

	"github.com/framewire/eventstream/bedrock"
	"github.com/framewire/eventstream/bedrock/bedrocktest"
)

// TestAgentLoopCohereCommandR runs the agent loop over InvokeModelWithResponseStream with
// Cohere Command R's chat format: the model calls a tool in a tool-calls-generation event,
// the application runs it and sends its output back in tool_results (the call in the
// CHATBOT turn of chat_history), and the final text, read with bedrock.TextDelta, is the
// tool's output.
func TestAgentLoopCohereCommandR(t *testing.T) {
	srv := bedrocktest.NewServer(bedrocktest.Config{})
	defer srv.Close()
	c := newClient(srv.URL)
	const commandR = "cohere.command-r-plus-v1:0"
	message := "What is the weather in Paris? [[mock tool=get_weather]]"
	tools := []any{
		map[string]any{"name": "get_weather", "description": "Current weather in a city", "parameter_definitions": map[string]any{
			"city": map[string]any{"description": "The city", "type": "str", "required": true},
		}},
		map[string]any{"name": "get_time", "description": "The time in a zone", "parameter_definitions": map[string]any{
			"zone": map[string]any{"description": "The zone", "type": "str", "required": true},
		}},
	}
	var history, results []any
	var final, finish string
	for turn := 0; ; turn++ {
		if turn == 3 {
			t.Fatal("the loop did not end")
		}
		req := map[string]any{"message": message, "tools": tools, "max_tokens": 400}
		if results != nil {
			req["chat_history"], req["tool_results"] = history, results
		}
		body, _ := json.Marshal(req)
		out, err := c.InvokeModelWithResponseStream(context.Background(), &bedrockruntime.InvokeModelWithResponseStreamInput{
			ModelId: aws.String(commandR), ContentType: aws.String("application/json"), Body: body,
		})
		if err != nil {
			t.Fatal(err)
		}
		type call struct {
			Name       string         `json:"name"`
			Parameters map[string]any `json:"parameters"`
		}
		var calls []call
		var text strings.Builder
		stream := out.GetStream()
		for ev := range stream.Events() {
			chunk := ev.(*types.ResponseStreamMemberChunk).Value.Bytes
			d, err := bedrock.TextDelta(bedrock.FamilyOf(commandR), chunk)
			if err != nil {
				t.Fatal(err)
			}
			text.WriteString(d)
			var ch struct {
				EventType    string `json:"event_type"`
				ToolCalls    []call `json:"tool_calls"`
				FinishReason string `json:"finish_reason"`
			}
			if err := json.Unmarshal(chunk, &ch); err != nil {
				t.Fatal(err)
			}
			switch ch.EventType {
			case "tool-calls-generation":
				calls = ch.ToolCalls
			case "stream-end":
				finish = ch.FinishReason
			}
		}
		stream.Close()
		if err := stream.Err(); err != nil {
			t.Fatal(err)
		}
		if calls == nil {
			final = text.String()
			break
		}
		var made []any
		results = nil
		for _, cl := range calls {
			made = append(made, cl)
			results = append(results, map[string]any{"call": cl, "outputs": []any{map[string]any{"text": agentTools[cl.Name](cl.Parameters)}}})
		}
		history = []any{
			map[string]any{"role": "USER", "message": message},
			map[string]any{"role": "CHATBOT", "message": text.String(), "tool_calls": made},
		}
	}
	if want := "18 °C and sunny in example"; final != want || finish != "COMPLETE" {
		t.Errorf("final answer %q (%s), want the tool's output %q", final, finish, want)
	}
	reqs := srv.Requests()
	if len(reqs) != 2 || reqs[1].Operation != "InvokeModelWithResponseStream" || !strings.Contains(reqs[1].Body, `"tool_results":[{"call":{"name":"get_weather"`) {
		t.Errorf("journal: %+v", reqs)
	}
}
