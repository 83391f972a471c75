package bedrocktest

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/framewire/eventstream"
	"github.com/framewire/eventstream/bedrock"
	"github.com/framewire/eventstream/sigv4"
)

const sonicModel = "amazon.nova-sonic-v1:0"

// sonic writes the input events of a Nova Sonic session.
type sonic struct {
	t      testing.TB
	s      *bedrock.Session
	prompt string
	n      int
	// lenient ignores send errors: once the server has ended the response, the transport
	// closes the request body under the sender.
	lenient bool
}

func openSonic(t testing.TB, url string, creds *sigv4.Credentials) *sonic {
	t.Helper()
	s, err := bedrock.OpenSession(context.Background(), bedrock.SessionConfig{
		HTTPClient: h2cClient(), Endpoint: url, ModelID: sonicModel, Credentials: creds,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return &sonic{t: t, s: s, prompt: "prompt-1"}
}

func (c *sonic) send(name string, body map[string]any) error {
	ev, err := json.Marshal(map[string]any{"event": map[string]any{name: body}})
	if err != nil {
		c.t.Fatal(err)
	}
	return c.s.Send(ev)
}

func (c *sonic) must(name string, body map[string]any) {
	c.t.Helper()
	if err := c.send(name, body); err != nil && !c.lenient {
		c.t.Fatalf("send %s: %v", name, err)
	}
}

var outputAudio = map[string]any{
	"mediaType": "audio/lpcm", "sampleRateHertz": 24000, "sampleSizeBits": 16, "channelCount": 1,
	"voiceId": "matthew", "encoding": "base64", "audioType": "SPEECH",
}

// start sends sessionStart and promptStart, with tools if given.
func (c *sonic) start(tools ...map[string]any) {
	c.t.Helper()
	c.must("sessionStart", map[string]any{"inferenceConfiguration": map[string]any{"maxTokens": 1024, "topP": 0.9, "temperature": 0.7}})
	ps := map[string]any{
		"promptName":               c.prompt,
		"textOutputConfiguration":  map[string]any{"mediaType": "text/plain"},
		"audioOutputConfiguration": outputAudio,
	}
	if len(tools) > 0 {
		ps["toolUseOutputConfiguration"] = map[string]any{"mediaType": "application/json"}
		var ts []any
		for _, t := range tools {
			ts = append(ts, map[string]any{"toolSpec": t})
		}
		ps["toolConfiguration"] = map[string]any{"tools": ts}
	}
	c.must("promptStart", ps)
}

func (c *sonic) contentName() string {
	c.n++
	return fmt.Sprintf("content-%d", c.n)
}

// text sends a TEXT block of one textInput.
func (c *sonic) text(role string, interactive bool, text string) {
	c.t.Helper()
	name := c.contentName()
	c.must("contentStart", map[string]any{"promptName": c.prompt, "contentName": name, "type": "TEXT",
		"interactive": interactive, "role": role, "textInputConfiguration": map[string]any{"mediaType": "text/plain"}})
	c.must("textInput", map[string]any{"promptName": c.prompt, "contentName": name, "content": text})
	c.must("contentEnd", map[string]any{"promptName": c.prompt, "contentName": name})
}

// audio sends a USER AUDIO block of audio in pieces of 1,024 bytes.
func (c *sonic) audio(audio []byte) {
	c.t.Helper()
	name := c.contentName()
	c.must("contentStart", map[string]any{"promptName": c.prompt, "contentName": name, "type": "AUDIO",
		"interactive": true, "role": "USER", "audioInputConfiguration": map[string]any{
			"mediaType": "audio/lpcm", "sampleRateHertz": 16000, "sampleSizeBits": 16, "channelCount": 1,
			"audioType": "SPEECH", "encoding": "base64"}})
	for len(audio) > 0 {
		n := min(1024, len(audio))
		c.must("audioInput", map[string]any{"promptName": c.prompt, "contentName": name, "content": base64.StdEncoding.EncodeToString(audio[:n])})
		audio = audio[n:]
	}
	c.must("contentEnd", map[string]any{"promptName": c.prompt, "contentName": name})
}

// toolResult sends a TOOL block answering toolUseID.
func (c *sonic) toolResult(toolUseID, result string) {
	c.t.Helper()
	name := c.contentName()
	c.must("contentStart", map[string]any{"promptName": c.prompt, "contentName": name, "interactive": false,
		"type": "TOOL", "role": "TOOL", "toolResultInputConfiguration": map[string]any{
			"toolUseId": toolUseID, "type": "TEXT", "textInputConfiguration": map[string]any{"mediaType": "text/plain"}}})
	c.must("toolResult", map[string]any{"promptName": c.prompt, "contentName": name, "content": result})
	c.must("contentEnd", map[string]any{"promptName": c.prompt, "contentName": name})
}

// end sends promptEnd and sessionEnd, then the end frame.
func (c *sonic) end() {
	c.t.Helper()
	c.must("promptEnd", map[string]any{"promptName": c.prompt})
	c.must("sessionEnd", map[string]any{})
	if err := c.s.CloseSend(); err != nil {
		c.t.Fatal(err)
	}
}

// outEvent is one output event, decoded.
type outEvent struct {
	name string
	body map[string]any
}

func (e outEvent) str(k string) string { s, _ := e.body[k].(string); return s }

// recv reads output events until stop returns true for one of them (it is included), or
// the stream ends.
func (c *sonic) recv(stop func(outEvent) bool) ([]outEvent, error) {
	var out []outEvent
	for {
		ev, err := c.s.Recv()
		if err != nil {
			return out, err
		}
		var env struct {
			Event map[string]map[string]any `json:"event"`
		}
		if err := json.Unmarshal(ev.Payload, &env); err != nil || len(env.Event) != 1 {
			c.t.Fatalf("output %s: %v", ev.Payload, err)
		}
		for name, body := range env.Event {
			out = append(out, outEvent{name, body})
		}
		if stop != nil && stop(out[len(out)-1]) {
			return out, nil
		}
	}
}

func completionEnd(e outEvent) bool { return e.name == "completionEnd" }

// turn is what a client makes of one answered turn.
type turn struct {
	names                          []string
	transcript, speculative, final string
	audio                          []byte
	audioFrames                    int
	stops                          map[string]string // content type/role -> stopReason
	toolUse                        outEvent
	usage                          outEvent
}

func summarize(t testing.TB, events []outEvent) turn {
	t.Helper()
	tr := turn{stops: map[string]string{}}
	kinds := map[string]string{} // contentId -> TYPE/ROLE/stage
	ids := map[string]string{}
	for _, e := range events {
		tr.names = append(tr.names, e.name)
		for _, k := range []string{"sessionId", "promptName", "completionId"} {
			if e.str(k) == "" {
				t.Errorf("%s has no %s", e.name, k)
			}
			if ids[k] == "" {
				ids[k] = e.str(k)
			} else if ids[k] != e.str(k) {
				t.Errorf("%s: %s %q, earlier %q", e.name, k, e.str(k), ids[k])
			}
		}
		id := e.str("contentId")
		switch e.name {
		case "contentStart":
			kind := e.str("type") + "/" + e.str("role")
			if e.str("type") == "TEXT" {
				var amf struct{ GenerationStage string }
				json.Unmarshal([]byte(e.str("additionalModelFields")), &amf)
				kind += "/" + amf.GenerationStage
			}
			kinds[id] = kind
		case "textOutput":
			switch kinds[id] {
			case "TEXT/USER/FINAL":
				tr.transcript += e.str("content")
			case "TEXT/ASSISTANT/SPECULATIVE":
				tr.speculative += e.str("content")
			case "TEXT/ASSISTANT/FINAL":
				tr.final += e.str("content")
			default:
				t.Errorf("textOutput in block %q", kinds[id])
			}
		case "audioOutput":
			b, err := base64.StdEncoding.DecodeString(e.str("content"))
			if err != nil || kinds[id] != "AUDIO/ASSISTANT" {
				t.Errorf("audioOutput in block %q: %v", kinds[id], err)
			}
			tr.audio = append(tr.audio, b...)
			tr.audioFrames++
		case "toolUse":
			tr.toolUse = e
		case "contentEnd":
			tr.stops[kinds[id]] = e.str("stopReason")
		case "usageEvent":
			tr.usage = e
		}
	}
	return tr
}

func TestSessionTextTurn(t *testing.T) {
	var logs []LogEntry
	var mu sync.Mutex
	srv := NewServer(Config{Log: func(e LogEntry) { mu.Lock(); logs = append(logs, e); mu.Unlock() }})
	defer srv.Close()
	c := openSonic(t, srv.URL, nil)
	c.start()
	c.text("SYSTEM", false, "You are a friendly assistant.")
	c.text("USER", false, "An earlier question.")
	c.text("ASSISTANT", false, "An earlier answer.")
	c.text("USER", true, "What is the weather like today?")
	events, err := c.recv(completionEnd)
	if err != nil {
		t.Fatal(err)
	}
	tr := summarize(t, events)
	if tr.transcript != "What is the weather like today?" || tr.speculative != tr.transcript || tr.final != tr.transcript {
		t.Errorf("transcript %q, speculative %q, final %q", tr.transcript, tr.speculative, tr.final)
	}
	if tr.names[0] != "completionStart" || tr.names[len(tr.names)-2] != "usageEvent" {
		t.Errorf("events %v", tr.names)
	}
	wantStops := map[string]string{"TEXT/USER/FINAL": "END_TURN", "TEXT/ASSISTANT/SPECULATIVE": "PARTIAL_TURN",
		"AUDIO/ASSISTANT": "END_TURN", "TEXT/ASSISTANT/FINAL": "END_TURN"}
	for k, v := range wantStops {
		if tr.stops[k] != v {
			t.Errorf("block %s stopReason %q, want %q", k, tr.stops[k], v)
		}
	}
	// A text turn gets a tone: 16-bit samples at the configured 24 kHz, 40 ms a frame.
	if len(tr.audio) == 0 || len(tr.audio)%2 != 0 || tr.audioFrames < 2 {
		t.Errorf("tone of %d bytes in %d frames", len(tr.audio), tr.audioFrames)
	}
	det, _ := tr.usage.body["details"].(map[string]any)
	if tr.usage.body["totalTokens"].(float64) <= 0 || det["delta"] == nil {
		t.Errorf("usage %v", tr.usage.body)
	}

	c.end()
	if rest, err := c.recv(nil); err != io.EOF || len(rest) != 0 {
		t.Errorf("after the end frame: %v, %v; want io.EOF", rest, err)
	}
	srv.Close()
	// The journal has the session's events, the system prompt and history among them.
	reqs := srv.Requests()
	if len(reqs) != 1 || reqs[0].Operation != "InvokeModelWithBidirectionalStream" || strings.Count(reqs[0].Body, "\n") != 16 ||
		!strings.Contains(reqs[0].Body, `"content":"You are a friendly assistant."`) || !strings.Contains(reqs[0].Body, `"content":"An earlier answer."`) {
		t.Errorf("journal %+v", reqs)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(logs) != 1 || logs[0].Turns != 1 || logs[0].End != "request ended after sessionEnd" || logs[0].Proto != "HTTP/2.0" ||
		logs[0].Frames != len(events) || logs[0].FramesIn != 16 {
		t.Errorf("log %+v", logs)
	} else if s := logs[0].String(); !strings.Contains(s, `InvokeModelWithBidirectionalStream model=amazon.nova-sonic-v1:0 status=200`) ||
		!strings.Contains(s, `turns=1 frames-in=16 end="request ended after sessionEnd"`) {
		t.Errorf("log line %s", s)
	}
}

func TestSessionAudioTurnEchoes(t *testing.T) {
	srv := NewServer(Config{})
	defer srv.Close()
	c := openSonic(t, srv.URL, nil)
	c.start()
	audio := make([]byte, 32000+3*1024+18) // a second and a bit of 16 kHz audio
	for i := range audio {
		audio[i] = byte(i * 7)
	}
	for range 2 {
		c.audio(audio)
		events, err := c.recv(completionEnd)
		if err != nil {
			t.Fatal(err)
		}
		tr := summarize(t, events)
		if !bytes.Equal(tr.audio, audio) {
			t.Errorf("audio back: %d bytes, want the %d sent", len(tr.audio), len(audio))
		}
		if tr.audioFrames != (len(audio)+1919)/1920 {
			t.Errorf("%d audio frames", tr.audioFrames)
		}
		if tr.transcript != DefaultAudioTranscript || tr.final != DefaultAudioTranscript {
			t.Errorf("transcript %q, final %q", tr.transcript, tr.final)
		}
	}
	c.end()
	if _, err := c.recv(nil); err != io.EOF {
		t.Errorf("end: %v", err)
	}
	srv.Close()
	if reqs := srv.Requests(); len(reqs) != 1 || strings.Contains(reqs[0].Body, `"audioInput":`) || strings.Count(reqs[0].Body, `"contentStart"`) != 2 {
		t.Errorf("journal: %+v", reqs)
	}
}

func TestSessionToolTurn(t *testing.T) {
	srv := NewServer(Config{})
	defer srv.Close()
	c := openSonic(t, srv.URL, nil)
	c.start(map[string]any{
		"name": "getWeather", "description": "Weather for a city",
		"inputSchema": map[string]any{"json": `{"type":"object","properties":{"city":{"type":"string"},"days":{"type":"integer","minimum":1}},"required":["city","days"]}`},
	})
	c.text("USER", true, "Weather in Paris? [[mock tool=getWeather]]")
	events, err := c.recv(func(e outEvent) bool { return e.name == "contentEnd" && e.str("stopReason") == "TOOL_USE" })
	if err != nil {
		t.Fatal(err)
	}
	tr := summarize(t, events)
	if tr.transcript != "Weather in Paris?" || tr.toolUse.str("toolName") != "getWeather" || tr.toolUse.str("toolUseId") == "" {
		t.Fatalf("tool turn %+v", tr)
	}
	var input struct {
		City *string
		Days *int
	}
	if err := json.Unmarshal([]byte(tr.toolUse.str("content")), &input); err != nil || input.City == nil || input.Days == nil || *input.Days < 1 {
		t.Errorf("tool input %s: %v", tr.toolUse.str("content"), err)
	}
	c.toolResult(tr.toolUse.str("toolUseId"), "Sunny, 21 degrees.")
	events, err = c.recv(completionEnd)
	if err != nil {
		t.Fatal(err)
	}
	if tr := summarize(t, events); tr.speculative != "Sunny, 21 degrees." || tr.final != "Sunny, 21 degrees." || len(tr.audio) == 0 {
		t.Errorf("answer %+v", tr)
	}
	c.end()
	if _, err := c.recv(nil); err != io.EOF {
		t.Errorf("end: %v", err)
	}
}

func TestSessionBargeIn(t *testing.T) {
	srv := NewServer(Config{})
	defer srv.Close()
	c := openSonic(t, srv.URL, nil)
	c.start()
	c.text("USER", true, "Tell me a long story, please, with many words in it [[mock interrupt after=3]]")
	events, err := c.recv(completionEnd)
	if err != nil {
		t.Fatal(err)
	}
	tr := summarize(t, events)
	if tr.audioFrames != 3 || tr.stops["AUDIO/ASSISTANT"] != "INTERRUPTED" || tr.final != `{ "interrupted" : true }` ||
		tr.stops["TEXT/ASSISTANT/FINAL"] != "INTERRUPTED" {
		t.Errorf("barge-in: %d frames, stops %v, final %q", tr.audioFrames, tr.stops, tr.final)
	}
}

func TestSessionFaults(t *testing.T) {
	srv := NewServer(Config{})
	defer srv.Close()

	// An exception after N events of a turn ends the session with it.
	c := openSonic(t, srv.URL, nil)
	c.start()
	c.text("USER", true, "first turn")
	if _, err := c.recv(completionEnd); err != nil {
		t.Fatal(err)
	}
	// The turn starts at the textInput, so the session may end before the contentEnd
	// that follows it leaves: sending it then fails, as it would with the service.
	c.lenient = true
	c.text("USER", true, `second [[mock exception=throttlingException after=4 message="slow down"]]`)
	events, err := c.recv(nil)
	var exc *bedrock.Exception
	if !errors.As(err, &exc) || exc.Type != bedrock.ThrottlingException || exc.Message != "slow down" || len(events) != 4 {
		t.Errorf("%d events, then %v", len(events), err)
	}

	// A member the operation's stream lacks is refused.
	c = openSonic(t, srv.URL, nil)
	c.start()
	c.lenient = true
	c.text("USER", true, "hi [[mock exception=accessDeniedException]]")
	_, err = c.recv(nil)
	if !errors.As(err, &exc) || exc.Type != bedrock.ValidationException || !strings.Contains(exc.Message, "InvokeModelWithBidirectionalStream can send internalServerException") {
		t.Errorf("unknown member: %v", err)
	}

	// A status on the first turn answers with an HTTP error instead of the stream.
	c = openSonic(t, srv.URL, nil)
	c.start()
	c.lenient = true
	c.text("USER", true, "hello [[mock status=503]]")
	_, err = c.recv(nil)
	var ae *bedrock.APIError
	if !errors.As(err, &ae) || ae.StatusCode != 503 || ae.Name != bedrock.ErrServiceUnavailable {
		t.Errorf("status directive: %v", err)
	}
}

// TestSessionOutOfOrder checks the validationException of each kind of input out of order.
func TestSessionOutOfOrder(t *testing.T) {
	srv := NewServer(Config{})
	defer srv.Close()
	for _, tc := range []struct {
		name string
		run  func(c *sonic)
		want string
	}{
		{"no sessionStart", func(c *sonic) {
			c.send("promptStart", map[string]any{"promptName": "p", "audioOutputConfiguration": outputAudio})
		}, "before sessionStart"},
		{"unknown promptName", func(c *sonic) {
			c.start()
			c.send("contentStart", map[string]any{"promptName": "other", "contentName": "c", "type": "TEXT", "role": "USER"})
		}, `unknown promptName "other"`},
		{"unknown contentName", func(c *sonic) {
			c.start()
			c.send("textInput", map[string]any{"promptName": c.prompt, "contentName": "nope", "content": "hi"})
		}, `"nope", which no contentStart opened`},
		{"contentEnd without contentStart", func(c *sonic) {
			c.start()
			c.send("contentEnd", map[string]any{"promptName": c.prompt, "contentName": "nope"})
		}, `"nope", which no contentStart opened`},
		{"bad base64", func(c *sonic) {
			c.start()
			c.must("contentStart", map[string]any{"promptName": c.prompt, "contentName": "a", "type": "AUDIO", "role": "USER",
				"interactive": true, "audioInputConfiguration": map[string]any{"sampleRateHertz": 16000}})
			c.send("audioInput", map[string]any{"promptName": c.prompt, "contentName": "a", "content": "not base64!"})
		}, "not base64"},
		{"not an event", func(c *sonic) { c.s.Send([]byte(`[1,2]`)) }, "is not JSON of the form"},
		{"content used after its contentEnd", func(c *sonic) {
			c.start()
			c.text("SYSTEM", false, "Be brief.")
			c.send("textInput", map[string]any{"promptName": c.prompt, "contentName": "content-1", "content": "more"})
		}, `"content-1" after its contentEnd`},
		{"no audioOutputConfiguration", func(c *sonic) {
			c.must("sessionStart", map[string]any{})
			c.send("promptStart", map[string]any{"promptName": "p"})
		}, "has no audioOutputConfiguration"},
		{"stereo output", func(c *sonic) {
			c.must("sessionStart", map[string]any{})
			a := maps.Clone(outputAudio)
			a["channelCount"] = 2
			c.send("promptStart", map[string]any{"promptName": "p", "audioOutputConfiguration": a})
		}, "channelCount 2: want 1"},
		{"long contentName", func(c *sonic) {
			c.start()
			c.send("contentStart", map[string]any{"promptName": c.prompt, "contentName": strings.Repeat("n", 257), "type": "TEXT", "role": "USER"})
		}, "longer than 256 bytes"},
		{"too many open blocks", func(c *sonic) {
			c.start()
			for i := range 17 {
				c.send("contentStart", map[string]any{"promptName": c.prompt, "contentName": fmt.Sprint(i), "type": "TEXT", "role": "USER"})
			}
		}, "too many content blocks (16 open"},
		{"chunk over the API's limit", func(c *sonic) {
			c.start()
			c.send("textInput", map[string]any{"promptName": c.prompt, "contentName": "x", "content": strings.Repeat("a", 1_000_000)})
		}, "Member must have length less than or equal to 1000000"},
		{"missing end frame", func(c *sonic) {
			c.start()
			c.s.CloseSend() // unsigned: no end frame, and no sessionEnd
		}, msgInvalidInput},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := openSonic(t, srv.URL, nil)
			tc.run(c)
			_, err := c.recv(nil)
			var exc *bedrock.Exception
			if !errors.As(err, &exc) || exc.Type != bedrock.ValidationException || !strings.Contains(exc.Message, tc.want) {
				t.Errorf("%v, want a validationException with %q", err, tc.want)
			}
		})
	}
}

func TestSessionRefusals(t *testing.T) {
	srv := NewServer(Config{})
	defer srv.Close()

	// HTTP/1.1 gets the service's error at once, not a hang.
	pr, pw := io.Pipe()
	defer pw.Close()
	req, _ := http.NewRequest("POST", srv.URL+bedrock.BidirectionalStreamPath(sonicModel), pr)
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_, err = bedrock.ReadResponse(resp)
	resp.Body.Close()
	var ae *bedrock.APIError
	if resp.Proto != "HTTP/1.1" || !resp.Close || !errors.As(err, &ae) || ae.StatusCode != 400 || ae.Name != bedrock.ErrValidation || !strings.Contains(ae.Message, "requires HTTP/2") {
		t.Errorf("HTTP/1.1: %s %v", resp.Proto, err)
	}

	// Another model.
	s, _ := bedrock.OpenSession(context.Background(), bedrock.SessionConfig{HTTPClient: h2cClient(), Endpoint: srv.URL, ModelID: "anthropic.claude-3-haiku-20240307-v1:0"})
	defer s.Close()
	_, err = s.Recv()
	if !errors.As(err, &ae) || ae.Name != bedrock.ErrValidation || !strings.Contains(ae.Message, "does not support") {
		t.Errorf("other model: %v", err)
	}
}

func TestSessionIdleTimeout(t *testing.T) {
	t.Parallel() // waits on timers, not on the CPU
	var logs []LogEntry
	var mu sync.Mutex
	// Long enough that a loaded machine does not idle out the first turn.
	srv := NewServer(Config{SessionIdleTimeout: time.Second, Log: func(e LogEntry) { mu.Lock(); logs = append(logs, e); mu.Unlock() }})
	defer srv.Close()
	c := openSonic(t, srv.URL, nil)
	c.start()
	c.text("USER", true, "hello")
	if _, err := c.recv(completionEnd); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err := c.recv(nil)
	var exc *bedrock.Exception
	if !errors.As(err, &exc) || exc.Type != bedrock.ValidationException || exc.Message != msgIdle {
		t.Errorf("idle: %v", err)
	}
	if d := time.Since(start); d > 4*time.Second {
		t.Errorf("idled out after %v", d)
	}
	// The server still serves others.
	c = openSonic(t, srv.URL, nil)
	c.start()
	c.text("USER", true, "still there?")
	if _, err := c.recv(completionEnd); err != nil {
		t.Fatal(err)
	}
	srv.Close()
	mu.Lock()
	defer mu.Unlock()
	if len(logs) != 2 || logs[0].End != "validationException: "+msgIdle {
		t.Errorf("log %+v", logs)
	}
}

func TestSessionMaxDuration(t *testing.T) {
	srv := NewServer(Config{SessionTimeout: 300 * time.Millisecond})
	defer srv.Close()
	c := openSonic(t, srv.URL, nil)
	c.start()
	_, err := c.recv(nil)
	var exc *bedrock.Exception
	if !errors.As(err, &exc) || exc.Type != bedrock.ModelTimeoutException {
		t.Errorf("max duration: %v", err)
	}
}

func TestSessionLimitsAndEnds(t *testing.T) {
	t.Parallel() // waits on timers, not on the CPU
	srv := NewServer(Config{MaxInputFrame: 4096, Credentials: []sigv4.Credentials{sessionCreds}, BearerToken: "tok"})
	defer srv.Close()

	// An input frame over the limit.
	c := openSonic(t, srv.URL, &sessionCreds)
	c.lenient = true
	c.start()
	c.text("USER", true, strings.Repeat("word ", 1000))
	_, err := c.recv(nil)
	var exc *bedrock.Exception
	if !errors.As(err, &exc) || exc.Type != bedrock.ValidationException || !strings.Contains(exc.Message, "larger than the 4096 bytes allowed") {
		t.Errorf("large frame: %v", err)
	}

	// A bearer token, even the configured one, is refused for this operation.
	req, _ := http.NewRequest("POST", srv.URL+bedrock.BidirectionalStreamPath(sonicModel), strings.NewReader(""))
	req.Header.Set("Authorization", "Bearer tok")
	resp, err := h2cClient().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_, err = bedrock.ReadResponse(resp)
	resp.Body.Close()
	var ae *bedrock.APIError
	if !errors.As(err, &ae) || ae.StatusCode != 403 || ae.Name != bedrock.ErrAccessDenied {
		t.Errorf("bearer: %v", err)
	}

	// After sessionEnd, a client that neither sends the end frame nor ends its request gets
	// the end of the response within the grace period.
	c = openSonic(t, srv.URL, &sessionCreds)
	c.start()
	c.text("USER", true, "hello")
	if _, err := c.recv(completionEnd); err != nil {
		t.Fatal(err)
	}
	c.must("promptEnd", map[string]any{"promptName": c.prompt})
	start := time.Now() // before the server can read the sessionEnd and start its grace
	c.must("sessionEnd", map[string]any{})
	if _, err := c.recv(nil); err != io.EOF {
		t.Errorf("after sessionEnd: %v, want io.EOF", err)
	}
	if d := time.Since(start); d < sessionEndGrace || d > sessionEndGrace+2*time.Second {
		t.Errorf("the response ended %v after sessionEnd, want about %v", d, sessionEndGrace)
	}
}

func TestSessionOverTLS(t *testing.T) {
	srv := NewTLSServer(Config{Credentials: []sigv4.Credentials{sessionCreds}})
	defer srv.Close()
	s, err := bedrock.OpenSession(context.Background(), bedrock.SessionConfig{
		HTTPClient: srv.Client(), Endpoint: srv.URL, ModelID: "amazon.nova-2-sonic-v1:0", Credentials: &sessionCreds,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	c := &sonic{t: t, s: s, prompt: "p"}
	c.start()
	c.text("USER", true, "over TLS")
	events, err := c.recv(completionEnd)
	if err != nil {
		t.Fatal(err)
	}
	if tr := summarize(t, events); tr.final != "over TLS" || s.Response().Proto != "HTTP/2.0" {
		t.Errorf("final %q over %s", tr.final, s.Response().Proto)
	}
	c.end()
	if _, err := c.recv(nil); err != io.EOF {
		t.Errorf("end: %v", err)
	}
}

func TestSessionTurnFaults(t *testing.T) {
	t.Parallel() // waits on timers, not on the CPU
	sc, err := ParseScenario([]byte(`{"rules":[
		{"model":"amazon.nova-2-sonic-*","transcript":"Book a flight to Rome.","reply":"Which day?","mock":"interrupt after=2"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	srv := NewServer(Config{Scenario: sc})
	defer srv.Close()

	// delay= waits before the turn's first event, chunk-delay= between its events.
	c := openSonic(t, srv.URL, nil)
	c.start()
	start := time.Now()
	c.text("USER", true, "slow [[mock delay=1s chunk-delay=10ms]]")
	events, err := c.recv(completionEnd)
	if d := time.Since(start); err != nil || d < time.Second+time.Duration(len(events)-1)*10*time.Millisecond {
		t.Errorf("%d events in %v: %v", len(events), d, err)
	}
	// The next turn has no delay.
	start = time.Now()
	c.text("USER", true, "quick")
	if _, err := c.recv(completionEnd); err != nil || time.Since(start) >= time.Second {
		t.Errorf("second turn in %v: %v", time.Since(start), err)
	}

	// corrupt: a frame with a bad CRC; truncate: half a frame, then the stream is reset.
	for directive, check := range map[string]func(error) bool{
		"corrupt after=2":  func(err error) bool { return errors.Is(err, eventstream.ErrChecksum) },
		"truncate after=2": func(err error) bool { return err != nil && !errors.Is(err, io.EOF) },
	} {
		c := openSonic(t, srv.URL, nil)
		c.lenient = true
		c.start()
		c.text("USER", true, "hello [[mock "+directive+"]]")
		events, err := c.recv(nil)
		if len(events) != 2 || !check(err) {
			t.Errorf("%s: %d events, then %v", directive, len(events), err)
		}
	}

	// A scenario rule gives the transcript of audio turns on the Nova 2 model, its reply and
	// its faults.
	s, err := bedrock.OpenSession(context.Background(), bedrock.SessionConfig{HTTPClient: h2cClient(), Endpoint: srv.URL, ModelID: "amazon.nova-2-sonic-v1:0"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	c = &sonic{t: t, s: s, prompt: "p"}
	c.start()
	c.audio(make([]byte, 20000))
	if events, err = c.recv(completionEnd); err != nil {
		t.Fatal(err)
	}
	if tr := summarize(t, events); tr.transcript != "Book a flight to Rome." || tr.speculative != "Which day?" || tr.audioFrames != 2 || tr.stops["AUDIO/ASSISTANT"] != "INTERRUPTED" {
		t.Errorf("scenario audio turn: transcript %q, reply %q, %d frames, stops %v", tr.transcript, tr.speculative, tr.audioFrames, tr.stops)
	}
}

// TestSessionWriteTimeout checks that a session whose client stops reading ends when a
// write has made no progress for the write timeout, and that a session silent for longer
// than that is not cut.
func TestSessionWriteTimeout(t *testing.T) {
	t.Parallel() // waits on timers, not on the CPU
	logs := make(chan LogEntry, 2)
	srv := NewServer(Config{WriteTimeout: 500 * time.Millisecond, Log: func(e LogEntry) { logs <- e }})
	defer srv.Close()

	// The client's transport takes 64 KiB of the response unread (4 MiB by default), so
	// that a small echo stalls the server's writes: the session's end then waits on the
	// write timeout, not on how fast the server encodes megabytes of audio.
	var p http.Protocols
	p.SetUnencryptedHTTP2(true)
	hc := &http.Client{Transport: &http.Transport{Protocols: &p, HTTP2: &http.HTTP2Config{MaxReceiveBufferPerStream: 64 << 10}}}
	s, err := bedrock.OpenSession(context.Background(), bedrock.SessionConfig{HTTPClient: hc, Endpoint: srv.URL, ModelID: sonicModel})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	c := &sonic{t: t, s: s, prompt: "p"}

	// Quiet for twice the write timeout between turns: still served.
	c.start()
	time.Sleep(time.Second)
	c.text("USER", true, "still here")
	if _, err := c.recv(completionEnd); err != nil {
		t.Fatalf("after a quiet spell: %v", err)
	}

	// An echo of 1 MiB of audio (1.4 MB of events) to a client that reads none of it: many
	// times what the HTTP/2 flow-control window lets through.
	c.lenient = true
	name := c.contentName()
	c.must("contentStart", map[string]any{"promptName": c.prompt, "contentName": name, "type": "AUDIO",
		"interactive": true, "role": "USER", "audioInputConfiguration": map[string]any{"sampleRateHertz": 16000}})
	piece := base64.StdEncoding.EncodeToString(make([]byte, 512<<10))
	for range 2 {
		c.must("audioInput", map[string]any{"promptName": c.prompt, "contentName": name, "content": piece})
	}
	start := time.Now()
	c.must("contentEnd", map[string]any{"promptName": c.prompt, "contentName": name})
	select {
	case e := <-logs:
		if e.End != "client gone" || time.Since(start) > 3*time.Second {
			t.Errorf("ended %q after %v", e.End, time.Since(start))
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the session of a client that stopped reading is still running")
	}
}
