package interop

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"
	"github.com/aws/smithy-go"

	"github.com/framewire/eventstream/bedrock/bedrocktest"
	"github.com/framewire/eventstream/sigv4"
)

const sonicModel = "amazon.nova-sonic-v1:0"

// sonicClient returns the SDK's client for a voice session with the server at url: the
// operation needs HTTP/2, which over http:// means a transport that speaks h2c only.
func sonicClient(url, secret string) *bedrockruntime.Client {
	var p http.Protocols
	p.SetUnencryptedHTTP2(true)
	return bedrockruntime.New(bedrockruntime.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(url),
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDTEST", secret, ""),
		HTTPClient:   &http.Client{Transport: &http.Transport{Protocols: &p}},
	})
}

// voice is a session held with the Go SDK.
type voice struct {
	t      *testing.T
	stream *bedrockruntime.InvokeModelWithBidirectionalStreamEventStream
	n      int
}

func openVoice(t *testing.T, c *bedrockruntime.Client) *voice {
	t.Helper()
	out, err := c.InvokeModelWithBidirectionalStream(context.Background(), &bedrockruntime.InvokeModelWithBidirectionalStreamInput{
		ModelId: aws.String(sonicModel),
	})
	if err != nil {
		t.Fatal(err)
	}
	v := &voice{t: t, stream: out.GetStream()}
	t.Cleanup(func() { v.stream.Close() })
	return v
}

func (v *voice) send(name string, body map[string]any) {
	v.t.Helper()
	ev, _ := json.Marshal(map[string]any{"event": map[string]any{name: body}})
	err := v.stream.Send(context.Background(), &types.InvokeModelWithBidirectionalStreamInputMemberChunk{
		Value: types.BidirectionalInputPayloadPart{Bytes: ev},
	})
	if err != nil {
		v.t.Fatalf("send %s: %v", name, err)
	}
}

func (v *voice) start(tools ...map[string]any) {
	v.t.Helper()
	v.send("sessionStart", map[string]any{"inferenceConfiguration": map[string]any{"maxTokens": 1024, "topP": 0.9, "temperature": 0.7}})
	ps := map[string]any{"promptName": "p1",
		"textOutputConfiguration": map[string]any{"mediaType": "text/plain"},
		"audioOutputConfiguration": map[string]any{"mediaType": "audio/lpcm", "sampleRateHertz": 24000, "sampleSizeBits": 16,
			"channelCount": 1, "voiceId": "matthew", "encoding": "base64", "audioType": "SPEECH"}}
	if len(tools) > 0 {
		var ts []any
		for _, tool := range tools {
			ts = append(ts, map[string]any{"toolSpec": tool})
		}
		ps["toolUseOutputConfiguration"] = map[string]any{"mediaType": "application/json"}
		ps["toolConfiguration"] = map[string]any{"tools": ts}
	}
	v.send("promptStart", ps)
	v.text("SYSTEM", false, "You are a helpful voice assistant.")
}

func (v *voice) name() string { v.n++; return fmt.Sprintf("c%d", v.n) }

func (v *voice) text(role string, interactive bool, text string) {
	v.t.Helper()
	n := v.name()
	v.send("contentStart", map[string]any{"promptName": "p1", "contentName": n, "type": "TEXT", "interactive": interactive,
		"role": role, "textInputConfiguration": map[string]any{"mediaType": "text/plain"}})
	v.send("textInput", map[string]any{"promptName": "p1", "contentName": n, "content": text})
	v.send("contentEnd", map[string]any{"promptName": "p1", "contentName": n})
}

func (v *voice) audio(audio []byte) {
	v.t.Helper()
	n := v.name()
	v.send("contentStart", map[string]any{"promptName": "p1", "contentName": n, "type": "AUDIO", "interactive": true, "role": "USER",
		"audioInputConfiguration": map[string]any{"mediaType": "audio/lpcm", "sampleRateHertz": 16000, "sampleSizeBits": 16,
			"channelCount": 1, "audioType": "SPEECH", "encoding": "base64"}})
	for len(audio) > 0 { // 32 ms of 16 kHz audio a frame, as microphones deliver it
		k := min(1024, len(audio))
		v.send("audioInput", map[string]any{"promptName": "p1", "contentName": n, "content": base64.StdEncoding.EncodeToString(audio[:k])})
		audio = audio[k:]
	}
	v.send("contentEnd", map[string]any{"promptName": "p1", "contentName": n})
}

func (v *voice) toolResult(id, result string) {
	v.t.Helper()
	n := v.name()
	v.send("contentStart", map[string]any{"promptName": "p1", "contentName": n, "interactive": false, "type": "TOOL", "role": "TOOL",
		"toolResultInputConfiguration": map[string]any{"toolUseId": id, "type": "TEXT", "textInputConfiguration": map[string]any{"mediaType": "text/plain"}}})
	v.send("toolResult", map[string]any{"promptName": "p1", "contentName": n, "content": result})
	v.send("contentEnd", map[string]any{"promptName": "p1", "contentName": n})
}

func (v *voice) end() {
	v.t.Helper()
	v.send("promptEnd", map[string]any{"promptName": "p1"})
	v.send("sessionEnd", map[string]any{})
}

// reply is what the client makes of the output of one turn.
type reply struct {
	transcript, speculative, final string
	audio                          []byte
	toolName, toolUseID, toolInput string
	stop                           string // completionEnd's stopReason
}

// recv reads events until completionEnd, or the end of a tool call when untilTool.
func (v *voice) recv(untilTool bool) (reply, error) {
	var r reply
	stage := map[string]string{}
	timeout := time.After(10 * time.Second)
	for {
		var ev types.InvokeModelWithBidirectionalStreamOutput
		var ok bool
		select {
		case ev, ok = <-v.stream.Events():
		case <-timeout:
			return r, errors.New("no completionEnd in 10 s")
		}
		if !ok {
			if err := v.stream.Err(); err != nil {
				return r, err
			}
			return r, errors.New("the stream ended")
		}
		chunk, isChunk := ev.(*types.InvokeModelWithBidirectionalStreamOutputMemberChunk)
		if !isChunk {
			return r, fmt.Errorf("event %T", ev)
		}
		var out struct {
			Event map[string]struct {
				ContentID, Type, Role, Content, AdditionalModelFields, StopReason, ToolName, ToolUseID string
			}
		}
		if err := json.Unmarshal(chunk.Value.Bytes, &out); err != nil {
			return r, err
		}
		for name, e := range out.Event {
			switch name {
			case "contentStart":
				stage[e.ContentID] = e.Role + " " + e.AdditionalModelFields
			case "textOutput":
				switch s := stage[e.ContentID]; {
				case strings.HasPrefix(s, "USER") && strings.Contains(s, "FINAL"):
					r.transcript += e.Content
				case strings.Contains(s, "SPECULATIVE"):
					r.speculative += e.Content
				case strings.Contains(s, "FINAL"):
					r.final += e.Content
				}
			case "audioOutput":
				b, err := base64.StdEncoding.DecodeString(e.Content)
				if err != nil {
					return r, err
				}
				r.audio = append(r.audio, b...)
			case "toolUse":
				r.toolName, r.toolUseID, r.toolInput = e.ToolName, e.ToolUseID, e.Content
			case "contentEnd":
				if untilTool && e.StopReason == "TOOL_USE" {
					return r, nil
				}
			case "completionEnd":
				r.stop = e.StopReason
				return r, nil
			}
		}
	}
}

// sonicServer starts a server, with credentials when signed, and returns it with the
// channel of its log entries.
func sonicServer(t *testing.T, signed bool) (*bedrocktest.Server, chan bedrocktest.LogEntry) {
	logs := make(chan bedrocktest.LogEntry, 100)
	cfg := bedrocktest.Config{Log: func(e bedrocktest.LogEntry) { logs <- e }}
	if signed {
		cfg.Credentials = []sigv4.Credentials{{AccessKeyID: "AKIDTEST", SecretAccessKey: "s3cr3t"}}
	}
	srv := bedrocktest.NewServer(cfg)
	t.Cleanup(srv.Close)
	return srv, logs
}

func nextLog(t *testing.T, logs chan bedrocktest.LogEntry) bedrocktest.LogEntry {
	t.Helper()
	select {
	case e := <-logs:
		return e
	case <-time.After(5 * time.Second):
		t.Fatal("no log entry")
	}
	return bedrocktest.LogEntry{}
}

func TestGoSDKVoiceSession(t *testing.T) {
	for _, signed := range []bool{true, false} {
		t.Run(fmt.Sprintf("signed=%v", signed), func(t *testing.T) {
			srv, logs := sonicServer(t, signed)
			v := openVoice(t, sonicClient(srv.URL, "s3cr3t"))
			v.start(map[string]any{"name": "getWeather", "description": "The weather in a city",
				"inputSchema": map[string]any{"json": `{"type":"object","properties":{"city":{"type":"string"},"unit":{"type":"string","enum":["celsius","fahrenheit"]}},"required":["city","unit"]}`}})

			// A text turn: the transcript is the text, and the assistant echoes it.
			v.text("USER", true, "What can you do for me today?")
			r, err := v.recv(false)
			if err != nil {
				t.Fatal(err)
			}
			if r.transcript != "What can you do for me today?" || r.speculative != r.transcript || r.final != r.transcript || len(r.audio) == 0 || r.stop != "END_TURN" {
				t.Errorf("text turn: %+v", r)
			}

			// An audio turn: the audio comes back byte for byte.
			audio := make([]byte, 48000)
			for i := range audio {
				audio[i] = byte(i*31 + i>>8)
			}
			v.audio(audio)
			if r, err = v.recv(false); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(r.audio, audio) || r.transcript != bedrocktest.DefaultAudioTranscript {
				t.Errorf("audio turn: %d bytes back (want the %d sent, equal: %v), transcript %q", len(r.audio), len(audio), bytes.Equal(r.audio, audio), r.transcript)
			}

			// A tool turn: the input fits the schema, and the result is spoken back.
			v.text("USER", true, "Weather in Lyon? [[mock tool=getWeather]]")
			if r, err = v.recv(true); err != nil {
				t.Fatal(err)
			}
			var in struct{ City, Unit string }
			if r.toolName != "getWeather" || json.Unmarshal([]byte(r.toolInput), &in) != nil || in.City == "" || in.Unit != "celsius" {
				t.Errorf("toolUse %q %q", r.toolName, r.toolInput)
			}
			v.toolResult(r.toolUseID, `{"forecast":"sunny","degrees":21}`)
			if r, err = v.recv(false); err != nil {
				t.Fatal(err)
			}
			if r.final != `{"forecast":"sunny","degrees":21}` || len(r.audio) == 0 {
				t.Errorf("tool answer: %+v", r)
			}

			// The SDK's own way of closing: sessionEnd, then Close, which often cuts the
			// request before the end frame leaves. Both are a clean end.
			v.end()
			if err := v.stream.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
			e := nextLog(t, logs)
			if e.Turns != 3 || (e.End != "end frame" && e.End != "request ended after sessionEnd") || e.Proto != "HTTP/2.0" {
				t.Errorf("log: %s", e)
			}
		})
	}
}

func TestGoSDKVoiceSessionErrors(t *testing.T) {
	srv, logs := sonicServer(t, true)

	// A mid-session exception surfaces as the SDK's typed error.
	v := openVoice(t, sonicClient(srv.URL, "s3cr3t"))
	v.start()
	v.text("USER", true, "Hello there")
	if _, err := v.recv(false); err != nil {
		t.Fatal(err)
	}
	v.text("USER", true, "Again [[mock exception=modelStreamErrorException after=3 original-status=503]]")
	_, err := v.recv(false)
	var mse *types.ModelStreamErrorException
	if !errors.As(err, &mse) || aws.ToInt32(mse.OriginalStatusCode) != 503 {
		t.Errorf("exception: %T %v", err, err)
	}
	nextLog(t, logs)

	// Wrong credentials are refused before the stream.
	v = openVoice(t, sonicClient(srv.URL, "not-the-secret"))
	v.stream.Send(context.Background(), &types.InvokeModelWithBidirectionalStreamInputMemberChunk{
		Value: types.BidirectionalInputPayloadPart{Bytes: []byte(`{"event":{"sessionStart":{}}}`)}})
	_, err = v.recv(false)
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != sigv4.InvalidSignature {
		t.Errorf("wrong secret: %T %v", err, err)
	}
	nextLog(t, logs)

	// Close before sessionEnd: the SDK sends the end frame (a clean end), or the request is
	// cut before it leaves, which the service answers with its validationException.
	v = openVoice(t, sonicClient(srv.URL, "s3cr3t"))
	v.start()
	v.stream.Close()
	e := nextLog(t, logs)
	if !strings.HasPrefix(e.End, "validationException: Invalid input request") && e.End != "end frame" {
		t.Errorf("log after Close before sessionEnd: %s", e)
	}
}

// TestGoSDKVoiceSessionAgainstServe holds a session with `eventstream serve` and its session
// flags: after a turn, the session idles out with the typed ValidationException, and the log
// line says how the session ended.
func TestGoSDKVoiceSessionAgainstServe(t *testing.T) {
	_, out, stderr := startServe(t, buildCommand(t), "-addr", "127.0.0.1:0", "-credentials", "AKIDTEST:s3cr3t",
		"-session-idle-timeout", "1s", "-session-timeout", "1m")
	if !out.Scan() {
		t.Fatalf("no first line; stderr: %s", stderr)
	}
	url := strings.TrimPrefix(out.Text(), "eventstream serve: listening on ")
	v := openVoice(t, sonicClient(url, "s3cr3t"))
	v.start()
	v.text("USER", true, "Are you there?")
	if r, err := v.recv(false); err != nil || r.final != "Are you there?" {
		t.Fatalf("%+v, %v", r, err)
	}
	start := time.Now()
	_, err := v.recv(false)
	var ve *types.ValidationException
	if !errors.As(err, &ve) || aws.ToString(ve.Message) != "Timed out waiting for input events" || time.Since(start) > 6*time.Second {
		t.Errorf("idle: %T %v after %v", err, err, time.Since(start))
	}
	// The README shows this line: 22 events of the turn (8 of them the tone's audio) and the
	// exception.
	want := regexp.MustCompile(`POST InvokeModelWithBidirectionalStream model=amazon\.nova-sonic-v1:0 status=200 frames=23 duration=\S+ ` +
		`proto=HTTP/2\.0 request-id=\S+ turns=1 frames-in=8 end="validationException: Timed out waiting for input events"`)
	waitFor(t, func() bool { return want.MatchString(stderr.String()) }, "log line", stderr)
}

// TestGoSDKVoiceSessionTLS holds a session over HTTPS, HTTP/2 negotiated by TLS, with a
// client that trusts the server's certificate.
func TestGoSDKVoiceSessionTLS(t *testing.T) {
	srv := bedrocktest.NewTLSServer(bedrocktest.Config{Credentials: []sigv4.Credentials{{AccessKeyID: "AKIDTEST", SecretAccessKey: "s3cr3t"}}})
	defer srv.Close()
	c := bedrockruntime.New(bedrockruntime.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(srv.URL),
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDTEST", "s3cr3t", ""),
		HTTPClient:   srv.Client(),
	})
	v := openVoice(t, c)
	v.start()
	v.text("USER", true, "Over TLS, please.")
	r, err := v.recv(false)
	if err != nil || r.final != "Over TLS, please." || len(r.audio) == 0 {
		t.Fatalf("%+v, %v", r, err)
	}
	v.end()
	if err := v.stream.Close(); err != nil {
		t.Error(err)
	}
}
