package bedrocktest

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/framewire/eventstream/bedrock"
)

// DefaultAudioTranscript is the transcript of a user's audio turn when no scenario rule
// gives one (see [Rule.Transcript]).
const DefaultAudioTranscript = "Hello, this is the user speaking."

// audioFrame is the duration of the audio in one audioOutput event.
const audioFrame = 40 * time.Millisecond

// interruptedText is the textOutput content that announces a barge-in.
const interruptedText = `{ "interrupted" : true }`

// errStatusSent ends a session answered with an HTTP error before its stream.
var errStatusSent = errors.New("injected status")

// turnPlan is the answer to one user turn.
type turnPlan struct {
	prompt       *sonicPrompt
	completionID string
	transcript   string // the user's words, as the USER FINAL block gives them
	reply        string // the assistant's words
	audio        []byte // the audio to send back; nil sends a tone
	inSpeech     int    // input speech tokens
	faults       Faults
}

// textTurn answers an interactive USER textInput.
func (s *session) textTurn(p *sonicPrompt, text string) error {
	words, faults, err := ParseDirectives(text)
	if err != nil {
		return invalid("%s", err.Error())
	}
	return s.turn(p, words, nil, 0, faults)
}

// audioTurn answers the end of a USER audio block.
func (s *session) audioTurn(p *sonicPrompt, audio []byte, inputRate int) error {
	transcript := DefaultAudioTranscript
	if sc := s.h.cfg.Scenario; sc != nil {
		for _, r := range sc.Rules {
			if r.Transcript != "" && globMatch(r.Model, s.model) {
				transcript = r.Transcript
				break
			}
		}
	}
	speech := 0
	if inputRate > 0 {
		speech = speechTokens(len(audio), inputRate)
	}
	return s.turn(p, transcript, audio, speech, noFaults())
}

// turn plans and sends the answer to a user turn that said words.
func (s *session) turn(p *sonicPrompt, words string, audio []byte, inSpeech int, faults Faults) error {
	rule, ruleFaults, err := s.h.cfg.Scenario.match(s.model, words, nil)
	if err != nil {
		return invalid("%s", err.Error())
	}
	faults = ruleFaults.merge(faults)
	t := &turnPlan{prompt: p, transcript: words, reply: words, audio: audio, inSpeech: inSpeech, faults: faults}
	if rule != nil && rule.Reply != "" {
		t.reply = rule.Reply
	}
	if ae := checkException(bedrock.OpInvokeWithBidirectionalStream, faults.Exception); ae != nil {
		return invalid("%s", ae.Message)
	}
	if faults.Status != 0 || faults.Error != "" {
		if s.begun {
			return invalid("The status= and error= directives apply before the stream, on the session's first turn.")
		}
		n, counted := sdkAttempt(s.x.r.Header.Get("Amz-Sdk-Request"))
		if !counted && faults.FailAttempts > 0 {
			// As for the other operations, the server counts the attempts of a client that
			// does not: a session's first turn stands for its body.
			key := attemptKeyOf(string(bedrock.OpInvokeWithBidirectionalStream), s.model, []byte(words))
			n = s.h.attempts.next(key, s.h.now())
			if n > faults.FailAttempts {
				s.h.attempts.done(key)
			}
		}
		if faults.FailAttempts == 0 || n <= faults.FailAttempts {
			if !sleep(s.ctx, faults.Delay) {
				return errClientGone
			}
			s.begun = true
			s.x.fail(injectedError(faults))
			return errStatusSent
		}
	}
	s.completion++
	t.completionID = newRequestID()
	events := [][]byte{s.event("completionStart", t)}
	events = s.textBlock(events, t, "USER", "FINAL", t.transcript, "END_TURN")
	if faults.Tool != "" {
		var tool *toolSpec
		for i := range p.tools {
			if p.tools[i].Name == faults.Tool || faults.Tool == "*" && tool == nil {
				tool = &p.tools[i]
			}
		}
		if tool == nil {
			return invalid("The directive tool=%s names no tool of the toolConfiguration of prompt %q.", faults.Tool, p.name)
		}
		schema := []byte(tool.InputSchema.JSON)
		if len(schema) == 0 {
			schema = []byte("{}")
		}
		input, err := rule.toolInput(schema)
		if err != nil {
			return invalid("The inputSchema of tool %q: %v", tool.Name, err)
		}
		id := newRequestID()
		contentID := newRequestID()
		events = append(events,
			s.event("contentStart", t, kv{"contentId", contentID}, kv{"type", "TOOL"}, kv{"role", "TOOL"},
				kv{"toolUseOutputConfiguration", map[string]string{"mediaType": "application/json"}}),
			s.event("toolUse", t, kv{"contentId", contentID}, kv{"content", string(input)}, kv{"toolName", tool.Name}, kv{"toolUseId", id}),
			s.event("contentEnd", t, kv{"contentId", contentID}, kv{"stopReason", "TOOL_USE"}, kv{"type", "TOOL"}))
		if err := s.emit(events, faults); err != nil {
			return err
		}
		s.pending = &pendingTool{id: id, prompt: p, turn: t}
		return nil
	}
	return s.emit(s.answer(events, t), faults)
}

// toolAnswer speaks the result of a tool, once its TOOL block has ended.
func (s *session) toolAnswer(pt *pendingTool, result string) error {
	t := pt.turn
	t.reply = result
	f := noFaults()
	f.ChunkDelay = t.faults.ChunkDelay
	f.InterruptAfter = t.faults.InterruptAfter
	t.faults = f
	return s.emit(s.answer(nil, t), f)
}

// answer appends the assistant's part of a turn: its planned text, the audio, the text as
// spoken, the usage and the end of the completion.
func (s *session) answer(events [][]byte, t *turnPlan) [][]byte {
	events = s.textBlock(events, t, "ASSISTANT", "SPECULATIVE", t.reply, "PARTIAL_TURN")
	audio := t.audio
	if audio == nil {
		audio = tone(t.prompt.audio.SampleRateHertz, t.reply)
	}
	a := t.prompt.audio
	frameLen := int(int64(a.SampleRateHertz) * int64(audioFrame) / int64(time.Second) * 2)
	frameLen = max(frameLen, 2)
	contentID := newRequestID()
	events = append(events, s.event("contentStart", t, kv{"contentId", contentID}, kv{"type", "AUDIO"}, kv{"role", "ASSISTANT"},
		kv{"audioOutputConfiguration", a}))
	stop := "END_TURN"
	sent := 0
	for i := 0; sent < len(audio); i++ {
		if t.faults.InterruptAfter >= 0 && i == t.faults.InterruptAfter {
			stop = "INTERRUPTED"
			break
		}
		n := min(frameLen, len(audio)-sent)
		events = append(events, s.event("audioOutput", t, kv{"contentId", contentID},
			kv{"content", base64.StdEncoding.EncodeToString(audio[sent : sent+n])}))
		sent += n
	}
	events = append(events, s.event("contentEnd", t, kv{"contentId", contentID}, kv{"stopReason", stop}, kv{"type", "AUDIO"}))
	if stop == "INTERRUPTED" {
		events = s.textBlock(events, t, "ASSISTANT", "FINAL", interruptedText, "INTERRUPTED")
	} else {
		events = s.textBlock(events, t, "ASSISTANT", "FINAL", t.reply, "END_TURN")
	}
	in := sonicTokens{speech: t.inSpeech}
	if t.audio == nil {
		in.text = tokens(t.transcript)
	}
	out := sonicTokens{speech: speechTokens(sent, a.SampleRateHertz), text: tokens(t.reply)}
	s.usage.in.add(in)
	s.usage.out.add(out)
	events = append(events, s.event("usageEvent", t,
		kv{"details", map[string]any{
			"delta": map[string]any{"input": in, "output": out},
			"total": map[string]any{"input": s.usage.in, "output": s.usage.out},
		}},
		kv{"totalInputTokens", s.usage.in.total()},
		kv{"totalOutputTokens", s.usage.out.total()},
		kv{"totalTokens", s.usage.in.total() + s.usage.out.total()}))
	return append(events, s.event("completionEnd", t, kv{"stopReason", stop}))
}

// textBlock appends a TEXT block of one textOutput.
func (s *session) textBlock(events [][]byte, t *turnPlan, role, stage, text, stop string) [][]byte {
	id := newRequestID()
	return append(events,
		s.event("contentStart", t, kv{"additionalModelFields", `{"generationStage":"` + stage + `"}`},
			kv{"contentId", id}, kv{"type", "TEXT"}, kv{"role", role},
			kv{"textOutputConfiguration", map[string]string{"mediaType": "text/plain"}}),
		s.event("textOutput", t, kv{"contentId", id}, kv{"content", text}, kv{"role", role}),
		s.event("contentEnd", t, kv{"contentId", id}, kv{"stopReason", stop}, kv{"type", "TEXT"}))
}

// kv is one member of an output event, in order.
type kv struct {
	k string
	v any
}

// event returns the Nova JSON of an output event: {"event":{name:{sessionId, promptName,
// completionId, members...}}}.
func (s *session) event(name string, t *turnPlan, members ...kv) []byte {
	b := make([]byte, 0, 256)
	b = append(b, `{"event":{"`...)
	b = append(b, name...)
	b = append(b, `":{"sessionId":`...)
	b = appendJSON(b, s.id)
	b = append(b, `,"promptName":`...)
	b = appendJSON(b, t.prompt.name)
	b = append(b, `,"completionId":`...)
	b = appendJSON(b, t.completionID)
	for _, m := range members {
		b = append(b, ',')
		b = appendJSON(b, m.k)
		b = append(b, ':')
		b = appendJSON(b, m.v)
	}
	return append(b, "}}}"...)
}

func appendJSON(b []byte, v any) []byte {
	j, err := json.Marshal(v)
	if err != nil {
		panic(err) // the server's own values always marshal
	}
	return append(b, j...)
}

// emit sends the events of a turn with its faults: a delay before the first, chunk-delay
// between them, a damaged or cut frame, or an exception after some of them.
func (s *session) emit(events [][]byte, f Faults) error {
	if !s.begin() {
		return errClientGone
	}
	total := len(events)
	limit := total
	if f.Exception != "" {
		limit = min(f.ExceptionAfter, total)
		total = limit + 1
	}
	s.fw.corruptAt, s.fw.truncateAt = -1, -1
	if i := clampFault(f.CorruptAfter, total); i >= 0 {
		s.fw.corruptAt = s.fw.frames + i
	}
	if i := clampFault(f.TruncateAfter, total); i >= 0 {
		s.fw.truncateAt = s.fw.frames + i
	}
	if !sleep(s.ctx, f.Delay) {
		return errClientGone
	}
	for i, e := range events[:limit] {
		if i > 0 && !sleep(s.ctx, f.ChunkDelay) {
			return errClientGone
		}
		if err := s.out.WriteChunk(e); err != nil {
			return s.writeError(err)
		}
	}
	if f.Exception != "" {
		e := exceptionFor(f)
		return &sessionFail{member: e.Type, message: e.Message, exc: e}
	}
	return nil
}

// sessionWriter gives each output frame the server's write timeout to make progress
// ([Config.WriteTimeout]), then puts back the session's own deadline: over HTTP/2 a write
// deadline that passes resets the stream even when nothing is being written, and a session
// may be silent for long.
type sessionWriter struct{ s *session }

func (w sessionWriter) Write(p []byte) (int, error) {
	s := w.s
	end := s.deadline.Add(finalWriteTimeout)
	d := time.Now().Add(s.x.wt)
	if d.After(end) {
		d = end
	}
	s.rc.SetWriteDeadline(d)
	n, err := s.fw.Write(p)
	s.rc.SetWriteDeadline(end)
	return n, err
}

func (s *session) writeError(err error) error {
	if errors.Is(err, errTruncated) {
		return err
	}
	return errClientGone
}

// sonicTokens counts tokens of one direction.
type sonicTokens struct {
	speech, text int
}

func (t *sonicTokens) add(o sonicTokens) { t.speech += o.speech; t.text += o.text }
func (t sonicTokens) total() int         { return t.speech + t.text }

func (t sonicTokens) MarshalJSON() ([]byte, error) {
	return []byte(`{"speechTokens":` + strconv.Itoa(t.speech) + `,"textTokens":` + strconv.Itoa(t.text) + `}`), nil
}

type sonicUsage struct{ in, out sonicTokens }

// speechTokens estimates the speech tokens of 16-bit mono audio: one per 40 ms.
func speechTokens(n, rate int) int {
	if rate <= 0 || n == 0 {
		return 0
	}
	ms := int64(n/2) * 1000 / int64(rate)
	return int(max(1, ms/40))
}

// tone is the audio of a text turn: 440 Hz, 16-bit little-endian mono at rate, 60 ms a
// word, from 300 ms to 3 s.
func tone(rate int, text string) []byte {
	d := time.Duration(len(strings.Fields(text))) * 60 * time.Millisecond
	d = min(max(d, 300*time.Millisecond), 3*time.Second)
	n := int(int64(rate) * int64(d) / int64(time.Second))
	b := make([]byte, 2*n)
	for i := range n {
		v := int16(6000 * math.Sin(2*math.Pi*440*float64(i)/float64(rate)))
		b[2*i] = byte(v)
		b[2*i+1] = byte(uint16(v) >> 8)
	}
	return b
}
