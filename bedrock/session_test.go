package bedrock_test

import (
	"context"
	"errors"
	"net/http"
	"runtime"
	"testing"
	"time"

	"github.com/framewire/eventstream/bedrock"
	"github.com/framewire/eventstream/bedrock/bedrocktest"
)

func h2c() *http.Client {
	var p http.Protocols
	p.SetUnencryptedHTTP2(true)
	return &http.Client{Transport: &http.Transport{Protocols: &p}}
}

func TestSessionContract(t *testing.T) {
	if _, err := bedrock.OpenSession(context.Background(), bedrock.SessionConfig{Endpoint: "http://127.0.0.1:1"}); err == nil {
		t.Error("a session without a model ID opened")
	}
	if got := bedrock.BidirectionalStreamPath("arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-sonic-v1:0"); got !=
		"/model/arn:aws:bedrock:us-east-1::foundation-model%2Famazon.nova-sonic-v1:0/invoke-with-bidirectional-stream" {
		t.Errorf("path %s", got)
	}

	srv := bedrocktest.NewServer(bedrocktest.Config{})
	defer srv.Close()
	before := runtime.NumGoroutine()
	client := h2c()

	// Send after CloseSend fails; CloseSend twice is fine.
	s, err := bedrock.OpenSession(context.Background(), bedrock.SessionConfig{HTTPClient: client, Endpoint: srv.URL, ModelID: "amazon.nova-sonic-v1:0"})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.CloseSend(); err != nil {
		t.Fatal(err)
	}
	if err := s.CloseSend(); err != nil {
		t.Errorf("second CloseSend: %v", err)
	}
	if err := s.Send([]byte(`{"event":{"sessionEnd":{}}}`)); err == nil {
		t.Error("Send after CloseSend succeeded")
	}
	// An empty input is the service's validationException.
	var exc *bedrock.Exception
	if _, err := s.Recv(); !errors.As(err, &exc) || exc.Type != bedrock.ValidationException {
		t.Errorf("empty session: %v", err)
	}
	s.Close()

	// Close before any Recv ends the call; Recv then fails, and nothing is left running.
	s, err = bedrock.OpenSession(context.Background(), bedrock.SessionConfig{HTTPClient: client, Endpoint: srv.URL, ModelID: "amazon.nova-sonic-v1:0"})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Send([]byte(`{"event":{"sessionStart":{}}}`)); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if _, err := s.Recv(); err == nil {
		t.Error("Recv after Close succeeded")
	}
	if err := s.Send([]byte(`{}`)); err == nil {
		t.Error("Send after Close succeeded")
	}
	// The connection becomes idle once the reset stream is done with.
	for deadline := time.Now().Add(5 * time.Second); runtime.NumGoroutine() > before; time.Sleep(10 * time.Millisecond) {
		client.CloseIdleConnections()
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			t.Fatalf("%d goroutines, %d before the sessions:\n%s", runtime.NumGoroutine(), before, buf[:runtime.Stack(buf, true)])
		}
	}
}

// TestSessionSendAfterServerEnd checks that a Send after the server ended the session names
// the end instead of the pipe under the request body.
func TestSessionSendAfterServerEnd(t *testing.T) {
	srv := bedrocktest.NewServer(bedrocktest.Config{})
	defer srv.Close()
	s, err := bedrock.OpenSession(context.Background(), bedrock.SessionConfig{HTTPClient: h2c(), Endpoint: srv.URL, ModelID: "amazon.nova-sonic-v1:0"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	// Input before sessionStart is refused, which ends the session.
	if err := s.Send([]byte(`{"event":{"promptStart":{"promptName":"p"}}}`)); err != nil {
		t.Fatal(err)
	}
	var exc *bedrock.Exception
	if _, err := s.Recv(); !errors.As(err, &exc) || exc.Type != bedrock.ValidationException {
		t.Fatalf("out-of-order input: %v", err)
	}
	// The transport closes the input once the response has ended.
	deadline := time.Now().Add(5 * time.Second)
	for {
		err := s.Send([]byte(`{"event":{"sessionEnd":{}}}`))
		if err != nil {
			if !errors.Is(err, bedrock.ErrSessionEnded) {
				t.Errorf("Send after the end: %v", err)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("Send still succeeds 5 s after the server ended the session")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
