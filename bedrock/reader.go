package bedrock

import (
	"encoding/base64"
	"encoding/json"

	"fmt"
	"io"
	"mime"
	"net/http"
	"time"

	"github.com/framewire/eventstream"
)

// An Event is one event of a response stream.
type Event struct {
	// Type is the ":event-type" header: "chunk" for InvokeModelWithResponseStream,
	// "messageStart", "contentBlockDelta", ... for ConverseStream, or any type a newer
	// service sends.
	Type string
	// Payload is, for a chunk, the model's own JSON (the chunk's "bytes" field, base64
	// decoded); for an event with JSON content, the event's JSON object without the "p"
	// padding member; for other content, the payload as sent. It stays valid until the next
	// call to Next.
	Payload []byte
}

// A Reader reads the events of an InvokeModelWithResponseStream or ConverseStream response
// body.
//
// Next returns [io.EOF] only when the stream ends cleanly at a frame boundary; a stream that
// ends inside a frame gives [io.ErrUnexpectedEOF]. A clean end is not a finished answer: the
// service's streams have no end frame, so use [Reader.Complete] to learn whether the
// terminal event arrived. Errors are sticky: after any error, including an exception, Next
// returns the same error again.
type Reader struct {
	dec *eventstream.Decoder
	f   eventstream.Frame
	buf []byte // decoded chunk bytes, or an event without its padding
	err error

	complete   bool // the terminal event was seen
	sawStop    bool // ConverseStream messageStop was seen
	metrics    InvocationMetrics
	hasMetrics bool
}

// NewReader returns a Reader that reads frames from r.
func NewReader(r io.Reader) *Reader {
	return &Reader{dec: eventstream.NewDecoder(r)}
}

// Decoder returns the frame decoder the Reader uses, for setting its limits before the first
// call to Next.
func (r *Reader) Decoder() *eventstream.Decoder { return r.dec }

// ContentType is the media type of an event stream response body.
const ContentType = "application/vnd.amazon.eventstream"

// ReadResponse returns a Reader over the body of a response to InvokeModelWithResponseStream
// or ConverseStream. For a non-2xx status it reads the body (up to 1 MiB) and returns an
// [*APIError] built from the status, the x-amzn-ErrorType header and the JSON body. For a 2xx
// status whose Content-Type is not application/vnd.amazon.eventstream it returns an error. In
// every case the caller still closes resp.Body.
func ReadResponse(resp *http.Response) (*Reader, error) {
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		if err != nil {
			return nil, fmt.Errorf("bedrock: reading %d response: %w", resp.StatusCode, err)
		}
		return nil, parseAPIError(resp.StatusCode, resp.Header, body)
	}
	ct := resp.Header.Get("Content-Type")
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil || mt != ContentType {
		return nil, fmt.Errorf("bedrock: response content type %q, want %s", ct, ContentType)
	}
	return NewReader(resp.Body), nil
}

// Complete reports whether the stream's terminal event has been read and no error other than
// [io.EOF] has been returned since. The terminal event is a chunk carrying
// "amazon-bedrock-invocationMetrics" (the last chunk of every model family), a Claude
// "message_stop" chunk or a Cohere Command R "stream-end" chunk, or, for ConverseStream, a
// metadata event after messageStop. A caller that got io.EOF and Complete() == false has an
// answer that was cut short.
func (r *Reader) Complete() bool { return r.complete }

// InvocationMetrics returns the "amazon-bedrock-invocationMetrics" of the last chunk that
// carried them, and false if none has.
func (r *Reader) InvocationMetrics() (InvocationMetrics, bool) { return r.metrics, r.hasMetrics }

// Next returns the next event. Exception frames give an [*Exception], error frames a
// [*StreamError], frames that are not valid Bedrock events a [*FormatError], and frame
// defects the decoder's error (see package eventstream). Unknown event types are returned as
// events. The Event's Payload stays valid until the next call to Next.
//
// In steady state (a stream of chunks), Next does not allocate.
func (r *Reader) Next() (Event, error) {
	if r.err != nil {
		return Event{}, r.err
	}
	off := r.dec.InputOffset()
	if err := r.dec.Decode(&r.f); err != nil {
		return Event{}, r.fail(err)
	}
	mt, err := r.stringHeader(off, ":message-type")
	if err != nil {
		return Event{}, r.fail(err)
	}
	switch mt {
	case "event":
		return r.event(off)
	case "exception":
		return Event{}, r.fail(r.exception(off))
	case "error":
		return Event{}, r.fail(r.streamError(off))
	}
	return Event{}, r.fail(&FormatError{Offset: off, Detail: fmt.Sprintf("unknown :message-type %q", mt)})
}

func (r *Reader) fail(err error) error {
	r.err = err
	if err != io.EOF {
		r.complete = false
	}
	return err
}

// stringHeader returns the string header name, which must be present and non-empty.
func (r *Reader) stringHeader(off int64, name string) (string, error) {
	v, ok := r.f.Header(name)
	if !ok {
		return "", &FormatError{Offset: off, Detail: "missing " + name + " header"}
	}
	if v.Type() != eventstream.TypeString {
		return "", &FormatError{Offset: off, Detail: fmt.Sprintf("%s header has type %v, want string", name, v.Type())}
	}
	s := v.String()
	if s == "" {
		return "", &FormatError{Offset: off, Detail: "empty " + name + " header"}
	}
	return s, nil
}

func (r *Reader) event(off int64) (Event, error) {
	et, err := r.stringHeader(off, ":event-type")
	if err != nil {
		return Event{}, r.fail(err)
	}
	if et == "chunk" {
		p, err := r.chunk(off)
		if err != nil {
			return Event{}, r.fail(err)
		}
		return Event{Type: et, Payload: p}, nil
	}
	payload := r.f.Payload
	if v, ok := r.f.Header(":content-type"); ok && v.String() != "application/json" {
		// Not ours to interpret: hand it over as sent.
		return Event{Type: et, Payload: payload}, nil
	}
	if !json.Valid(payload) {
		return Event{}, r.fail(&FormatError{Offset: off, Detail: et + " event payload is not JSON"})
	}
	m, ok := objectMembers(payload)
	if !ok {
		return Event{}, r.fail(&FormatError{Offset: off, Detail: et + " event payload is not a JSON object"})
	}
	payload = r.stripPadding(m, payload)
	switch et {
	case "messageStop":
		r.sawStop = true
	case "metadata":
		if r.sawStop {
			r.complete = true
		}
	}
	return Event{Type: et, Payload: payload}, nil
}

// stripPadding returns the object without its "p" members, rebuilt in r.buf if it had any.
func (r *Reader) stripPadding(m members, obj []byte) []byte {
	scan := m
	found := false
	for k, _, ok := scan.next(); ok; k, _, ok = scan.next() {
		if keyIs(k, "p") {
			found = true
			break
		}
	}
	if !found {
		return obj
	}
	b := append(r.buf[:0], '{')
	first := true
	for k, v, ok := m.next(); ok; k, v, ok = m.next() {
		if keyIs(k, "p") {
			continue
		}
		if !first {
			b = append(b, ',')
		}
		first = false
		b = append(b, '"')
		b = append(b, k...)
		b = append(b, '"', ':')
		b = append(b, v...)
	}
	b = append(b, '}')
	r.buf = b
	return b
}

// chunk decodes a chunk's {"bytes":"<base64>","p":"..."} payload into r.buf.
func (r *Reader) chunk(off int64) ([]byte, error) {
	payload := r.f.Payload
	b64, ok := serviceEnvelope(payload)
	if !ok {
		var err error
		if b64, err = envelopeBytes(off, payload); err != nil {
			return nil, err
		}
	}
	n := base64.StdEncoding.DecodedLen(len(b64))
	if cap(r.buf) < n {
		r.buf = make([]byte, n, max(n, 2*cap(r.buf)))
	}
	n, err := base64.StdEncoding.Decode(r.buf[:n], b64)
	if err != nil {
		return nil, &FormatError{Offset: off, Detail: "chunk \"bytes\" is not base64", Err: err}
	}
	model := r.buf[:n]
	if !json.Valid(model) {
		return nil, &FormatError{Offset: off, Detail: "chunk \"bytes\" does not hold JSON"}
	}
	r.noteChunk(model)
	return model, nil
}

// base64 and padding characters, as they may appear in the service's envelope.
var (
	isBase64 = charTable("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=")
	isPad    = charTable(padAlphabet)
)

func charTable(chars string) (t [256]bool) {
	for i := 0; i < len(chars); i++ {
		t[chars[i]] = true
	}
	return t
}

// serviceEnvelope recognises the envelope exactly as the service and Writer lay it out,
// {"bytes":"<base64>","p":"<letters and digits>"} or {"bytes":"<base64>"}, which is valid
// JSON by construction, and returns the base64 text without running a JSON validator over it.
func serviceEnvelope(p []byte) ([]byte, bool) {
	const head, mid, end = `{"bytes":"`, `","p":"`, `"}`
	if len(p) < len(head)+len(end) || string(p[:len(head)]) != head {
		return nil, false
	}
	rest := p[len(head):]
	i := 0
	for i < len(rest) && isBase64[rest[i]] {
		i++
	}
	b64, tail := rest[:i], rest[i:]
	if string(tail) == end {
		return b64, true
	}
	if len(tail) < len(mid)+len(end) || string(tail[:len(mid)]) != mid || string(tail[len(tail)-len(end):]) != end {
		return nil, false
	}
	for _, c := range tail[len(mid) : len(tail)-len(end)] {
		if !isPad[c] {
			return nil, false
		}
	}
	return b64, true
}

// envelopeBytes finds the base64 text of any other envelope that is valid JSON.
func envelopeBytes(off int64, payload []byte) ([]byte, error) {
	if !json.Valid(payload) {
		return nil, &FormatError{Offset: off, Detail: "chunk payload is not JSON"}
	}
	m, ok := objectMembers(payload)
	if !ok {
		return nil, &FormatError{Offset: off, Detail: "chunk payload is not a JSON object"}
	}
	var raw []byte
	escaped := false
	for k, v, ok := m.next(); ok; k, v, ok = m.next() {
		if hasByte(k, '\\') {
			escaped = true
		}
		if string(k) == "bytes" {
			raw = v
		}
	}
	if escaped {
		// Keys with escapes are legal JSON that no service sends; take the slow path.
		var doc struct {
			Bytes json.RawMessage `json:"bytes"`
		}
		if err := json.Unmarshal(payload, &doc); err != nil {
			return nil, &FormatError{Offset: off, Detail: "chunk payload", Err: err}
		}
		raw = doc.Bytes
	}
	if raw == nil {
		return nil, &FormatError{Offset: off, Detail: "chunk payload has no \"bytes\" member"}
	}
	if len(raw) < 2 || raw[0] != '"' {
		return nil, &FormatError{Offset: off, Detail: "chunk \"bytes\" is not a string"}
	}
	b64 := raw[1 : len(raw)-1]
	if hasByte(b64, '\\') {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, &FormatError{Offset: off, Detail: "chunk \"bytes\"", Err: err}
		}
		b64 = []byte(s)
	}
	return b64, nil
}

// noteChunk records the terminal markers and metrics of a chunk's model JSON.
func (r *Reader) noteChunk(model []byte) {
	m, ok := objectMembers(model)
	if !ok {
		return
	}
	for k, v, ok := m.next(); ok; k, v, ok = m.next() {
		switch string(k) {
		case metricsKey:
			if im, ok := parseMetrics(v); ok {
				r.metrics, r.hasMetrics = im, true
				r.complete = true
			}
		case "type":
			if string(v) == `"message_stop"` {
				r.complete = true
			}
		case "event_type":
			if string(v) == `"stream-end"` { // Cohere Command R
				r.complete = true
			}
		}
	}
}

func (r *Reader) exception(off int64) error {
	et, err := r.stringHeader(off, ":exception-type")
	if err != nil {
		return err
	}
	var doc struct {
		Message            string `json:"message"`
		OriginalStatusCode int    `json:"originalStatusCode"`
		OriginalMessage    string `json:"originalMessage"`
	}
	if err := json.Unmarshal(r.f.Payload, &doc); err != nil {
		return &FormatError{Offset: off, Detail: et + " payload is not the expected JSON", Err: err}
	}
	return &Exception{Type: et, Message: doc.Message, OriginalStatusCode: doc.OriginalStatusCode, OriginalMessage: doc.OriginalMessage}
}

func (r *Reader) streamError(off int64) error {
	code, err := r.stringHeader(off, ":error-code")
	if err != nil {
		return err
	}
	var msg string
	if v, ok := r.f.Header(":error-message"); ok {
		if v.Type() != eventstream.TypeString {
			return &FormatError{Offset: off, Detail: fmt.Sprintf(":error-message header has type %v, want string", v.Type())}
		}
		msg = v.String()
	}
	return &StreamError{Code: code, Message: msg}
}

// metricsKey is the member of a model's last chunk that carries the invocation metrics.
const metricsKey = "amazon-bedrock-invocationMetrics"

// InvocationMetrics are the "amazon-bedrock-invocationMetrics" the service adds to the last
// chunk of an InvokeModelWithResponseStream response.
type InvocationMetrics struct {
	InputTokenCount   int
	OutputTokenCount  int
	InvocationLatency time.Duration // whole milliseconds on the wire
	FirstByteLatency  time.Duration // whole milliseconds on the wire
}

// ChunkMetrics returns the "amazon-bedrock-invocationMetrics" of a chunk's model JSON, and
// false if it has none.
func ChunkMetrics(chunk []byte) (InvocationMetrics, bool) {
	if !json.Valid(chunk) {
		return InvocationMetrics{}, false
	}
	m, ok := objectMembers(chunk)
	if !ok {
		return InvocationMetrics{}, false
	}
	var im InvocationMetrics
	found := false
	for k, v, ok := m.next(); ok; k, v, ok = m.next() {
		if string(k) == metricsKey {
			im, found = parseMetrics(v)
		}
	}
	return im, found
}

// parseMetrics reads the metrics object v; members that are not whole numbers are ignored.
func parseMetrics(v []byte) (InvocationMetrics, bool) {
	m, ok := objectMembers(v)
	if !ok {
		return InvocationMetrics{}, false
	}
	var im InvocationMetrics
	for k, v, ok := m.next(); ok; k, v, ok = m.next() {
		n, isNum := parseUint(v)
		if !isNum {
			continue
		}
		switch string(k) {
		case "inputTokenCount":
			im.InputTokenCount = int(n)
		case "outputTokenCount":
			im.OutputTokenCount = int(n)
		case "invocationLatency":
			im.InvocationLatency = time.Duration(n) * time.Millisecond
		case "firstByteLatency":
			im.FirstByteLatency = time.Duration(n) * time.Millisecond
		}
	}
	return im, true
}
