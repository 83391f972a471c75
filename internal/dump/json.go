// Package dump converts event stream frames to and from the JSON form that the eventstream
// command prints and reads, and that the conformance corpus in testdata/corpus uses for its
// expected results.
//
// One frame is one JSON object, with its fields always in this order:
//
//	{"offset":0,"headers":[{"name":":event-type","type":"string","value":"chunk"}],"payload":"e30=","text":"{}"}
//
// offset is the frame's position in its stream. Each header has a name, a type (bool, byte,
// int16, int32, int64, bytes, string, timestamp or uuid) and a value: a JSON boolean for bool,
// a number for the integer types, standard base64 for bytes, the string itself for string, RFC
// 3339 in UTC with milliseconds for timestamp (a number of milliseconds since the Unix epoch
// when the year is outside 0000..9999, which RFC 3339 cannot write) and the canonical
// 8-4-4-4-12 form for uuid. A string value that is not valid UTF-8 cannot be carried by a
// JSON string: it gets an extra "base64" field with its exact bytes, and "value" shows it
// with invalid bytes replaced by U+FFFD (the two must agree when read back). payload is
// standard base64; text repeats it as a string when it is valid UTF-8. Base64 is always the
// canonical form: padded, no line breaks, zero padding bits.
//
// Reading the form back ([Frame.ToFrame], and [Encode] line by line) gives the same frame, so
// dumping a stream and encoding the dump reproduces the stream byte for byte, for every frame
// the encoder accepts (a decoder accepts string and byte-array values up to 65,535 bytes, the
// encoder only up to [eventstream.MaxValueLen]). [Encode] reads the form strictly: what it
// cannot read exactly as written, it refuses.
package dump

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/framewire/eventstream"
)

// Frame is the JSON form of one frame.
type Frame struct {
	Offset  int64    `json:"offset"`
	Headers []Header `json:"headers"`
	Payload string   `json:"payload"`        // standard base64
	Text    *string  `json:"text,omitempty"` // the payload, when it is valid UTF-8
}

// Header is the JSON form of one header.
type Header struct {
	Name  string          `json:"name"`
	Type  string          `json:"type"`
	Value json.RawMessage `json:"value"`
	// Base64 holds the exact bytes of a string value that is not valid UTF-8.
	Base64 string `json:"base64,omitempty"`
}

// Type names used in the JSON form, by header type. Both bool types are "bool".
var typeNames = [...]string{
	eventstream.TypeBoolTrue:  "bool",
	eventstream.TypeBoolFalse: "bool",
	eventstream.TypeByte:      "byte",
	eventstream.TypeInt16:     "int16",
	eventstream.TypeInt32:     "int32",
	eventstream.TypeInt64:     "int64",
	eventstream.TypeBytes:     "bytes",
	eventstream.TypeString:    "string",
	eventstream.TypeTimestamp: "timestamp",
	eventstream.TypeUUID:      "uuid",
}

// timeLayout is RFC 3339 with exactly three fractional digits, as written for timestamps.
const timeLayout = "2006-01-02T15:04:05.000Z07:00"

// FromFrame returns the JSON form of f, found at offset in its stream. It copies what it
// needs, so f may be decoded into again afterwards.
func FromFrame(offset int64, f *eventstream.Frame) Frame {
	j := Frame{
		Offset:  offset,
		Headers: make([]Header, 0, len(f.Headers)),
		Payload: base64.StdEncoding.EncodeToString(f.Payload),
	}
	if utf8.Valid(f.Payload) {
		s := string(f.Payload)
		j.Text = &s
	}
	for _, h := range f.Headers {
		j.Headers = append(j.Headers, fromHeader(h))
	}
	return j
}

func fromHeader(h eventstream.Header) Header {
	v := h.Value
	t := v.Type()
	j := Header{Name: h.Name}
	if int(t) < len(typeNames) {
		j.Type = typeNames[t]
	} else {
		j.Type = t.String() // not reached for decoded frames
	}
	var val any
	switch t {
	case eventstream.TypeBoolTrue, eventstream.TypeBoolFalse:
		val = v.Bool()
	case eventstream.TypeByte, eventstream.TypeInt16, eventstream.TypeInt32, eventstream.TypeInt64:
		val = v.Int64()
	case eventstream.TypeBytes:
		val = base64.StdEncoding.EncodeToString(v.Bytes())
	case eventstream.TypeString:
		b := v.Bytes()
		if utf8.Valid(b) {
			val = string(b)
		} else {
			val = strings.ToValidUTF8(string(b), "\uFFFD")
			j.Base64 = base64.StdEncoding.EncodeToString(b)
		}
	case eventstream.TypeTimestamp:
		ms := v.Int64()
		if tm := time.UnixMilli(ms).UTC(); tm.Year() >= 0 && tm.Year() <= 9999 {
			val = tm.Format(timeLayout)
		} else {
			val = ms
		}
	case eventstream.TypeUUID:
		val = v.String() // the canonical 8-4-4-4-12 form
	}
	j.Value = marshal(val)
	return j
}

// marshal encodes a scalar without HTML escaping, so that strings read as they are.
func marshal(v any) json.RawMessage {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		panic("dump: " + err.Error()) // scalars of the types above always encode
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n"))
}

// decodeBase64 decodes standard base64 strictly: padding bits must be zero and line breaks,
// which the base64 package would skip, are refused, so that each byte string has one form.
func decodeBase64(s string) ([]byte, error) {
	if strings.ContainsAny(s, "\r\n") {
		return nil, errors.New("not standard base64: a line break")
	}
	b, err := base64.StdEncoding.Strict().DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("not standard base64: %v", err)
	}
	return b, nil
}

func parseUUID(s string) ([16]byte, error) {
	var u [16]byte
	if len(s) != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
		return u, errors.New("not in the 8-4-4-4-12 form")
	}
	h := s[0:8] + s[9:13] + s[14:18] + s[19:23] + s[24:]
	if _, err := hex.Decode(u[:], []byte(h)); err != nil {
		return u, errors.New("not hexadecimal")
	}
	return u, nil
}

// ToFrame returns the frame that j describes. Offset is ignored. Text is used only when
// Payload is empty; when both are given they must agree. The frame is not checked against
// the encoder's limits: [eventstream.Frame.AppendBinary] does that.
func (j *Frame) ToFrame() (*eventstream.Frame, error) {
	f := &eventstream.Frame{Headers: make([]eventstream.Header, 0, len(j.Headers))}
	p, err := decodeBase64(j.Payload)
	if err != nil {
		return nil, fmt.Errorf("payload: %v", err)
	}
	switch {
	case j.Text != nil && j.Payload == "":
		p = []byte(*j.Text)
	case j.Text != nil && *j.Text != string(p):
		return nil, errors.New("payload and text disagree")
	}
	f.Payload = p
	for i := range j.Headers {
		v, err := j.Headers[i].value()
		if err != nil {
			return nil, fmt.Errorf("header %d (%q): %v", i, j.Headers[i].Name, err)
		}
		f.Headers = append(f.Headers, eventstream.Header{Name: j.Headers[i].Name, Value: v})
	}
	return f, nil
}

func (h *Header) value() (eventstream.Value, error) {
	if len(h.Value) == 0 || string(h.Value) == "null" {
		return eventstream.Value{}, errors.New("no value")
	}
	if h.Base64 != "" && h.Type != "string" {
		return eventstream.Value{}, errors.New("base64 is only for string values")
	}
	switch h.Type {
	case "bool":
		var b bool
		if err := json.Unmarshal(h.Value, &b); err != nil {
			return eventstream.Value{}, errors.New("bool value must be true or false")
		}
		return eventstream.BoolValue(b), nil
	case "byte", "int16", "int32", "int64":
		var n int64
		if err := json.Unmarshal(h.Value, &n); err != nil {
			return eventstream.Value{}, fmt.Errorf("%s value must be an integer", h.Type)
		}
		switch h.Type {
		case "byte":
			if n < -1<<7 || n >= 1<<7 {
				return eventstream.Value{}, fmt.Errorf("byte value %d outside -128..127", n)
			}
			return eventstream.ByteValue(int8(n)), nil
		case "int16":
			if n < -1<<15 || n >= 1<<15 {
				return eventstream.Value{}, fmt.Errorf("int16 value %d outside -32768..32767", n)
			}
			return eventstream.Int16Value(int16(n)), nil
		case "int32":
			if n < -1<<31 || n >= 1<<31 {
				return eventstream.Value{}, fmt.Errorf("int32 value %d outside the int32 range", n)
			}
			return eventstream.Int32Value(int32(n)), nil
		}
		return eventstream.Int64Value(n), nil
	case "bytes":
		var s string
		if err := json.Unmarshal(h.Value, &s); err != nil {
			return eventstream.Value{}, errors.New("bytes value must be a base64 string")
		}
		b, err := decodeBase64(s)
		if err != nil {
			return eventstream.Value{}, fmt.Errorf("bytes value: %v", err)
		}
		return eventstream.BytesValue(b), nil
	case "string":
		var s string
		if err := json.Unmarshal(h.Value, &s); err != nil {
			return eventstream.Value{}, errors.New("string value must be a string")
		}
		if h.Base64 != "" {
			b, err := decodeBase64(h.Base64)
			if err != nil {
				return eventstream.Value{}, fmt.Errorf("base64: %v", err)
			}
			// value shows the bytes with invalid UTF-8 replaced: an edit of one without
			// the other is refused rather than half applied.
			if shown := strings.ToValidUTF8(string(b), "\uFFFD"); s != shown {
				return eventstream.Value{}, errors.New("value and base64 disagree (value must be base64's bytes with invalid UTF-8 shown as U+FFFD)")
			}
			s = string(b)
		}
		return eventstream.StringValue(s), nil
	case "timestamp":
		var ms int64
		if err := json.Unmarshal(h.Value, &ms); err == nil {
			return eventstream.TimestampValue(time.UnixMilli(ms)), nil
		}
		var s string
		if err := json.Unmarshal(h.Value, &s); err != nil {
			return eventstream.Value{}, errors.New("timestamp value must be an RFC 3339 string or milliseconds since the Unix epoch")
		}
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return eventstream.Value{}, fmt.Errorf("timestamp value %q is not RFC 3339", s)
		}
		if t.Nanosecond()%int(time.Millisecond) != 0 {
			return eventstream.Value{}, fmt.Errorf("timestamp value %q is more precise than the millisecond the format carries", s)
		}
		return eventstream.TimestampValue(t), nil
	case "uuid":
		var s string
		if err := json.Unmarshal(h.Value, &s); err != nil {
			return eventstream.Value{}, errors.New("uuid value must be a string")
		}
		u, err := parseUUID(s)
		if err != nil {
			return eventstream.Value{}, fmt.Errorf("uuid value %q: %v", s, err)
		}
		return eventstream.UUIDValue(u), nil
	}
	return eventstream.Value{}, fmt.Errorf("unknown type %q (want bool, byte, int16, int32, int64, bytes, string, timestamp or uuid)", h.Type)
}
