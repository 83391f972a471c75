package agent

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/document"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"
	"github.com/framewire/eventstream/bedrock/bedrocktest"
)

// The application under test: an agent that answers with the help of a weather tool.

func weather(city string) string { return "18 °C and sunny in " + city }

var tools = &types.ToolConfiguration{Tools: []types.Tool{
	&types.ToolMemberToolSpec{Value: types.ToolSpecification{
		Name:        aws.String("get_weather"),
		Description: aws.String("Current weather in a city"),
		InputSchema: &types.ToolInputSchemaMemberJson{Value: document.NewLazyDocument(map[string]any{
			"type":       "object",
			"properties": map[string]any{"city": map[string]any{"type": "string", "examples": []any{"Paris"}}},
			"required":   []any{"city"},
		})},
	}},
}}

// runAgent asks the model, runs the tools it calls and sends their results back, until the
// model answers.
func runAgent(ctx context.Context, client *bedrockruntime.Client, prompt string) (string, error) {
	messages := []types.Message{{
		Role:    types.ConversationRoleUser,
		Content: []types.ContentBlock{&types.ContentBlockMemberText{Value: prompt}},
	}}
	for range 5 {
		out, err := client.Converse(ctx, &bedrockruntime.ConverseInput{
			ModelId:    aws.String("anthropic.claude-3-haiku-20240307-v1:0"),
			System:     []types.SystemContentBlock{&types.SystemContentBlockMemberText{Value: "You answer weather questions."}},
			Messages:   messages,
			ToolConfig: tools,
		})
		if err != nil {
			return "", err
		}
		reply := out.Output.(*types.ConverseOutputMemberMessage).Value
		if out.StopReason != types.StopReasonToolUse {
			var text strings.Builder
			for _, block := range reply.Content {
				if t, ok := block.(*types.ContentBlockMemberText); ok {
					text.WriteString(t.Value)
				}
			}
			return text.String(), nil
		}
		results := types.Message{Role: types.ConversationRoleUser}
		for _, block := range reply.Content {
			call, ok := block.(*types.ContentBlockMemberToolUse)
			if !ok {
				continue
			}
			var input map[string]any
			if err := call.Value.Input.UnmarshalSmithyDocument(&input); err != nil {
				return "", err
			}
			city, _ := input["city"].(string)
			results.Content = append(results.Content, &types.ContentBlockMemberToolResult{Value: types.ToolResultBlock{
				ToolUseId: call.Value.ToolUseId,
				Content:   []types.ToolResultContentBlock{&types.ToolResultContentBlockMemberText{Value: weather(city)}},
			}})
		}
		messages = append(messages, reply, results)
	}
	return "", errors.New("agent: no answer after 5 turns")
}

// bodyWithoutWriteTo keeps net/http from closing the connection under an open stream (see
// the first example).
type bodyWithoutWriteTo struct{ c *http.Client }

func (b bodyWithoutWriteTo) Do(r *http.Request) (*http.Response, error) {
	if r.Body != nil && r.Body != http.NoBody {
		r.Body = struct{ io.ReadCloser }{r.Body}
	}
	return b.c.Do(r)
}

func TestAgentAnswersWithTheTool(t *testing.T) {
	srv := bedrocktest.NewServer(bedrocktest.Config{})
	defer srv.Close()
	client := bedrockruntime.New(bedrockruntime.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(srv.URL),
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDTEST", "s3cr3t", ""),
		HTTPClient:   bodyWithoutWriteTo{&http.Client{}},
	})

	// The directive makes the model call get_weather (its input made from the tool's
	// schema: {"city":"Paris"}); given the tool's result, the model answers with it.
	got, err := runAgent(context.Background(), client, "Weather in Paris? [[mock tool=get_weather]]")
	if err != nil || got != "18 °C and sunny in Paris" {
		t.Fatalf("got %q, %v", got, err)
	}

	// The journal shows what the application sent: its system prompt and the tool result.
	requests := srv.Requests()
	if len(requests) != 2 {
		t.Fatalf("%d requests", len(requests))
	}
	var sent struct {
		System   []struct{ Text string }
		Messages []struct {
			Content []struct {
				ToolResult *struct{ Content []struct{ Text string } }
			}
		}
	}
	if err := json.Unmarshal([]byte(requests[1].Body), &sent); err != nil {
		t.Fatal(err)
	}
	result := sent.Messages[2].Content[0].ToolResult
	if sent.System[0].Text != "You answer weather questions." || result == nil || result.Content[0].Text != got {
		t.Errorf("the second request sent %s", requests[1].Body)
	}
}
