package interop

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/auth/bearer"
	"github.com/aws/smithy-go/eventstream"

	"github.com/framewire/eventstream/bedrock/bedrocktest"
	"github.com/framewire/eventstream/sigv4"
)

const model = "anthropic.claude-3-haiku-20240307-v1:0"

// noWriteTo hides the request body's WriteTo from net/http. smithy-go closes the request body
// when Do returns, and the closed body's WriteTo then reports io.EOF, which net/http's write
// loop takes for a failed write: it closes the connection under the open response stream
// (about one stream in a hundred on loopback).
type noWriteTo struct{ c *http.Client }

func (n noWriteTo) Do(r *http.Request) (*http.Response, error) {
	if r.Body != nil && r.Body != http.NoBody {
		r.Body = struct{ io.ReadCloser }{r.Body}
	}
	return n.c.Do(r)
}

// newClient returns the SDK's client for the server at url, with static fake credentials
// and quick retries.
func newClient(url string, optFns ...func(*bedrockruntime.Options)) *bedrockruntime.Client {
	opts := bedrockruntime.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(url),
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDTEST", "s3cr3t", ""),
		HTTPClient:   noWriteTo{&http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}},
		Retryer:      retry.AddWithMaxBackoffDelay(retry.NewStandard(), 20*time.Millisecond),
	}
	return bedrockruntime.New(opts, optFns...)
}

func claudeBody(prompt string) []byte {
	b, _ := json.Marshal(map[string]any{
		"anthropic_version": "bedrock-2023-05-31",
		"max_tokens":        512,
		"messages":          []any{map[string]any{"role": "user", "content": prompt}},
	})
	return b
}

// invokeStream streams prompt and returns the concatenated content_block_delta text, the
// number of chunks and the error that ended the stream.
func invokeStream(ctx context.Context, c *bedrockruntime.Client, prompt string) (string, int, error) {
	return invokeStreamModel(ctx, c, model, prompt)
}

func invokeStreamModel(ctx context.Context, c *bedrockruntime.Client, model, prompt string) (string, int, error) {
	out, err := c.InvokeModelWithResponseStream(ctx, &bedrockruntime.InvokeModelWithResponseStreamInput{
		ModelId:     aws.String(model),
		ContentType: aws.String("application/json"),
		Accept:      aws.String("application/json"),
		Body:        claudeBody(prompt),
	})
	if err != nil {
		return "", 0, err
	}
	if ct := aws.ToString(out.ContentType); ct != "application/json" {
		return "", 0, fmt.Errorf("ContentType %q", ct)
	}
	stream := out.GetStream()
	defer stream.Close()
	var text strings.Builder
	n := 0
	for ev := range stream.Events() {
		chunk, ok := ev.(*types.ResponseStreamMemberChunk)
		if !ok {
			return "", n, fmt.Errorf("unexpected event %T", ev)
		}
		n++
		var c struct {
			Type  string
			Delta struct{ Type, Text string }
		}
		if err := json.Unmarshal(chunk.Value.Bytes, &c); err != nil {
			return "", n, err
		}
		if c.Type == "content_block_delta" && c.Delta.Type == "text_delta" {
			text.WriteString(c.Delta.Text)
		}
	}
	return text.String(), n, stream.Err()
}

func TestInvokeModelWithResponseStreamEcho(t *testing.T) {
	srv := bedrocktest.NewServer(bedrocktest.Config{})
	defer srv.Close()
	c := newClient(srv.URL)
	const prompt = "Explain event streams in one short paragraph, with \"quotes\", ünïcode and\nnew lines."
	text, n, err := invokeStream(context.Background(), c, prompt)
	if err != nil {
		t.Fatal(err)
	}
	if text != prompt || n < 5 {
		t.Errorf("echo %q in %d chunks, want %q", text, n, prompt)
	}
}

func TestConverseStreamEcho(t *testing.T) {
	srv := bedrocktest.NewServer(bedrocktest.Config{})
	defer srv.Close()
	c := newClient(srv.URL)
	const prompt = "What is the capital of France? Please answer in one sentence."
	out, err := c.ConverseStream(context.Background(), &bedrockruntime.ConverseStreamInput{
		ModelId: aws.String(model),
		Messages: []types.Message{{
			Role:    types.ConversationRoleUser,
			Content: []types.ContentBlock{&types.ContentBlockMemberText{Value: prompt}},
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
	stream := out.GetStream()
	defer stream.Close()
	var order []string
	var text strings.Builder
	var usage *types.TokenUsage
	for ev := range stream.Events() {
		var name string
		switch v := ev.(type) {
		case *types.ConverseStreamOutputMemberMessageStart:
			name = "messageStart"
			if v.Value.Role != types.ConversationRoleAssistant {
				t.Errorf("role %q", v.Value.Role)
			}
		case *types.ConverseStreamOutputMemberContentBlockDelta:
			name = "contentBlockDelta"
			if d, ok := v.Value.Delta.(*types.ContentBlockDeltaMemberText); ok {
				text.WriteString(d.Value)
			}
		case *types.ConverseStreamOutputMemberContentBlockStop:
			name = "contentBlockStop"
		case *types.ConverseStreamOutputMemberMessageStop:
			name = "messageStop"
			if v.Value.StopReason != types.StopReasonEndTurn {
				t.Errorf("stop reason %q", v.Value.StopReason)
			}
		case *types.ConverseStreamOutputMemberMetadata:
			name = "metadata"
			usage = v.Value.Usage
		default:
			name = fmt.Sprintf("%T", ev)
		}
		if len(order) == 0 || order[len(order)-1] != name {
			order = append(order, name)
		}
	}
	if err := stream.Err(); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(order, " "); got != "messageStart contentBlockDelta contentBlockStop messageStop metadata" {
		t.Errorf("event order: %s", got)
	}
	if text.String() != prompt {
		t.Errorf("echo %q, want %q", text.String(), prompt)
	}
	if usage == nil || aws.ToInt32(usage.OutputTokens) <= 0 || aws.ToInt32(usage.InputTokens) <= 0 ||
		aws.ToInt32(usage.TotalTokens) != aws.ToInt32(usage.InputTokens)+aws.ToInt32(usage.OutputTokens) {
		t.Errorf("usage %+v", usage)
	}
}

func TestNonStreamingOperations(t *testing.T) {
	srv := bedrocktest.NewServer(bedrocktest.Config{})
	defer srv.Close()
	c := newClient(srv.URL)
	ctx := context.Background()
	inv, err := c.InvokeModel(ctx, &bedrockruntime.InvokeModelInput{
		ModelId: aws.String(model), ContentType: aws.String("application/json"), Body: claudeBody("plain invoke"),
	})
	if err != nil {
		t.Fatal(err)
	}
	var msg struct{ Content []struct{ Text string } }
	if err := json.Unmarshal(inv.Body, &msg); err != nil || len(msg.Content) != 1 || msg.Content[0].Text != "plain invoke" {
		t.Errorf("InvokeModel body %s: %v", inv.Body, err)
	}
	conv, err := c.Converse(ctx, &bedrockruntime.ConverseInput{
		ModelId: aws.String("amazon.nova-lite-v1:0"),
		Messages: []types.Message{{
			Role:    types.ConversationRoleUser,
			Content: []types.ContentBlock{&types.ContentBlockMemberText{Value: "plain converse"}},
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
	m, ok := conv.Output.(*types.ConverseOutputMemberMessage)
	if !ok || len(m.Value.Content) != 1 {
		t.Fatalf("Converse output %#v", conv.Output)
	}
	if tb, ok := m.Value.Content[0].(*types.ContentBlockMemberText); !ok || tb.Value != "plain converse" {
		t.Errorf("Converse text %#v", m.Value.Content[0])
	}
	if conv.StopReason != types.StopReasonEndTurn || aws.ToInt32(conv.Usage.OutputTokens) == 0 {
		t.Errorf("stop reason %q, usage %+v", conv.StopReason, conv.Usage)
	}
}

func TestDirectivesGiveTypedErrors(t *testing.T) {
	const retryModel = "anthropic.claude-3-5-haiku-20241022-v1:0"
	statuses := make(chan int, 10)
	srv := bedrocktest.NewServer(bedrocktest.Config{Log: func(e bedrocktest.LogEntry) {
		if e.Model == retryModel {
			statuses <- e.Status
		}
	}})
	defer srv.Close()
	c := newClient(srv.URL)
	ctx := context.Background()
	const words = "one two three four five six seven eight nine ten eleven twelve thirteen fourteen"

	for _, after := range []int{0, 1, 3} {
		_, n, err := invokeStream(ctx, c, fmt.Sprintf("%s [[mock exception=throttlingException after=%d]]", words, after))
		var te *types.ThrottlingException
		if !errors.As(err, &te) {
			t.Fatalf("after=%d: err %T %v, want *types.ThrottlingException", after, err, err)
		}
		if n != after {
			t.Errorf("after=%d: %d chunks before the exception", after, n)
		}
	}

	_, n, err := invokeStream(ctx, c, words+` [[mock exception=modelStreamErrorException after=2 original-status=429 original-message="model busy"]]`)
	var mse *types.ModelStreamErrorException
	if !errors.As(err, &mse) || aws.ToInt32(mse.OriginalStatusCode) != 429 || aws.ToString(mse.OriginalMessage) != "model busy" || n != 2 {
		t.Errorf("modelStreamErrorException: %d chunks, %T %v", n, err, err)
	}

	_, n, err = invokeStream(ctx, c, words+" [[mock status=400 error=ValidationException]]")
	var ve *types.ValidationException
	if !errors.As(err, &ve) || n != 0 {
		t.Errorf("ValidationException before the stream: %T %v", err, err)
	}

	// One failed attempt with a retryable error, then success on the SDK's retry.
	text, _, err := invokeStreamModel(ctx, c, retryModel, words+" [[mock status=503 error=ServiceUnavailableException fail-attempts=1]]")
	if err != nil || text != words {
		t.Errorf("retry: %q, %v", text, err)
	}
	for _, want := range []int{503, 200} {
		select {
		case got := <-statuses:
			if got != want {
				t.Errorf("attempt status %d, want %d", got, want)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("no log entry for the attempt answered %d", want)
		}
	}
	// With as many failures as the SDK has attempts, the error reaches the caller.
	_, _, err = invokeStream(ctx, c, words+" [[mock status=429 error=ThrottlingException fail-attempts=3]]")
	var te *types.ThrottlingException
	if !errors.As(err, &te) {
		t.Errorf("throttled 3 times: %T %v", err, err)
	}

	_, n, err = invokeStream(ctx, c, words+" [[mock corrupt after=2]]")
	if !errors.As(err, new(eventstream.ChecksumError)) || n != 2 {
		t.Errorf("corrupt: %d chunks, %T %v", n, err, err)
	}

	// The SDK takes a frame cut off by the end of the body for a clean end of stream
	// (its decoder maps io.ErrUnexpectedEOF to io.EOF): all it can see is that fewer chunks
	// arrived.
	text, n, err = invokeStream(ctx, c, words+" [[mock truncate after=2]]")
	if n != 2 {
		t.Errorf("truncate: %d chunks (%q, %v), want 2", n, text, err)
	}
}

func TestCredentials(t *testing.T) {
	srv := bedrocktest.NewServer(bedrocktest.Config{
		Credentials: []sigv4.Credentials{
			{AccessKeyID: "AKIDTEST", SecretAccessKey: "s3cr3t"},
			{AccessKeyID: "ASIATEMP", SecretAccessKey: "tmp-s3cr3t", SessionToken: "the-session-token"},
		},
	})
	defer srv.Close()
	ctx := context.Background()
	text, _, err := invokeStream(ctx, newClient(srv.URL), "signed correctly")
	if err != nil || text != "signed correctly" {
		t.Errorf("right credentials: %q, %v", text, err)
	}
	// Model IDs with ':' and '/' are escaped twice in the canonical request.
	_, err = newClient(srv.URL).ConverseStream(ctx, &bedrockruntime.ConverseStreamInput{
		ModelId: aws.String("arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-3-haiku-20240307-v1:0"),
		Messages: []types.Message{{Role: types.ConversationRoleUser,
			Content: []types.ContentBlock{&types.ContentBlockMemberText{Value: "x"}}}},
	})
	if err != nil {
		t.Errorf("ARN model ID: %v", err)
	}
	for _, tc := range []struct{ id, secret, token, code string }{
		{"ASIATEMP", "tmp-s3cr3t", "the-session-token", ""},
		{"AKIDTEST", "s3cr3t", "any-session-token", ""}, // credentials configured without a token
		{"AKIDTEST", "wrong", "", "InvalidSignatureException"},
		{"AKIDOTHER", "s3cr3t", "", "UnrecognizedClientException"},
		{"ASIATEMP", "tmp-s3cr3t", "an-expired-token", "UnrecognizedClientException"},
	} {
		c := newClient(srv.URL, func(o *bedrockruntime.Options) {
			o.Credentials = credentials.NewStaticCredentialsProvider(tc.id, tc.secret, tc.token)
		})
		_, _, err := invokeStream(ctx, c, "signed")
		var ae smithy.APIError
		if tc.code == "" && err != nil || tc.code != "" && (!errors.As(err, &ae) || ae.ErrorCode() != tc.code) {
			t.Errorf("%s/%s/%s: %v, want %q", tc.id, tc.secret, tc.token, err, tc.code)
		}
	}
}

// TestBearerTokenOverTLS also shows why the server has a TLS mode: the Go SDK refuses to
// send a bearer token over plain HTTP.
func TestBearerTokenOverTLS(t *testing.T) {
	plain := bedrocktest.NewServer(bedrocktest.Config{BearerToken: "tok-123"})
	defer plain.Close()
	_, _, err := invokeStream(context.Background(), newClient(plain.URL, func(o *bedrockruntime.Options) {
		o.BearerAuthTokenProvider = bearer.StaticTokenProvider{Token: bearer.Token{Value: "tok-123"}}
		o.AuthSchemePreference = []string{"httpBearerAuth"}
	}), "bearer")
	if err == nil || !strings.Contains(err.Error(), "requires HTTPS") {
		t.Errorf("bearer token over http: %v", err)
	}

	srv := bedrocktest.NewTLSServer(bedrocktest.Config{BearerToken: "tok-123"})
	defer srv.Close()
	pemData, err := os.ReadFile(srv.CAFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pemData)
	for _, tc := range []struct {
		token string
		ok    bool
	}{{"tok-123", true}, {"other", false}} {
		c := newClient(srv.URL, func(o *bedrockruntime.Options) {
			o.HTTPClient = noWriteTo{&http.Client{Transport: &http.Transport{
				TLSClientConfig: &tls.Config{RootCAs: pool}, ForceAttemptHTTP2: true,
			}}}
			o.BearerAuthTokenProvider = bearer.StaticTokenProvider{Token: bearer.Token{Value: tc.token}}
			o.AuthSchemePreference = []string{"httpBearerAuth"}
		})
		text, _, err := invokeStream(context.Background(), c, "bearer")
		if tc.ok && (err != nil || text != "bearer") {
			t.Errorf("token %s: %q, %v", tc.token, text, err)
		}
		if !tc.ok && err == nil {
			t.Errorf("token %s accepted", tc.token)
		}
	}
}

func TestConcurrentStreams(t *testing.T) {
	srv := bedrocktest.NewServer(bedrocktest.Config{})
	defer srv.Close()
	c := newClient(srv.URL)
	const n = 200
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			prompt := fmt.Sprintf("stream number %d of %d, with a few more words to split [[mock chunk-delay=1ms]]", i, n)
			want := strings.TrimSpace(prompt[:strings.Index(prompt, "[[")])
			text, _, err := invokeStream(context.Background(), c, prompt)
			if err == nil && text != want {
				err = fmt.Errorf("stream %d: %q", i, text)
			}
			if err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
