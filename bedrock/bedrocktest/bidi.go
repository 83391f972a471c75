package bedrocktest

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/framewire/eventstream"
	"github.com/framewire/eventstream/bedrock"
	"github.com/framewire/eventstream/sigv4"
)

// bidiSegment is the last path segment of the operation.
const bidiSegment = "invoke-with-bidirectional-stream"

// Limits of a voice session (see [Config]).
const (
	// DefaultSessionTimeout is how long a session may last: the service closes its streams
	// after 8 minutes.
	DefaultSessionTimeout = 8 * time.Minute
	// DefaultSessionIdleTimeout is how long a session waits for the next input frame.
	DefaultSessionIdleTimeout = time.Minute
	// DefaultMaxInputFrame is the largest input frame a session reads, in bytes: a signed
	// outer frame around a chunk whose "bytes" hold the API's largest part (1,000,000 bytes,
	// 1,333,336 in base64), with room for the headers.
	DefaultMaxInputFrame = 1_400_000
	// maxPartBytes is the API's limit on a chunk's decoded "bytes" (PartBody).
	maxPartBytes = 1_000_000
	// maxTurnAudio bounds the audio of one user turn that the echo keeps: 8 minutes of
	// 16 kHz 16-bit mono is 15,360,000 bytes.
	maxTurnAudio = 16 << 20 // across the audio blocks open at once
	// Bounds on what a session tracks, so that its memory does not grow with its length:
	// names, prompts open at once, content blocks open at once and ever opened.
	maxNameLen      = 256
	maxOpenPrompts  = 16
	maxOpenContents = 16
	maxContents     = 10_000
	// sessionEndGrace is how long a session waits, after sessionEnd, for the end frame or
	// the end of the request before it ends its response.
	sessionEndGrace = 2 * time.Second
	// finalWriteTimeout bounds the writing of a session's last frame.
	finalWriteTimeout = 5 * time.Second
)

// Messages of the validationException that ends a session.
const (
	// msgInvalidInput is the service's answer to a stream that ends before sessionEnd
	// without the end frame.
	msgInvalidInput = "Invalid input request, please fix your input and try again."
	// msgIdle ends a session when no input arrives in time (the mock's choice: the
	// service's own message is not documented).
	msgIdle = "Timed out waiting for input events"
)

// sonicModels are the model IDs that serve the operation.
var sonicModels = map[string]bool{
	"amazon.nova-sonic-v1:0":   true,
	"amazon.nova-2-sonic-v1:0": true,
}

// isSonicModel reports whether modelID names a Nova Sonic model, as an ID or a foundation
// model ARN.
func isSonicModel(modelID string) bool {
	if i := strings.LastIndex(modelID, ":foundation-model/"); i >= 0 && strings.HasPrefix(modelID, "arn:") {
		modelID = modelID[i+len(":foundation-model/"):]
	}
	return sonicModels[modelID]
}

// sessionFail is a reason to end a session with an exception frame.
type sessionFail struct {
	member  string // exception member, e.g. "validationException"
	message string
	exc     *bedrock.Exception // the exception to send, when it has more than a message
}

func (e *sessionFail) Error() string { return e.member + ": " + e.message }

func invalid(format string, args ...any) *sessionFail {
	return &sessionFail{member: bedrock.ValidationException, message: fmt.Sprintf(format, args...)}
}

// Reasons a session's input ended without an exception.
var (
	errEndFrame   = errors.New("end frame")
	errClientGone = errors.New("client gone")
)

// serveSession answers InvokeModelWithBidirectionalStream.
func (h *handler) serveSession(x *exchange, model string) {
	x.log.Operation = string(bedrock.OpInvokeWithBidirectionalStream)
	x.log.Model = model
	r := x.r
	if r.ProtoMajor < 2 {
		// The response streams while the request does, which HTTP/1.1 cannot carry: refuse
		// before reading the body, and close the connection rather than drain it.
		x.w.Header().Set("Connection", "close")
		x.fail(bedrock.NewAPIError(bedrock.ErrValidation, "InvokeModelWithBidirectionalStream requires HTTP/2; the request used "+r.Proto+"."))
		x.log.End = "refused: " + r.Proto
		return
	}
	if !isSonicModel(model) {
		x.fail(bedrock.NewAPIError(bedrock.ErrValidation, "The model "+quoteModel(model)+" does not support InvokeModelWithBidirectionalStream; use amazon.nova-sonic-v1:0 or amazon.nova-2-sonic-v1:0."))
		x.log.End = "refused: model"
		return
	}
	ver, ae := h.authorizeSession(r)
	if ae != nil {
		x.fail(ae)
		x.log.End = "refused: " + ae.Name
		return
	}
	h.record(x) // in the journal while it runs
	s := newSession(h, x, model, ver)
	s.run()
}

func quoteModel(m string) string {
	if len(m) > 64 {
		m = m[:64] + "..."
	}
	return "'" + m + "'"
}

// session is the state of one voice session.
type session struct {
	h     *handler
	x     *exchange
	ctx   context.Context
	rc    *http.ResponseController
	model string

	dec      *eventstream.Decoder
	ver      *sigv4.Verifier // nil without credentials
	outer    eventstream.Frame
	inner    eventstream.Frame
	chunk    struct{ Bytes []byte }
	deadline time.Time
	idle     time.Duration

	fw    *frameWriter
	out   *bedrock.Writer
	begun bool // the response headers are out

	id         string // sessionId
	started    bool   // sessionStart seen
	ended      bool   // sessionEnd seen
	prompts    map[string]*sonicPrompt
	open       map[string]*sonicContent // by promptName + "\x00" + contentName
	used       map[string]bool          // content names ever opened, same keys
	pending    *pendingTool             // a toolUse waiting for its result
	audioHeld  int                      // bytes of audio in open blocks
	turns      int
	framesIn   int
	usage      sonicUsage
	completion int
}

// sonicPrompt is a prompt opened by promptStart.
type sonicPrompt struct {
	name  string
	audio audioConfig
	tools []toolSpec
	ended bool
}

// sonicContent is an open content block.
type sonicContent struct {
	prompt      *sonicPrompt
	name        string
	typ, role   string
	interactive bool
	toolUseID   string
	text        strings.Builder
	audio       []byte
	inputRate   int // audioInputConfiguration's sampleRateHertz
}

// pendingTool is a toolUse the server sent, waiting for the client's toolResult.
type pendingTool struct {
	id     string
	prompt *sonicPrompt
	turn   *turnPlan
}

type audioConfig struct {
	MediaType       string `json:"mediaType"`
	SampleRateHertz int    `json:"sampleRateHertz"`
	SampleSizeBits  int    `json:"sampleSizeBits"`
	ChannelCount    int    `json:"channelCount"`
	VoiceID         string `json:"voiceId,omitempty"`
	Encoding        string `json:"encoding"`
	AudioType       string `json:"audioType,omitempty"`
}

type toolSpec struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	InputSchema struct {
		JSON string `json:"json"`
	} `json:"inputSchema"`
}

// sonicInput holds the members of every input event that the server reads.
type sonicInput struct {
	PromptName                   string       `json:"promptName"`
	ContentName                  string       `json:"contentName"`
	Type                         string       `json:"type"`
	Role                         string       `json:"role"`
	Interactive                  *bool        `json:"interactive"`
	Content                      *string      `json:"content"`
	AudioOutputConfiguration     *audioConfig `json:"audioOutputConfiguration"`
	AudioInputConfiguration      *audioConfig `json:"audioInputConfiguration"`
	ToolResultInputConfiguration *struct {
		ToolUseID string `json:"toolUseId"`
	} `json:"toolResultInputConfiguration"`
	ToolConfiguration *struct {
		Tools []struct {
			ToolSpec *toolSpec `json:"toolSpec"`
		} `json:"tools"`
	} `json:"toolConfiguration"`
}

func newSession(h *handler, x *exchange, model string, ver *sigv4.Verifier) *session {
	cfg := &h.cfg
	timeout := cfg.SessionTimeout
	if timeout <= 0 {
		timeout = DefaultSessionTimeout
	}
	idle := cfg.SessionIdleTimeout
	if idle <= 0 {
		idle = DefaultSessionIdleTimeout
	}
	maxFrame := cfg.MaxInputFrame
	if maxFrame <= 0 {
		maxFrame = DefaultMaxInputFrame
	}
	s := &session{
		h:        h,
		x:        x,
		ctx:      x.r.Context(),
		rc:       http.NewResponseController(x.w),
		model:    model,
		dec:      eventstream.NewDecoder(x.r.Body),
		ver:      ver,
		deadline: x.start.Add(timeout),
		idle:     idle,
		id:       newRequestID(),
		prompts:  map[string]*sonicPrompt{},
		open:     map[string]*sonicContent{},
		used:     map[string]bool{},
	}
	s.dec.MaxFrameLen = int64(maxFrame)
	s.fw = &frameWriter{w: x.w, rc: s.rc, ctx: s.ctx, corruptAt: -1, truncateAt: -1}
	x.fw = s.fw
	s.out = bedrock.NewWriter(sessionWriter{s})
	// A client that stops reading cannot hold the session past its end. (Over HTTP/2 the
	// deadline resets the stream when it passes, even with no write pending: it leaves
	// time for the last frame.)
	s.rc.SetWriteDeadline(s.deadline.Add(finalWriteTimeout))
	return s
}

// run reads input events until the session ends, and answers each user turn.
func (s *session) run() {
	defer func() {
		s.x.log.Turns = s.turns
		s.x.log.FramesIn = s.framesIn
	}()
	for {
		ev, err := s.next()
		if err == nil {
			err = s.handle(ev)
		}
		if err == nil {
			continue
		}
		s.finish(err)
		return
	}
}

// finish ends the session for err: an exception frame for a *sessionFail, nothing for a
// clean end.
func (s *session) finish(err error) {
	var f *sessionFail
	switch {
	case errors.As(err, &f):
		s.x.log.End = f.member + ": " + f.message
		s.x.faults.Exception = f.member
		e := f.exc
		if e == nil {
			e = &bedrock.Exception{Type: f.member, Message: f.message}
		}
		if s.begin() {
			s.out.WriteException(e)
		}
	case err == errEndFrame:
		s.x.log.End = "end frame"
		s.begin()
	case err == errStatusSent:
		s.x.log.End = "injected status"
	case err == errClientGone:
		s.x.log.End = "client gone"
	case errors.Is(err, errTruncated):
		s.x.log.End = "truncated"
		panic(http.ErrAbortHandler)
	default:
		s.x.log.End = err.Error()
		s.begin()
	}
}

// begin sends the response headers once, and reports whether the response can carry
// frames. They wait for the first output so that a status= fault on the first turn can
// still answer with an HTTP error, as on the other operations.
func (s *session) begin() bool {
	if s.begun {
		return s.x.log.Status == http.StatusOK
	}
	s.begun = true
	s.x.w.Header().Set("Content-Type", bedrock.ContentType)
	s.x.log.Status = http.StatusOK
	s.x.w.WriteHeader(http.StatusOK)
	s.rc.Flush()
	return true
}

// next reads the next input event and returns its Nova JSON (the chunk's decoded "bytes").
func (s *session) next() ([]byte, error) {
	now := time.Now()
	wait := min(s.idle, s.deadline.Sub(now))
	if s.ended {
		wait = min(wait, sessionEndGrace)
	}
	if wait <= 0 {
		return nil, s.timeout(now)
	}
	s.rc.SetReadDeadline(now.Add(wait))
	err := s.dec.Decode(&s.outer)
	if err != nil {
		return nil, s.readError(err)
	}
	s.framesIn++
	inner := &s.outer
	if s.ver != nil || isSigned(&s.outer) {
		payload := s.outer.Payload
		if s.ver != nil {
			if payload, err = s.ver.Verify(&s.outer); err != nil {
				return nil, signatureFail(err)
			}
		}
		if len(payload) == 0 {
			return nil, errEndFrame
		}
		if _, err := eventstream.DecodeFrame(payload, &s.inner); err != nil {
			return nil, invalid("Input frame %d carries a malformed event: %v", s.framesIn, err)
		}
		inner = &s.inner
	}
	if s.ended {
		return nil, invalid("Input event after sessionEnd (frame %d); only the end frame may follow it.", s.framesIn)
	}
	if mt, _ := inner.Header(":message-type"); mt.String() != "event" {
		return nil, invalid("Input frame %d is not an event (:message-type %q).", s.framesIn, mt.String())
	}
	if et, _ := inner.Header(":event-type"); et.String() != "chunk" {
		return nil, invalid("Input frame %d has :event-type %q; the input stream carries chunk events only.", s.framesIn, et.String())
	}
	s.chunk.Bytes = s.chunk.Bytes[:0]
	if err := json.Unmarshal(inner.Payload, &s.chunk); err != nil {
		return nil, invalid("Input frame %d: the chunk is not {\"bytes\":\"<base64>\"}: %v", s.framesIn, err)
	}
	if len(s.chunk.Bytes) > maxPartBytes {
		return nil, invalid("1 validation error detected: Value at 'body.chunk.member.bytes' failed to satisfy constraint: Member must have length less than or equal to %d", maxPartBytes)
	}
	return s.chunk.Bytes, nil
}

// isSigned reports whether f is a signed outer frame: exactly the two signing headers.
func isSigned(f *eventstream.Frame) bool {
	if len(f.Headers) != 2 {
		return false
	}
	_, d := f.Header(sigv4.DateHeader)
	_, c := f.Header(sigv4.SignatureHeader)
	return d && c
}

func signatureFail(err error) *sessionFail {
	var e *sigv4.Error
	if !errors.As(err, &e) {
		return invalid("Input event signature: %v", err)
	}
	what := "the signature does not match: the frame was changed, reordered, replayed or dropped, or signed with other credentials"
	switch {
	case errors.Is(err, sigv4.ErrClockSkew):
		what = "its :date is outside the allowed window of " + sigv4.MaxRequestSkew.String() + " around the server's clock"
	case errors.Is(err, sigv4.ErrDateBackwards):
		what = "its :date goes backwards"
	case errors.Is(err, sigv4.ErrMissingHeader), errors.Is(err, sigv4.ErrHeaderType), errors.Is(err, sigv4.ErrUnexpectedHeader):
		what = "it is not a signed frame (" + strings.TrimPrefix(e.Error(), "sigv4: ") + ")"
	}
	return invalid("Input frame %d was refused: %s.", e.Frame+1, what)
}

// readError turns the error of reading the input into the session's end.
func (s *session) readError(err error) error {
	now := time.Now()
	var ee *eventstream.Error
	switch {
	case err == io.EOF || err == io.ErrUnexpectedEOF:
		if s.ended {
			// The Go SDK's Close often ends the request before the end frame leaves.
			return errors.New("request ended after sessionEnd")
		}
		return invalid(msgInvalidInput)
	case errors.Is(err, os.ErrDeadlineExceeded):
		if s.ended {
			return errors.New("no end frame after sessionEnd")
		}
		return s.timeout(now)
	case errors.As(err, &ee) && errors.Is(err, eventstream.ErrTooLarge):
		return invalid("Input frame %d is larger than the %d bytes allowed: %v", s.framesIn+1, s.dec.MaxFrameLen, err)
	case errors.As(err, &ee):
		return invalid("Input frame %d is malformed: %v", s.framesIn+1, err)
	case s.ctx.Err() != nil:
		return errClientGone
	}
	// The client reset the stream, or the connection broke.
	return errClientGone
}

func (s *session) timeout(now time.Time) error {
	if !now.Before(s.deadline) {
		return &sessionFail{member: bedrock.ModelTimeoutException, message: "The session reached its maximum duration of " + s.deadline.Sub(s.x.start).Round(time.Second).String() + "."}
	}
	return invalid(msgIdle)
}

// handle acts on one input event.
func (s *session) handle(raw []byte) error {
	var env struct {
		Event map[string]json.RawMessage `json:"event"`
	}
	if err := json.Unmarshal(raw, &env); err != nil {
		return invalid("Input event %d is not JSON of the form {\"event\":{\"<name>\":{...}}}: %v", s.framesIn, err)
	}
	if len(env.Event) != 1 {
		return invalid("Input event %d must hold exactly one event in \"event\", not %d.", s.framesIn, len(env.Event))
	}
	var name string
	var body json.RawMessage
	for name, body = range env.Event {
	}
	var in sonicInput
	if err := json.Unmarshal(body, &in); err != nil {
		return invalid("Input event %s: %v", name, err)
	}
	s.journal(name, raw)
	if name != "sessionStart" && !s.started {
		return invalid("Input event %s before sessionStart: a session starts with sessionStart.", name)
	}
	switch name {
	case "sessionStart":
		if s.started {
			return invalid("A second sessionStart: a session starts once.")
		}
		s.started = true
		return nil
	case "promptStart":
		return s.promptStart(&in)
	case "contentStart":
		return s.contentStart(&in)
	case "textInput", "audioInput", "toolResult":
		return s.contentInput(name, &in)
	case "contentEnd":
		return s.contentEnd(&in)
	case "promptEnd":
		p, err := s.prompt(name, in.PromptName)
		if err != nil {
			return err
		}
		for _, c := range s.open {
			if c.prompt == p {
				return invalid("promptEnd for prompt %q while its content %q is still open.", p.name, c.name)
			}
		}
		p.ended = true
		p.tools = nil // only its name is needed now
		return nil
	case "sessionEnd":
		s.ended = true
		return nil
	}
	return invalid("Unknown input event %q.", name)
}

// journal adds an input event to the request body the journal shows: the session's events,
// one JSON document a line, without audioInput (whose audio is not kept), up to
// MaxJournalBody and a byte more to mark the cut.
func (s *session) journal(name string, event []byte) {
	if name == "audioInput" || s.h.journal.size == 0 || len(s.x.body) > MaxJournalBody {
		return
	}
	b := append(s.x.body, event...)
	b = append(b, '\n')
	s.x.body = b[:min(len(b), MaxJournalBody+1)]
}

func (s *session) prompt(event, name string) (*sonicPrompt, error) {
	if name == "" {
		return nil, invalid("Input event %s has no promptName.", event)
	}
	p := s.prompts[name]
	if p == nil {
		return nil, invalid("Input event %s names the unknown promptName %q.", event, name)
	}
	if p.ended {
		return nil, invalid("Input event %s names the prompt %q after its promptEnd.", event, name)
	}
	return p, nil
}

func (s *session) promptStart(in *sonicInput) error {
	if in.PromptName == "" {
		return invalid("promptStart has no promptName.")
	}
	if len(in.PromptName) > maxNameLen {
		return invalid("promptStart: the promptName is longer than %d bytes.", maxNameLen)
	}
	if s.prompts[in.PromptName] != nil {
		return invalid("promptStart repeats the promptName %q.", in.PromptName)
	}
	open := 0
	for _, p := range s.prompts {
		if !p.ended {
			open++
		}
	}
	if open >= maxOpenPrompts || len(s.prompts) >= maxContents {
		return invalid("promptStart %q: too many prompts; end one with promptEnd first.", in.PromptName)
	}
	a := in.AudioOutputConfiguration
	if a == nil {
		return invalid("promptStart %q has no audioOutputConfiguration.", in.PromptName)
	}
	switch {
	case a.MediaType != "audio/lpcm":
		return invalid("audioOutputConfiguration.mediaType %q: want audio/lpcm.", a.MediaType)
	case a.SampleRateHertz != 8000 && a.SampleRateHertz != 16000 && a.SampleRateHertz != 24000:
		return invalid("audioOutputConfiguration.sampleRateHertz %d: want 8000, 16000 or 24000.", a.SampleRateHertz)
	case a.SampleSizeBits != 16:
		return invalid("audioOutputConfiguration.sampleSizeBits %d: want 16.", a.SampleSizeBits)
	case a.ChannelCount != 1:
		return invalid("audioOutputConfiguration.channelCount %d: want 1.", a.ChannelCount)
	case a.Encoding != "base64":
		return invalid("audioOutputConfiguration.encoding %q: want base64.", a.Encoding)
	}
	p := &sonicPrompt{name: in.PromptName, audio: *a}
	if in.ToolConfiguration != nil {
		for i, t := range in.ToolConfiguration.Tools {
			if t.ToolSpec == nil || t.ToolSpec.Name == "" {
				return invalid("promptStart %q: tool %d has no toolSpec.name.", in.PromptName, i+1)
			}
			if t.ToolSpec.InputSchema.JSON != "" && !json.Valid([]byte(t.ToolSpec.InputSchema.JSON)) {
				return invalid("promptStart %q: the inputSchema of tool %q is not JSON.", in.PromptName, t.ToolSpec.Name)
			}
			p.tools = append(p.tools, *t.ToolSpec)
		}
	}
	s.prompts[p.name] = p
	return nil
}

var (
	contentTypes = map[string]bool{"TEXT": true, "AUDIO": true, "TOOL": true}
	contentRoles = map[string]bool{"SYSTEM": true, "USER": true, "ASSISTANT": true, "TOOL": true, "SYSTEM_SPEECH": true}
)

func (s *session) contentStart(in *sonicInput) error {
	p, err := s.prompt("contentStart", in.PromptName)
	if err != nil {
		return err
	}
	if in.ContentName == "" {
		return invalid("contentStart has no contentName.")
	}
	key := p.name + "\x00" + in.ContentName
	if s.used[key] {
		return invalid("contentStart repeats the contentName %q.", in.ContentName)
	}
	if !contentTypes[in.Type] {
		return invalid("contentStart %q: type %q, want TEXT, AUDIO or TOOL.", in.ContentName, in.Type)
	}
	if !contentRoles[in.Role] {
		return invalid("contentStart %q: role %q, want SYSTEM, USER, ASSISTANT, TOOL or SYSTEM_SPEECH.", in.ContentName, in.Role)
	}
	if len(in.ContentName) > maxNameLen {
		return invalid("contentStart: the contentName is longer than %d bytes.", maxNameLen)
	}
	if len(s.open) >= maxOpenContents || len(s.used) >= maxContents {
		return invalid("contentStart %q: too many content blocks (%d open, %d in the session).", in.ContentName, len(s.open), len(s.used))
	}
	c := &sonicContent{prompt: p, name: in.ContentName, typ: in.Type, role: in.Role, interactive: in.Interactive != nil && *in.Interactive}
	switch in.Type {
	case "AUDIO":
		if in.AudioInputConfiguration == nil {
			return invalid("contentStart %q: an AUDIO block needs audioInputConfiguration.", in.ContentName)
		}
		c.inputRate = in.AudioInputConfiguration.SampleRateHertz
	case "TOOL":
		if in.ToolResultInputConfiguration == nil || in.ToolResultInputConfiguration.ToolUseID == "" {
			return invalid("contentStart %q: a TOOL block needs toolResultInputConfiguration.toolUseId.", in.ContentName)
		}
		c.toolUseID = in.ToolResultInputConfiguration.ToolUseID
		if s.pending == nil || s.pending.id != c.toolUseID {
			return invalid("contentStart %q: toolUseId %q answers no pending toolUse.", in.ContentName, c.toolUseID)
		}
	}
	s.used[key] = true
	s.open[key] = c
	return nil
}

// content returns the open content block an event names.
func (s *session) content(event string, in *sonicInput) (*sonicContent, error) {
	p, err := s.prompt(event, in.PromptName)
	if err != nil {
		return nil, err
	}
	if in.ContentName == "" {
		return nil, invalid("Input event %s has no contentName.", event)
	}
	c := s.open[p.name+"\x00"+in.ContentName]
	if c == nil {
		if s.used[p.name+"\x00"+in.ContentName] {
			return nil, invalid("Input event %s names the content %q after its contentEnd.", event, in.ContentName)
		}
		return nil, invalid("Input event %s names the content %q, which no contentStart opened.", event, in.ContentName)
	}
	return c, nil
}

func (s *session) contentInput(event string, in *sonicInput) error {
	c, err := s.content(event, in)
	if err != nil {
		return err
	}
	want := map[string]string{"textInput": "TEXT", "audioInput": "AUDIO", "toolResult": "TOOL"}[event]
	if c.typ != want {
		return invalid("Input event %s in the %s content %q.", event, c.typ, c.name)
	}
	if in.Content == nil {
		return invalid("Input event %s has no content.", event)
	}
	switch event {
	case "audioInput":
		n := base64.StdEncoding.DecodedLen(len(*in.Content))
		if s.audioHeld+n > maxTurnAudio {
			return invalid("The audio of the open blocks exceeds %d bytes; end a block (contentEnd) to take a turn.", maxTurnAudio)
		}
		before := len(c.audio)
		b, err := base64.StdEncoding.AppendDecode(c.audio, []byte(*in.Content))
		if err != nil {
			return invalid("audioInput of content %q: the content is not base64: %v", c.name, err)
		}
		c.audio = b
		s.audioHeld += len(b) - before
		return nil
	case "textInput":
		if c.role == "USER" && c.interactive {
			s.turns++
			return s.textTurn(c.prompt, *in.Content)
		}
		return nil // a system prompt or history: in the journal
	}
	// toolResult
	if c.text.Len()+len(*in.Content) > maxPartBytes {
		return invalid("The toolResult of content %q is too long.", c.name)
	}
	c.text.WriteString(*in.Content)
	return nil
}

func (s *session) contentEnd(in *sonicInput) error {
	c, err := s.content("contentEnd", in)
	if err != nil {
		return err
	}
	delete(s.open, c.prompt.name+"\x00"+c.name)
	s.audioHeld -= len(c.audio)
	switch {
	case c.typ == "AUDIO" && c.role == "USER":
		s.turns++
		audio := c.audio
		c.audio = nil
		return s.audioTurn(c.prompt, audio, c.inputRate)
	case c.typ == "TOOL":
		pt := s.pending
		s.pending = nil
		return s.toolAnswer(pt, c.text.String())
	}
	return nil
}
