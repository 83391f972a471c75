package bedrock

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"

	"github.com/framewire/eventstream"
)

// padAlphabet is what the service draws the "p" padding from: a random-length prefix of it
// hides the length of the tokens in each event.
const padAlphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

// A Writer writes a response stream as the service does.
//
// Each method writes one frame with one Write call, its headers in the service's order
// (":event-type" or ":exception-type", ":content-type", ":message-type"), and flushes it if
// the underlying writer is an [http.Flusher]. A method that refuses its input writes
// nothing. A Writer is not safe for concurrent use.
type Writer struct {
	enc    *eventstream.Encoder
	flush  http.Flusher
	f      eventstream.Frame
	hdr    [3]eventstream.Header
	pay    []byte
	rng    *rand.Rand
	frames int
}

// NewWriter returns a Writer that writes frames to w. Padding lengths come from a randomly
// seeded generator.
func NewWriter(w io.Writer) *Writer {
	fl, _ := w.(http.Flusher)
	return &Writer{
		enc:   eventstream.NewEncoder(w),
		flush: fl,
		rng:   rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64())),
	}
}

// Seed makes the padding lengths that follow a function of seed, so that a test double can
// write the same bytes on every run.
func (w *Writer) Seed(seed uint64) { w.rng = rand.New(rand.NewPCG(seed, seed)) }

// Frames returns the number of frames written so far.
func (w *Writer) Frames() int { return w.frames }

// appendPadding appends a random-length (1..62) prefix of the padding alphabet.
func (w *Writer) appendPadding(b []byte) []byte {
	return append(b, padAlphabet[:1+w.rng.IntN(len(padAlphabet))]...)
}

// WriteChunk writes a chunk event whose payload is {"bytes":"<base64 of modelJSON>","p":"..."}.
// modelJSON must be valid JSON.
func (w *Writer) WriteChunk(modelJSON []byte) error {
	if !json.Valid(modelJSON) {
		return errors.New("bedrock: chunk is not valid JSON")
	}
	b := append(w.pay[:0], `{"bytes":"`...)
	b = base64.StdEncoding.AppendEncode(b, modelJSON)
	b = append(b, `","p":"`...)
	b = w.appendPadding(b)
	b = append(b, `"}`...)
	w.pay = b
	return w.write(":event-type", "chunk", "event", b)
}

// WriteEvent writes an event of type eventType (for example "contentBlockDelta") whose
// payload is eventJSON, a JSON object, with a "p" padding member added at its end (replacing
// any top-level "p" it had).
func (w *Writer) WriteEvent(eventType string, eventJSON []byte) error {
	if eventType == "" {
		return errors.New("bedrock: empty event type")
	}
	if !json.Valid(eventJSON) {
		return errors.New("bedrock: " + eventType + " event is not valid JSON")
	}
	m, ok := objectMembers(eventJSON)
	if !ok {
		return errors.New("bedrock: " + eventType + " event is not a JSON object")
	}
	b := append(w.pay[:0], '{')
	for k, v, ok := m.next(); ok; k, v, ok = m.next() {
		if keyIs(k, "p") {
			continue // replaced by fresh padding
		}
		b = append(b, '"')
		b = append(b, k...)
		b = append(b, '"', ':')
		b = append(b, v...)
		b = append(b, ',')
	}
	b = append(b, `"p":"`...)
	b = w.appendPadding(b)
	b = append(b, `"}`...)
	w.pay = b
	return w.write(":event-type", eventType, "event", b)
}

// WriteException writes an exception frame with ":exception-type" e.Type and the payload
// {"message":...}, plus "originalStatusCode" and "originalMessage" when set (the members of
// modelStreamErrorException).
func (w *Writer) WriteException(e *Exception) error {
	if e == nil || e.Type == "" {
		return errors.New("bedrock: exception without a type")
	}
	b := append(w.pay[:0], `{"message":`...)
	b = appendJSONString(b, e.Message)
	if e.OriginalStatusCode != 0 {
		b = append(b, `,"originalStatusCode":`...)
		b = strconv.AppendInt(b, int64(e.OriginalStatusCode), 10)
	}
	if e.OriginalMessage != "" {
		b = append(b, `,"originalMessage":`...)
		b = appendJSONString(b, e.OriginalMessage)
	}
	b = append(b, '}')
	w.pay = b
	return w.write(":exception-type", e.Type, "exception", b)
}

// WriteError writes an error frame with the headers ":error-code", ":error-message" and
// ":message-type" error, and no payload.
func (w *Writer) WriteError(code, message string) error {
	if code == "" {
		return errors.New("bedrock: error frame without a code")
	}
	w.hdr[0] = eventstream.Header{Name: ":error-code", Value: eventstream.StringValue(code)}
	w.hdr[1] = eventstream.Header{Name: ":error-message", Value: eventstream.StringValue(message)}
	w.hdr[2] = eventstream.Header{Name: ":message-type", Value: eventstream.StringValue("error")}
	w.f.Headers = w.hdr[:]
	w.f.Payload = nil
	return w.encode()
}

func (w *Writer) write(typeHeader, typ, messageType string, payload []byte) error {
	w.hdr[0] = eventstream.Header{Name: typeHeader, Value: eventstream.StringValue(typ)}
	w.hdr[1] = eventstream.Header{Name: ":content-type", Value: eventstream.StringValue("application/json")}
	w.hdr[2] = eventstream.Header{Name: ":message-type", Value: eventstream.StringValue(messageType)}
	w.f.Headers = w.hdr[:]
	w.f.Payload = payload
	return w.encode()
}

func (w *Writer) encode() error {
	if err := w.enc.Encode(&w.f); err != nil {
		return err
	}
	w.frames++
	if w.flush != nil {
		w.flush.Flush()
	}
	return nil
}
