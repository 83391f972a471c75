package bedrock

import (
	"bytes"
	"encoding/base64"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/framewire/eventstream"
)

// readAll reads events until an error and returns their types, payloads and the error.
func readAll(r *Reader) (types []string, payloads []string, err error) {
	for {
		ev, err := r.Next()
		if err != nil {
			return types, payloads, err
		}
		types = append(types, ev.Type)
		payloads = append(payloads, string(ev.Payload))
	}
}

func TestReaderServiceChunk(t *testing.T) {
	// A chunk exactly as the service lays it out, checked against bytes written out by hand.
	model := `{"type":"message_stop","amazon-bedrock-invocationMetrics":{"inputTokenCount":12,"outputTokenCount":34,"invocationLatency":567,"firstByteLatency":89}}`
	frame := serviceChunk(model, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ01")
	payload := `{"bytes":"` + base64.StdEncoding.EncodeToString([]byte(model)) + `","p":"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ01"}`
	headers := "\x0b:event-type\x07\x00\x05chunk" +
		"\x0d:content-type\x07\x00\x10application/json" +
		"\x0d:message-type\x07\x00\x05event"
	if got := string(frame[12 : 12+len(headers)]); got != headers {
		t.Fatalf("header block\n got %q\nwant %q", got, headers)
	}
	if got := string(frame[12+len(headers) : len(frame)-4]); got != payload {
		t.Fatalf("payload\n got %q\nwant %q", got, payload)
	}

	r := NewReader(bytes.NewReader(frame))
	if r.Complete() {
		t.Fatal("Complete before any event")
	}
	ev, err := r.Next()
	if err != nil {
		t.Fatal(err)
	}
	if ev.Type != "chunk" || string(ev.Payload) != model {
		t.Fatalf("got %q %q", ev.Type, ev.Payload)
	}
	if !r.Complete() {
		t.Error("message_stop with metrics did not complete the stream")
	}
	im, ok := r.InvocationMetrics()
	want := InvocationMetrics{InputTokenCount: 12, OutputTokenCount: 34, InvocationLatency: 567 * time.Millisecond, FirstByteLatency: 89 * time.Millisecond}
	if !ok || im != want {
		t.Errorf("InvocationMetrics = %+v, %v; want %+v", im, ok, want)
	}
	if _, err := r.Next(); err != io.EOF {
		t.Fatalf("end: %v, want io.EOF", err)
	}
	if !r.Complete() {
		t.Error("Complete false after a clean end")
	}
	if _, err := r.Next(); err != io.EOF {
		t.Fatalf("after end: %v, want io.EOF again", err)
	}
}

func TestReaderPaddingVariants(t *testing.T) {
	// "p" may come first, be empty, be missing, or sit among unknown members.
	model := `{"outputText":"hi","index":0}`
	b64 := base64.StdEncoding.EncodeToString([]byte(model))
	for _, payload := range []string{
		`{"bytes":"` + b64 + `"}`,
		`{"p":"abc","bytes":"` + b64 + `"}`,
		`{"bytes":"` + b64 + `","p":""}`,
		` { "bytes" : "` + b64 + `" , "p" : "abcd", "future":{"x":[1,"}"]} } `,
		`{"bytes":"` + strings.ReplaceAll(b64, "/", `\/`) + `","p":"a"}`, // JSON escapes in the value
		`{"\u0062ytes":"` + b64 + `","p":"a"}`,                           // and in the key
		`{"bytes":"` + b64 + `","p":"not-the_usual alphabet"}`,           // padding outside the alphabet
		`{"bytes":"` + b64 + `","p":"abc","extra":1}`,
	} {
		frame := rawFrame([]hdr{str(":event-type", "chunk"), str(":content-type", "application/json"), str(":message-type", "event")}, payload)
		ev, err := NewReader(bytes.NewReader(frame)).Next()
		if err != nil || string(ev.Payload) != model {
			t.Errorf("%s: got %q, %v", payload, ev.Payload, err)
		}
	}
}

func TestReaderServiceExceptions(t *testing.T) {
	for _, tc := range []struct {
		typ, json string
		want      Exception
	}{
		{InternalServerException, `{"message":"internal"}`, Exception{Type: InternalServerException, Message: "internal"}},
		{ModelStreamErrorException, `{"message":"model failed","originalStatusCode":429,"originalMessage":"busy"}`,
			Exception{Type: ModelStreamErrorException, Message: "model failed", OriginalStatusCode: 429, OriginalMessage: "busy"}},
		{ModelTimeoutException, `{"message":"timed out"}`, Exception{Type: ModelTimeoutException, Message: "timed out"}},
		{ServiceUnavailableException, `{"message":"unavailable"}`, Exception{Type: ServiceUnavailableException, Message: "unavailable"}},
		{ThrottlingException, `{"message":"Too many requests, please wait before trying again."}`,
			Exception{Type: ThrottlingException, Message: "Too many requests, please wait before trying again."}},
		{ValidationException, `{"message":"bad"}`, Exception{Type: ValidationException, Message: "bad"}},
		{"someFutureException", `{"message":"new","extra":true}`, Exception{Type: "someFutureException", Message: "new"}},
		{ThrottlingException, `{"Message":"capitalised"}`, Exception{Type: ThrottlingException, Message: "capitalised"}},
	} {
		stream := cat(serviceChunk(`{"type":"message_start"}`, "abc"), serviceException(tc.typ, tc.json))
		r := NewReader(bytes.NewReader(stream))
		types, _, err := readAll(r)
		if len(types) != 1 {
			t.Errorf("%s: events %v", tc.typ, types)
		}
		var ex *Exception
		if !errors.As(err, &ex) || *ex != tc.want {
			t.Errorf("%s: got %#v, want %#v", tc.typ, err, tc.want)
			continue
		}
		if r.Complete() {
			t.Errorf("%s: Complete after an exception", tc.typ)
		}
		if _, again := r.Next(); again != err {
			t.Errorf("%s: error not sticky: %v", tc.typ, again)
		}
	}
}

func TestExceptionError(t *testing.T) {
	for _, tc := range []struct {
		e    Exception
		want string
	}{
		{Exception{Type: ThrottlingException, Message: "slow down"}, "bedrock: throttlingException: slow down"},
		{Exception{Type: ModelStreamErrorException, Message: "failed", OriginalStatusCode: 500, OriginalMessage: "oops"},
			"bedrock: modelStreamErrorException: failed (original status 500: oops)"},
		{Exception{Type: InternalServerException}, "bedrock: internalServerException"},
	} {
		if got := tc.e.Error(); got != tc.want {
			t.Errorf("got %q, want %q", got, tc.want)
		}
	}
}

func TestReaderErrorFrame(t *testing.T) {
	frame := rawFrame([]hdr{str(":error-code", "InternalFailure"), str(":error-message", "An internal error occurred"), str(":message-type", "error")}, "")
	_, _, err := readAll(NewReader(bytes.NewReader(frame)))
	var se *StreamError
	if !errors.As(err, &se) || *se != (StreamError{Code: "InternalFailure", Message: "An internal error occurred"}) {
		t.Fatalf("got %#v", err)
	}
	if got, want := se.Error(), "bedrock: stream error InternalFailure: An internal error occurred"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

func TestReaderConverseStream(t *testing.T) {
	stream := cat(
		serviceEvent("messageStart", `{"p":"abcdefgh","role":"assistant"}`),
		serviceEvent("contentBlockDelta", `{"contentBlockIndex":0,"delta":{"text":"Hello"},"p":"abcdefghijklmnopq"}`),
		serviceEvent("contentBlockDelta", `{"contentBlockIndex":0,"delta":{"text":" world"},"p":"abcdefghijklmnopqrstuvwxyzABCDEFG"}`),
		serviceEvent("contentBlockStop", `{"contentBlockIndex":0,"p":"abcde"}`),
		serviceEvent("messageStop", `{"p":"abcdefghijklm","stopReason":"end_turn"}`),
	)
	metadata := serviceEvent("metadata", `{"metrics":{"latencyMs":1234},"p":"abc","usage":{"inputTokens":9,"outputTokens":2,"totalTokens":11}}`)
	r := NewReader(bytes.NewReader(cat(stream, metadata)))
	types, payloads, err := readAll(r)
	if err != io.EOF {
		t.Fatal(err)
	}
	wantTypes := []string{"messageStart", "contentBlockDelta", "contentBlockDelta", "contentBlockStop", "messageStop", "metadata"}
	wantPayloads := []string{
		`{"role":"assistant"}`,
		`{"contentBlockIndex":0,"delta":{"text":"Hello"}}`,
		`{"contentBlockIndex":0,"delta":{"text":" world"}}`,
		`{"contentBlockIndex":0}`,
		`{"stopReason":"end_turn"}`,
		`{"metrics":{"latencyMs":1234},"usage":{"inputTokens":9,"outputTokens":2,"totalTokens":11}}`,
	}
	if strings.Join(types, ",") != strings.Join(wantTypes, ",") {
		t.Errorf("types %v", types)
	}
	for i := range wantPayloads {
		if i < len(payloads) && payloads[i] != wantPayloads[i] {
			t.Errorf("payload %d: %s, want %s", i, payloads[i], wantPayloads[i])
		}
	}
	if !r.Complete() {
		t.Error("not Complete after messageStop and metadata")
	}

	// The same stream without its metadata ends cleanly but is not complete.
	r = NewReader(bytes.NewReader(stream))
	if _, _, err := readAll(r); err != io.EOF {
		t.Fatal(err)
	}
	if r.Complete() {
		t.Error("Complete without metadata")
	}
	// Metadata without messageStop does not complete either.
	r = NewReader(bytes.NewReader(cat(serviceEvent("messageStart", `{"role":"assistant"}`), metadata)))
	if _, _, err := readAll(r); err != io.EOF || r.Complete() {
		t.Errorf("metadata alone: %v, Complete %v", err, r.Complete())
	}
}

func TestReaderUnknownEvents(t *testing.T) {
	stream := cat(
		serviceEvent("initial-response", `{}`),
		rawFrame([]hdr{str(":event-type", "audio"), str(":content-type", "application/octet-stream"), str(":message-type", "event")}, "\x00\x01raw"),
		rawFrame([]hdr{str(":event-type", "futureThing"), str(":message-type", "event")}, `{"a":1}`),
	)
	types, payloads, err := readAll(NewReader(bytes.NewReader(stream)))
	if err != io.EOF {
		t.Fatal(err)
	}
	if strings.Join(types, ",") != "initial-response,audio,futureThing" ||
		payloads[0] != "{}" || payloads[1] != "\x00\x01raw" || payloads[2] != `{"a":1}` {
		t.Errorf("got %q %q", types, payloads)
	}
}

func TestReaderCompleteness(t *testing.T) {
	for _, tc := range []struct {
		name     string
		chunks   []string
		complete bool
	}{
		{"claude message_stop", []string{`{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"a"}}`, `{"type":"message_stop"}`}, true},
		{"claude without message_stop", []string{`{"type":"message_start","message":{}}`, `{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"a"}}`}, false},
		{"message_stop in a nested member", []string{`{"type":"content_block_delta","delta":{"type":"message_stop"}}`}, false},
		{"titan final", []string{`{"outputText":"a","completionReason":"FINISH","amazon-bedrock-invocationMetrics":{"inputTokenCount":1}}`}, true},
		{"titan cut", []string{`{"outputText":"a","completionReason":null}`}, false},
		{"metrics not an object", []string{`{"generation":"a","amazon-bedrock-invocationMetrics":null}`}, false},
		{"command r stream-end", []string{`{"is_finished":false,"event_type":"text-generation","text":"a"}`, `{"is_finished":true,"event_type":"stream-end","response":{"text":"a"},"finish_reason":"COMPLETE"}`}, true},
		{"command r cut", []string{`{"is_finished":false,"event_type":"stream-start","generation_id":"g"}`, `{"is_finished":false,"event_type":"text-generation","text":"a"}`}, false},
		{"stream-end in a nested member", []string{`{"is_finished":false,"event_type":"text-generation","response":{"event_type":"stream-end"}}`}, false},
	} {
		var frames [][]byte
		for _, c := range tc.chunks {
			frames = append(frames, serviceChunk(c, "ab"))
		}
		r := NewReader(bytes.NewReader(cat(frames...)))
		if _, _, err := readAll(r); err != io.EOF {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if r.Complete() != tc.complete {
			t.Errorf("%s: Complete() = %v", tc.name, r.Complete())
		}
	}
}

func TestReaderBadEvents(t *testing.T) {
	good := serviceChunk(`{"type":"message_start"}`, "abc")
	chunkHdrs := []hdr{str(":event-type", "chunk"), str(":content-type", "application/json"), str(":message-type", "event")}
	for _, tc := range []struct {
		name   string
		frame  []byte
		detail string
		cause  bool // Unwrap gives an underlying error
	}{
		{"no message-type", rawFrame([]hdr{str(":event-type", "chunk"), str(":content-type", "application/json")}, `{"bytes":"e30="}`), "missing :message-type header", false},
		{"message-type not a string", rawFrame([]hdr{str(":event-type", "chunk"), {":message-type", 4, "\x00\x00\x00\x01"}}, `{"bytes":"e30="}`), ":message-type header has type int32, want string", false},
		{"empty message-type", rawFrame([]hdr{str(":event-type", "chunk"), str(":message-type", "")}, `{"bytes":"e30="}`), "empty :message-type header", false},
		{"unknown message-type", rawFrame([]hdr{str(":event-type", "chunk"), str(":message-type", "notice")}, `{}`), `unknown :message-type "notice"`, false},
		{"event without event-type", rawFrame([]hdr{str(":content-type", "application/json"), str(":message-type", "event")}, `{}`), "missing :event-type header", false},
		{"event-type as bytes", rawFrame([]hdr{{":event-type", 6, "chunk"}, str(":message-type", "event")}, `{}`), ":event-type header has type bytes, want string", false},
		{"exception without exception-type", rawFrame([]hdr{str(":content-type", "application/json"), str(":message-type", "exception")}, `{"message":"x"}`), "missing :exception-type header", false},
		{"exception payload not JSON", serviceException(ThrottlingException, `slow down`), "throttlingException payload is not the expected JSON", true},
		{"exception payload not an object", serviceException(ThrottlingException, `["x"]`), "throttlingException payload is not the expected JSON", true},
		{"exception message not a string", serviceException(ThrottlingException, `{"message":5}`), "throttlingException payload is not the expected JSON", true},
		{"error without code", rawFrame([]hdr{str(":error-message", "x"), str(":message-type", "error")}, ""), "missing :error-code header", false},
		{"error message not a string", rawFrame([]hdr{str(":error-code", "X"), {":error-message", 6, "x"}, str(":message-type", "error")}, ""), ":error-message header has type bytes, want string", false},
		{"chunk payload not JSON", rawFrame(chunkHdrs, `{"bytes":"e30="`), "chunk payload is not JSON", false},
		{"chunk payload empty", rawFrame(chunkHdrs, ``), "chunk payload is not JSON", false},
		{"chunk payload not an object", rawFrame(chunkHdrs, `["e30="]`), "chunk payload is not a JSON object", false},
		{"chunk without bytes", rawFrame(chunkHdrs, `{"p":"abc"}`), `chunk payload has no "bytes" member`, false},
		{"chunk bytes not a string", rawFrame(chunkHdrs, `{"bytes":123}`), `chunk "bytes" is not a string`, false},
		{"chunk bytes null", rawFrame(chunkHdrs, `{"bytes":null}`), `chunk "bytes" is not a string`, false},
		{"bad base64", rawFrame(chunkHdrs, `{"bytes":"e30*","p":"a"}`), `chunk "bytes" is not base64`, true},
		{"base64 without padding", rawFrame(chunkHdrs, `{"bytes":"e30"}`), `chunk "bytes" is not base64`, true},
		{"url-safe base64", rawFrame(chunkHdrs, `{"bytes":"`+base64.URLEncoding.EncodeToString([]byte(`{"a":"??>"}`))+`"}`), `chunk "bytes" is not base64`, true},
		{"bytes not JSON", rawFrame(chunkHdrs, `{"bytes":"`+base64.StdEncoding.EncodeToString([]byte("hello"))+`"}`), `chunk "bytes" does not hold JSON`, false},
		{"bytes empty", rawFrame(chunkHdrs, `{"bytes":""}`), `chunk "bytes" does not hold JSON`, false},
		{"raw newline in bytes", rawFrame(chunkHdrs, "{\"bytes\":\"e30=\n\"}"), "chunk payload is not JSON", false},
		{"control character in padding", rawFrame(chunkHdrs, "{\"bytes\":\"e30=\",\"p\":\"a\x01\"}"), "chunk payload is not JSON", false},
		{"trailing garbage", rawFrame(chunkHdrs, `{"bytes":"e30="}}`), "chunk payload is not JSON", false},
		{"event payload not JSON", serviceEvent("contentBlockDelta", `{"delta":`), "contentBlockDelta event payload is not JSON", false},
		{"event payload not an object", serviceEvent("messageStop", `"end_turn"`), "messageStop event payload is not a JSON object", false},
	} {
		r := NewReader(bytes.NewReader(cat(good, tc.frame, good)))
		types, _, err := readAll(r)
		if len(types) != 1 {
			t.Errorf("%s: events before the error: %v", tc.name, types)
		}
		var fe *FormatError
		if !errors.As(err, &fe) {
			t.Errorf("%s: got %v, want a *FormatError", tc.name, err)
			continue
		}
		if fe.Offset != int64(len(good)) || fe.Detail != tc.detail || (fe.Err != nil) != tc.cause {
			t.Errorf("%s: got offset %d detail %q cause %v", tc.name, fe.Offset, fe.Detail, fe.Err)
		}
		if !strings.HasPrefix(err.Error(), "bedrock: frame at offset ") {
			t.Errorf("%s: message %q", tc.name, err)
		}
		if _, again := r.Next(); again != err || err == io.EOF {
			t.Errorf("%s: not sticky: %v", tc.name, again)
		}
		if r.Complete() {
			t.Errorf("%s: Complete after an error", tc.name)
		}
	}
}

func TestReaderFrameErrorsPassThrough(t *testing.T) {
	frame := serviceChunk(`{"type":"message_stop"}`, "abc")
	bad := bytes.Clone(frame)
	bad[len(bad)-1] ^= 1
	_, err := NewReader(bytes.NewReader(bad)).Next()
	if !errors.Is(err, eventstream.ErrChecksum) {
		t.Errorf("corrupt CRC: %v", err)
	}
	readErr := errors.New("connection reset")
	_, err = NewReader(io.MultiReader(bytes.NewReader(frame[:20]), &errReader{readErr})).Next()
	if err != readErr {
		t.Errorf("reader error: %v", err)
	}
}

type errReader struct{ err error }

func (e *errReader) Read([]byte) (int, error) { return 0, e.err }

// TestReaderTruncation cuts a complete stream at every offset: a cut inside a frame is
// io.ErrUnexpectedEOF, never io.EOF, and never Complete.
func TestReaderTruncation(t *testing.T) {
	var buf bytes.Buffer
	w := NewWriter(&buf)
	for c := range textReply("one two three four five six seven", Usage{InputTokens: 4, OutputTokens: 7}).Chunks(FamilyClaude) {
		w.WriteChunk(c)
	}
	stream := buf.Bytes()
	boundaries := map[int]bool{}
	for off := 0; off < len(stream); {
		var f eventstream.Frame
		n, err := eventstream.DecodeFrame(stream[off:], &f)
		if err != nil {
			t.Fatal(err)
		}
		boundaries[off] = true
		off += n
	}
	for cut := 0; cut < len(stream); cut++ {
		r := NewReader(bytes.NewReader(stream[:cut]))
		_, _, err := readAll(r)
		switch {
		case boundaries[cut] && err != io.EOF:
			t.Fatalf("cut at boundary %d: %v", cut, err)
		case !boundaries[cut] && err != io.ErrUnexpectedEOF:
			t.Fatalf("cut at %d: %v, want io.ErrUnexpectedEOF", cut, err)
		}
		if r.Complete() {
			t.Fatalf("cut at %d: Complete", cut)
		}
	}
	r := NewReader(bytes.NewReader(stream))
	if _, _, err := readAll(r); err != io.EOF || !r.Complete() {
		t.Fatalf("whole stream: %v, Complete %v", err, r.Complete())
	}
}

func TestChunkMetrics(t *testing.T) {
	for _, tc := range []struct {
		chunk string
		want  InvocationMetrics
		ok    bool
	}{
		{`{"type":"message_stop","amazon-bedrock-invocationMetrics":{"inputTokenCount":1,"outputTokenCount":2,"invocationLatency":3,"firstByteLatency":4}}`,
			InvocationMetrics{1, 2, 3 * time.Millisecond, 4 * time.Millisecond}, true},
		{`{"amazon-bedrock-invocationMetrics":{"inputTokenCount":7,"cacheReadInputTokenCount":3,"outputTokenCount":"x"}}`, InvocationMetrics{InputTokenCount: 7}, true},
		{`{"type":"message_delta"}`, InvocationMetrics{}, false},
		{`{"amazon-bedrock-invocationMetrics":[1]}`, InvocationMetrics{}, false},
		{`not json`, InvocationMetrics{}, false},
	} {
		got, ok := ChunkMetrics([]byte(tc.chunk))
		if got != tc.want || ok != tc.ok {
			t.Errorf("%s: got %+v %v", tc.chunk, got, ok)
		}
	}
}

// TestReaderCorpus reads the Bedrock vectors of the project's conformance corpus, made by an
// independent generator (internal/corpusgen).
func TestReaderCorpus(t *testing.T) {
	read := func(name string) (*Reader, []string, []string, error) {
		b, err := os.ReadFile(filepath.Join("..", "testdata", "corpus", name+".bin"))
		if err != nil {
			t.Skipf("corpus not available: %v", err)
		}
		r := NewReader(bytes.NewReader(b))
		types, payloads, err := readAll(r)
		return r, types, payloads, err
	}
	text := func(f Family, payloads []string) string {
		var s strings.Builder
		for _, p := range payloads {
			d, err := TextDelta(f, []byte(p))
			if err != nil {
				t.Fatal(err)
			}
			s.WriteString(d)
		}
		return s.String()
	}

	r, types, payloads, err := read("bedrock-chunks")
	if err != io.EOF || len(types) != 17 || !r.Complete() || text(FamilyClaude, payloads) == "" {
		t.Errorf("bedrock-chunks: %d events, %v, Complete %v", len(types), err, r.Complete())
	}
	if _, ok := r.InvocationMetrics(); !ok {
		t.Error("bedrock-chunks: no invocation metrics")
	}
	full := text(FamilyClaude, payloads)

	r, types, payloads, err = read("bedrock-chunks-incomplete")
	if err != io.EOF || len(types) != 15 || r.Complete() || text(FamilyClaude, payloads) != full {
		t.Errorf("bedrock-chunks-incomplete: %d events, %v, Complete %v", len(types), err, r.Complete())
	}

	r, types, payloads, err = read("bedrock-converse-stream")
	if err != io.EOF || len(types) != 9 || !r.Complete() || text(FamilyConverse, payloads) == "" {
		t.Errorf("bedrock-converse-stream: %d events %v, %v, Complete %v", len(types), types, err, r.Complete())
	}
	for _, p := range payloads {
		if strings.Contains(p, `"p":`) {
			t.Errorf("padding left in %s", p)
		}
	}

	var ex *Exception
	_, types, _, err = read("bedrock-exception")
	if !errors.As(err, &ex) || ex.Type != ThrottlingException || ex.Message == "" || len(types) != 0 {
		t.Errorf("bedrock-exception: %v", err)
	}
	_, types, _, err = read("bedrock-model-stream-error")
	if !errors.As(err, &ex) || ex.Type != ModelStreamErrorException || ex.OriginalStatusCode == 0 || ex.OriginalMessage == "" || len(types) != 2 {
		t.Errorf("bedrock-model-stream-error: %d events, %#v", len(types), err)
	}
	var se *StreamError
	if _, _, _, err = read("error-frame"); !errors.As(err, &se) || se.Code != "InternalFailure" || se.Message == "" {
		t.Errorf("error-frame: %v", err)
	}
}

func TestReaderDecoderLimits(t *testing.T) {
	big := serviceChunk(`{"outputText":"`+strings.Repeat("x", 5000)+`"}`, "a")
	r := NewReader(bytes.NewReader(cat(serviceChunk(`{"outputText":"a"}`, "b"), big)))
	r.Decoder().MaxFrameLen = 4096
	if _, err := r.Next(); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Next(); !errors.Is(err, eventstream.ErrTooLarge) {
		t.Fatalf("frame over the limit: %v", err)
	}
	if r.Complete() {
		t.Error("Complete after an error")
	}
}

func TestReaderEscapedPaddingKey(t *testing.T) {
	ev, err := NewReader(bytes.NewReader(serviceEvent("messageStop", `{"stopReason":"end_turn","\u0070":"abc"}`))).Next()
	if err != nil || string(ev.Payload) != `{"stopReason":"end_turn"}` {
		t.Errorf("got %s, %v", ev.Payload, err)
	}
}
