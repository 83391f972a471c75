package bedrock_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"

	"github.com/framewire/eventstream/bedrock"
	"github.com/framewire/eventstream/bedrock/bedrocktest"
	"github.com/framewire/eventstream/sigv4"
)

// A voice session with Amazon Nova Sonic: one text turn, end to end, against the local
// server of package bedrocktest. Over http:// the client must speak HTTP/2 with prior
// knowledge (h2c); over https:// an ordinary http.Transport negotiates HTTP/2.
func ExampleOpenSession() {
	creds := sigv4.Credentials{AccessKeyID: "AKIDTEST", SecretAccessKey: "s3cr3t"}
	srv := bedrocktest.NewServer(bedrocktest.Config{Credentials: []sigv4.Credentials{creds}})
	defer srv.Close()

	var h2c http.Protocols
	h2c.SetUnencryptedHTTP2(true)
	s, err := bedrock.OpenSession(context.Background(), bedrock.SessionConfig{
		HTTPClient:  &http.Client{Transport: &http.Transport{Protocols: &h2c}},
		Endpoint:    srv.URL,
		ModelID:     "amazon.nova-sonic-v1:0",
		Region:      "us-east-1",
		Credentials: &creds, // signs the request, and each event in a chain seeded by it
	})
	if err != nil {
		panic(err)
	}
	defer s.Close()

	send := func(event string) {
		if err := s.Send([]byte(event)); err != nil {
			panic(err)
		}
	}
	send(`{"event":{"sessionStart":{"inferenceConfiguration":{"maxTokens":1024,"topP":0.9,"temperature":0.7}}}}`)
	send(`{"event":{"promptStart":{"promptName":"p1","textOutputConfiguration":{"mediaType":"text/plain"},
		"audioOutputConfiguration":{"mediaType":"audio/lpcm","sampleRateHertz":24000,"sampleSizeBits":16,
		"channelCount":1,"voiceId":"matthew","encoding":"base64","audioType":"SPEECH"}}}}`)
	send(`{"event":{"contentStart":{"promptName":"p1","contentName":"c1","type":"TEXT","interactive":true,
		"role":"USER","textInputConfiguration":{"mediaType":"text/plain"}}}}`)
	send(`{"event":{"textInput":{"promptName":"p1","contentName":"c1","content":"Hello, Nova!"}}}`)
	send(`{"event":{"contentEnd":{"promptName":"p1","contentName":"c1"}}}`)

	audioFrames := 0
	for {
		ev, err := s.Recv() // ev.Payload: {"event":{"<name>":{...}}}
		if err != nil {
			panic(err) // *bedrock.APIError before the stream, *bedrock.Exception in it
		}
		var out struct {
			Event struct {
				TextOutput *struct {
					Role, Content string
				}
				AudioOutput   *struct{ Content string }
				CompletionEnd *struct{ StopReason string }
			}
		}
		if err := json.Unmarshal(ev.Payload, &out); err != nil {
			panic(err)
		}
		switch e := out.Event; {
		case e.TextOutput != nil:
			fmt.Printf("%s: %s\n", e.TextOutput.Role, e.TextOutput.Content)
		case e.AudioOutput != nil:
			audioFrames++ // base64 LPCM, 24 kHz as asked: a tone for a text turn
		case e.CompletionEnd != nil:
			fmt.Println("audio frames:", audioFrames, "stop:", e.CompletionEnd.StopReason)
		}
		if out.Event.CompletionEnd != nil {
			break
		}
	}

	send(`{"event":{"promptEnd":{"promptName":"p1"}}}`)
	send(`{"event":{"sessionEnd":{}}}`)
	if err := s.CloseSend(); err != nil { // the signed end frame, then the end of the request
		panic(err)
	}
	_, err = s.Recv()
	fmt.Println(err == io.EOF)
	// Output:
	// USER: Hello, Nova!
	// ASSISTANT: Hello, Nova!
	// ASSISTANT: Hello, Nova!
	// audio frames: 8 stop: END_TURN
	// true
}
