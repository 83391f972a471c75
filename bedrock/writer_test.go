package bedrock

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/framewire/eventstream"
)

// decodeAll decodes a stream with the core decoder.
func decodeAll(t *testing.T, b []byte) []*eventstream.Frame {
	t.Helper()
	var out []*eventstream.Frame
	d := eventstream.NewDecoder(bytes.NewReader(b))
	for {
		var f eventstream.Frame
		err := d.Decode(&f)
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, f.Clone())
	}
}

func headerList(f *eventstream.Frame) string {
	var s []string
	for _, h := range f.Headers {
		if h.Value.Type() != eventstream.TypeString {
			s = append(s, h.Name+"=<"+h.Value.Type().String()+">")
			continue
		}
		s = append(s, h.Name+"="+h.Value.String())
	}
	return strings.Join(s, " ")
}

func TestWriterFrames(t *testing.T) {
	var buf bytes.Buffer
	w := NewWriter(&buf)
	model := []byte(`{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hi"}}`)
	if err := w.WriteChunk(model); err != nil {
		t.Fatal(err)
	}
	if err := w.WriteEvent("contentBlockDelta", []byte(`{"contentBlockIndex":0,"delta":{"text":"Hi"}}`)); err != nil {
		t.Fatal(err)
	}
	if err := w.WriteEvent("contentBlockStop", []byte(` { } `)); err != nil {
		t.Fatal(err)
	}
	if err := w.WriteException(&Exception{Type: ModelStreamErrorException, Message: `say "no"`, OriginalStatusCode: 503, OriginalMessage: "down"}); err != nil {
		t.Fatal(err)
	}
	if err := w.WriteException(&Exception{Type: ThrottlingException, Message: "slow"}); err != nil {
		t.Fatal(err)
	}
	if err := w.WriteError("InternalFailure", "boom"); err != nil {
		t.Fatal(err)
	}
	if w.Frames() != 6 {
		t.Errorf("Frames() = %d", w.Frames())
	}
	fs := decodeAll(t, buf.Bytes())
	if len(fs) != 6 {
		t.Fatalf("%d frames", len(fs))
	}
	wantHeaders := []string{
		":event-type=chunk :content-type=application/json :message-type=event",
		":event-type=contentBlockDelta :content-type=application/json :message-type=event",
		":event-type=contentBlockStop :content-type=application/json :message-type=event",
		":exception-type=modelStreamErrorException :content-type=application/json :message-type=exception",
		":exception-type=throttlingException :content-type=application/json :message-type=exception",
		":error-code=InternalFailure :error-message=boom :message-type=error",
	}
	for i, f := range fs {
		if got := headerList(f); got != wantHeaders[i] {
			t.Errorf("frame %d headers: %s\nwant %s", i, got, wantHeaders[i])
		}
	}

	// The chunk: {"bytes":"<base64>","p":"<prefix of the alphabet>"}, in that order.
	var chunk struct{ Bytes, P string }
	if err := json.Unmarshal(fs[0].Payload, &chunk); err != nil {
		t.Fatal(err)
	}
	wantPrefix := `{"bytes":"` + base64.StdEncoding.EncodeToString(model) + `","p":"`
	if !strings.HasPrefix(string(fs[0].Payload), wantPrefix) {
		t.Errorf("chunk payload %s", fs[0].Payload)
	}
	checkPadding(t, chunk.P)

	var ev map[string]any
	if err := json.Unmarshal(fs[1].Payload, &ev); err != nil {
		t.Fatal(err)
	}
	checkPadding(t, ev["p"].(string))
	if !strings.HasPrefix(string(fs[1].Payload), `{"contentBlockIndex":0,"delta":{"text":"Hi"},"p":"`) {
		t.Errorf("event payload %s", fs[1].Payload)
	}
	if !strings.HasPrefix(string(fs[2].Payload), `{"p":"`) {
		t.Errorf("empty event payload %s", fs[2].Payload)
	}
	if got, want := string(fs[3].Payload), `{"message":"say \"no\"","originalStatusCode":503,"originalMessage":"down"}`; got != want {
		t.Errorf("exception payload %s, want %s", got, want)
	}
	if got, want := string(fs[4].Payload), `{"message":"slow"}`; got != want {
		t.Errorf("exception payload %s, want %s", got, want)
	}
	if len(fs[5].Payload) != 0 {
		t.Errorf("error frame payload %q", fs[5].Payload)
	}
}

func checkPadding(t *testing.T, p string) {
	t.Helper()
	if len(p) < 1 || !strings.HasPrefix(padAlphabet, p) {
		t.Errorf("padding %q is not a non-empty prefix of the alphabet", p)
	}
}

func TestWriterPaddingLengthsVary(t *testing.T) {
	w := NewWriter(io.Discard)
	seen := map[int]bool{}
	for range 2000 {
		p := string(w.appendPadding(nil))
		checkPadding(t, p)
		seen[len(p)] = true
	}
	if !seen[1] || !seen[len(padAlphabet)] || len(seen) < 50 {
		t.Errorf("padding lengths seen: %d distinct, 1: %v, %d: %v", len(seen), seen[1], len(padAlphabet), seen[len(padAlphabet)])
	}
}

func TestWriterRoundTrip(t *testing.T) {
	var buf bytes.Buffer
	w := NewWriter(&buf)
	chunks := collectChunks(textReply("a b c d e f g", Usage{InputTokens: 1, OutputTokens: 2}), FamilyTitan)
	for _, c := range chunks {
		w.WriteChunk(c)
	}
	events := collectEvents(textReply("x y z w", Usage{InputTokens: 3, OutputTokens: 4}))
	for _, e := range events {
		w.WriteEvent(e.Type, e.JSON)
	}
	w.WriteEvent("newEvent", []byte(`{"k":[1,2,{"p":"inner padding stays"}]}`))
	r := NewReader(&buf)
	for i, c := range chunks {
		ev, err := r.Next()
		if err != nil || ev.Type != "chunk" || string(ev.Payload) != string(c) {
			t.Fatalf("chunk %d: %q %s %v", i, ev.Type, ev.Payload, err)
		}
	}
	for i, e := range events {
		ev, err := r.Next()
		if err != nil || ev.Type != e.Type || string(ev.Payload) != string(e.JSON) {
			t.Fatalf("event %d: %q %s %v", i, ev.Type, ev.Payload, err)
		}
	}
	ev, err := r.Next()
	if err != nil || ev.Type != "newEvent" || string(ev.Payload) != `{"k":[1,2,{"p":"inner padding stays"}]}` {
		t.Fatalf("new event: %q %s %v", ev.Type, ev.Payload, err)
	}
	if _, err := r.Next(); err != io.EOF {
		t.Fatal(err)
	}
	if !r.Complete() {
		t.Error("not Complete")
	}
}

func TestWriterExceptionRoundTrip(t *testing.T) {
	for _, e := range []Exception{
		{Type: InternalServerException, Message: "internal"},
		{Type: ModelStreamErrorException, Message: "m", OriginalStatusCode: 429, OriginalMessage: "busy"},
		{Type: ModelTimeoutException, Message: "timeout"},
		{Type: ServiceUnavailableException, Message: "unavailable"},
		{Type: ThrottlingException, Message: "throttled"},
		{Type: ValidationException, Message: "invalid <input> & \"quotes\" \u2028"},
	} {
		var buf bytes.Buffer
		w := NewWriter(&buf)
		w.WriteChunk([]byte(`{"type":"message_start"}`))
		if err := w.WriteException(&e); err != nil {
			t.Fatal(err)
		}
		r := NewReader(&buf)
		if _, err := r.Next(); err != nil {
			t.Fatal(err)
		}
		_, err := r.Next()
		var got *Exception
		if !errors.As(err, &got) || *got != e {
			t.Errorf("got %#v, want %#v", err, e)
		}
	}
	var buf bytes.Buffer
	NewWriter(&buf).WriteError("Code", "message with spaces")
	_, err := NewReader(&buf).Next()
	var se *StreamError
	if !errors.As(err, &se) || *se != (StreamError{"Code", "message with spaces"}) {
		t.Errorf("error frame: %#v", err)
	}
}

func TestWriterRefuses(t *testing.T) {
	var buf bytes.Buffer
	w := NewWriter(&buf)
	for name, err := range map[string]error{
		"chunk not JSON":         w.WriteChunk([]byte(`{"a":`)),
		"chunk empty":            w.WriteChunk(nil),
		"event not JSON":         w.WriteEvent("messageStop", []byte(`nope`)),
		"event not an object":    w.WriteEvent("messageStop", []byte(`[1]`)),
		"event without a type":   w.WriteEvent("", []byte(`{}`)),
		"exception without type": w.WriteException(&Exception{Message: "x"}),
		"nil exception":          w.WriteException(nil),
		"error without code":     w.WriteError("", "x"),
		"header value too long":  w.WriteEvent(strings.Repeat("x", 40000), []byte(`{}`)),
	} {
		if err == nil {
			t.Errorf("%s: no error", name)
		} else if !strings.HasPrefix(err.Error(), "bedrock: ") && !strings.HasPrefix(err.Error(), "eventstream: ") {
			t.Errorf("%s: message %q", name, err)
		}
	}
	if buf.Len() != 0 || w.Frames() != 0 {
		t.Errorf("refused writes wrote %d bytes, %d frames", buf.Len(), w.Frames())
	}
}

// flushRecorder counts writes and flushes, and checks that each flush follows one whole frame.
type flushRecorder struct {
	*httptest.ResponseRecorder
	writes, flushes int
}

func (f *flushRecorder) Write(b []byte) (int, error) { f.writes++; return f.ResponseRecorder.Write(b) }
func (f *flushRecorder) Flush()                      { f.flushes++; f.ResponseRecorder.Flush() }

func TestWriterFlushes(t *testing.T) {
	rec := &flushRecorder{ResponseRecorder: httptest.NewRecorder()}
	w := NewWriter(rec)
	for i, c := range collectChunks(textReply("one two three four five six seven", Usage{}), FamilyLlama) {
		if err := w.WriteChunk(c); err != nil {
			t.Fatal(err)
		}
		if rec.writes != i+1 || rec.flushes != i+1 {
			t.Fatalf("after frame %d: %d writes, %d flushes", i+1, rec.writes, rec.flushes)
		}
	}
	w.WriteException(&Exception{Type: ThrottlingException})
	w.WriteError("X", "y")
	if rec.writes != w.Frames() || rec.flushes != w.Frames() {
		t.Errorf("%d frames, %d writes, %d flushes", w.Frames(), rec.writes, rec.flushes)
	}
}

type failWriter struct{ err error }

func (f failWriter) Write([]byte) (int, error) { return 0, f.err }

func TestWriterWriteError(t *testing.T) {
	want := errors.New("broken pipe")
	w := NewWriter(failWriter{want})
	if err := w.WriteChunk([]byte(`{}`)); err != want {
		t.Errorf("got %v", err)
	}
	if w.Frames() != 0 {
		t.Errorf("failed write counted: %d", w.Frames())
	}
}

// TestWriterMatchesServiceBytes compares the Writer's frames, byte for byte, with frames laid
// out by hand as the service sends them.
func TestWriterMatchesServiceBytes(t *testing.T) {
	model := `{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hi"}}`
	var buf bytes.Buffer
	w := NewWriter(&buf)
	w.WriteChunk([]byte(model))
	fs := decodeAll(t, buf.Bytes())
	var env struct{ P string }
	json.Unmarshal(fs[0].Payload, &env)
	if want := serviceChunk(model, env.P); !bytes.Equal(buf.Bytes(), want) {
		t.Errorf("chunk\n got %q\nwant %q", buf.Bytes(), want)
	}

	buf.Reset()
	w.WriteEvent("messageStop", []byte(`{"stopReason":"end_turn"}`))
	fs = decodeAll(t, buf.Bytes())
	json.Unmarshal(fs[0].Payload, &env)
	if want := serviceEvent("messageStop", `{"stopReason":"end_turn","p":"`+env.P+`"}`); !bytes.Equal(buf.Bytes(), want) {
		t.Errorf("event\n got %q\nwant %q", buf.Bytes(), want)
	}

	buf.Reset()
	w.WriteException(&Exception{Type: ModelStreamErrorException, Message: "m", OriginalStatusCode: 500, OriginalMessage: "o"})
	if want := serviceException(ModelStreamErrorException, `{"message":"m","originalStatusCode":500,"originalMessage":"o"}`); !bytes.Equal(buf.Bytes(), want) {
		t.Errorf("exception\n got %q\nwant %q", buf.Bytes(), want)
	}

	buf.Reset()
	w.WriteError("InternalFailure", "The request processing has failed because of an unknown error.")
	want := rawFrame([]hdr{str(":error-code", "InternalFailure"), str(":error-message", "The request processing has failed because of an unknown error."), str(":message-type", "error")}, "")
	if !bytes.Equal(buf.Bytes(), want) {
		t.Errorf("error frame\n got %q\nwant %q", buf.Bytes(), want)
	}
}

func TestWriterSeed(t *testing.T) {
	write := func(seed uint64) []byte {
		var buf bytes.Buffer
		w := NewWriter(&buf)
		w.Seed(seed)
		for c := range textReply("the same words every time, or not", Usage{}).Chunks(FamilyClaude) {
			w.WriteChunk(c)
		}
		return buf.Bytes()
	}
	if a, b := write(7), write(7); !bytes.Equal(a, b) {
		t.Error("same seed, different bytes")
	}
	if a, b := write(7), write(8); bytes.Equal(a, b) {
		t.Error("different seeds, same bytes")
	}
}
