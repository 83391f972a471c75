package voice

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"
	"github.com/framewire/eventstream/bedrock/bedrocktest"
	"github.com/framewire/eventstream/sigv4"
)

func TestVoiceAgentHearsAndSpeaks(t *testing.T) {
	srv := bedrocktest.NewServer(bedrocktest.Config{
		Credentials: []sigv4.Credentials{{AccessKeyID: "AKIDTEST", SecretAccessKey: "s3cr3t"}},
	})
	defer srv.Close()

	// The operation needs HTTP/2; over http:// that is h2c, and HTTP/1 must be off.
	var h2c http.Protocols
	h2c.SetUnencryptedHTTP2(true)
	client := bedrockruntime.New(bedrockruntime.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(srv.URL),
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDTEST", "s3cr3t", ""),
		HTTPClient:   &http.Client{Transport: &http.Transport{Protocols: &h2c}},
	})
	ctx := context.Background()
	out, err := client.InvokeModelWithBidirectionalStream(ctx, &bedrockruntime.InvokeModelWithBidirectionalStreamInput{
		ModelId: aws.String("amazon.nova-sonic-v1:0"),
	})
	if err != nil {
		t.Fatal(err)
	}
	stream := out.GetStream()
	defer stream.Close()

	send := func(event string) {
		err := stream.Send(ctx, &types.InvokeModelWithBidirectionalStreamInputMemberChunk{
			Value: types.BidirectionalInputPayloadPart{Bytes: []byte(event)},
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	// Reads one turn's output: the user's transcript, the assistant's final text, the audio.
	listen := func() (heard, said string, audio []byte) {
		roles := map[string]string{} // contentId -> role and generation stage
		for ev := range stream.Events() {
			chunk := ev.(*types.InvokeModelWithBidirectionalStreamOutputMemberChunk)
			var out struct {
				Event struct {
					ContentStart  *struct{ ContentID, Role, AdditionalModelFields string }
					TextOutput    *struct{ ContentID, Content string }
					AudioOutput   *struct{ Content string }
					CompletionEnd *struct{}
				}
			}
			if err := json.Unmarshal(chunk.Value.Bytes, &out); err != nil {
				t.Fatal(err)
			}
			switch e := out.Event; {
			case e.ContentStart != nil:
				roles[e.ContentStart.ContentID] = e.ContentStart.Role + e.ContentStart.AdditionalModelFields
			case e.TextOutput != nil && roles[e.TextOutput.ContentID] == `USER{"generationStage":"FINAL"}`:
				heard += e.TextOutput.Content
			case e.TextOutput != nil && roles[e.TextOutput.ContentID] == `ASSISTANT{"generationStage":"FINAL"}`:
				said += e.TextOutput.Content
			case e.AudioOutput != nil:
				b, _ := base64.StdEncoding.DecodeString(e.AudioOutput.Content)
				audio = append(audio, b...)
			case e.CompletionEnd != nil:
				return heard, said, audio
			}
		}
		t.Fatalf("the stream ended: %v", stream.Err())
		return
	}

	send(`{"event":{"sessionStart":{"inferenceConfiguration":{"maxTokens":1024,"topP":0.9,"temperature":0.7}}}}`)
	send(`{"event":{"promptStart":{"promptName":"p","textOutputConfiguration":{"mediaType":"text/plain"},
		"audioOutputConfiguration":{"mediaType":"audio/lpcm","sampleRateHertz":24000,"sampleSizeBits":16,
		"channelCount":1,"voiceId":"matthew","encoding":"base64","audioType":"SPEECH"}}}}`)

	// A text turn: the server echoes the words, and speaks a tone.
	send(`{"event":{"contentStart":{"promptName":"p","contentName":"t1","type":"TEXT","interactive":true,
		"role":"USER","textInputConfiguration":{"mediaType":"text/plain"}}}}`)
	send(`{"event":{"textInput":{"promptName":"p","contentName":"t1","content":"Book a table for two."}}}`)
	send(`{"event":{"contentEnd":{"promptName":"p","contentName":"t1"}}}`)
	if heard, said, audio := listen(); heard != "Book a table for two." || said != heard || len(audio) == 0 {
		t.Fatalf("heard %q, said %q, %d bytes of audio", heard, said, len(audio))
	}

	// An audio turn: the audio comes back byte for byte once the block ends.
	mic := bytes.Repeat([]byte{0x10, 0x00, 0xf0, 0xff}, 4000) // 16-bit LPCM at 16 kHz, 0.5 s
	send(`{"event":{"contentStart":{"promptName":"p","contentName":"a1","type":"AUDIO","interactive":true,
		"role":"USER","audioInputConfiguration":{"mediaType":"audio/lpcm","sampleRateHertz":16000,
		"sampleSizeBits":16,"channelCount":1,"audioType":"SPEECH","encoding":"base64"}}}}`)
	for i := 0; i < len(mic); i += 1024 {
		piece := base64.StdEncoding.EncodeToString(mic[i:min(i+1024, len(mic))])
		send(`{"event":{"audioInput":{"promptName":"p","contentName":"a1","content":"` + piece + `"}}}`)
	}
	send(`{"event":{"contentEnd":{"promptName":"p","contentName":"a1"}}}`)
	if heard, _, audio := listen(); heard != bedrocktest.DefaultAudioTranscript || !bytes.Equal(audio, mic) {
		t.Fatalf("heard %q, %d bytes of audio back", heard, len(audio))
	}

	send(`{"event":{"promptEnd":{"promptName":"p"}}}`)
	send(`{"event":{"sessionEnd":{}}}`)
	if err := stream.Close(); err != nil {
		t.Fatal(err)
	}
}
