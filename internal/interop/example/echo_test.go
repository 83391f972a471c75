package example

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"
	"github.com/framewire/eventstream/bedrock/bedrocktest"
)

// bodyWithoutWriteTo keeps net/http from closing the connection under an open stream: the
// SDK closes the request body when the response arrives, and the closed body's WriteTo would
// report an error to net/http's write loop.
type bodyWithoutWriteTo struct{ c *http.Client }

func (b bodyWithoutWriteTo) Do(r *http.Request) (*http.Response, error) {
	if r.Body != nil && r.Body != http.NoBody {
		r.Body = struct{ io.ReadCloser }{r.Body}
	}
	return b.c.Do(r)
}

func TestChatStreamsAndSurvivesThrottling(t *testing.T) {
	srv := bedrocktest.NewServer(bedrocktest.Config{})
	defer srv.Close()
	client := bedrockruntime.New(bedrockruntime.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(srv.URL),
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDTEST", "s3cr3t", ""),
		HTTPClient:   bodyWithoutWriteTo{&http.Client{}},
	})

	ask := func(prompt string) (string, error) {
		out, err := client.ConverseStream(context.Background(), &bedrockruntime.ConverseStreamInput{
			ModelId: aws.String("anthropic.claude-3-haiku-20240307-v1:0"),
			Messages: []types.Message{{
				Role:    types.ConversationRoleUser,
				Content: []types.ContentBlock{&types.ContentBlockMemberText{Value: prompt}},
			}},
		})
		if err != nil {
			return "", err
		}
		stream := out.GetStream()
		defer stream.Close()
		var text strings.Builder
		for ev := range stream.Events() {
			if d, ok := ev.(*types.ConverseStreamOutputMemberContentBlockDelta); ok {
				if txt, ok := d.Value.Delta.(*types.ContentBlockDeltaMemberText); ok {
					text.WriteString(txt.Value)
				}
			}
		}
		return text.String(), stream.Err()
	}

	// The server echoes the prompt.
	if got, err := ask("Hello, Bedrock!"); err != nil || got != "Hello, Bedrock!" {
		t.Fatalf("got %q, %v", got, err)
	}
	// A directive makes it throttle after two events.
	got, err := ask("Hello again [[mock exception=throttlingException after=2]]")
	var throttled *types.ThrottlingException
	if !errors.As(err, &throttled) {
		t.Fatalf("got %q, %v; want a ThrottlingException", got, err)
	}
}
