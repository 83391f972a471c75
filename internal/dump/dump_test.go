package dump

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/framewire/eventstream"
)

const corpusDir = "../../testdata/corpus"

// encodeFrames encodes fs with the codec.
func encodeFrames(t testing.TB, fs ...*eventstream.Frame) []byte {
	t.Helper()
	var b []byte
	for _, f := range fs {
		var err error
		if b, err = f.AppendBinary(b); err != nil {
			t.Fatal(err)
		}
	}
	return b
}

func TestFormat(t *testing.T) {
	u := [16]byte{0x12, 0x3e, 0x45, 0x67, 0xe8, 0x9b, 0x12, 0xd3, 0xa4, 0x56, 0x42, 0x66, 0x14, 0x17, 0x40, 0x00}
	f := &eventstream.Frame{
		Headers: []eventstream.Header{
			{Name: "t", Value: eventstream.BoolValue(true)},
			{Name: "f", Value: eventstream.BoolValue(false)},
			{Name: "b", Value: eventstream.ByteValue(-128)},
			{Name: "s", Value: eventstream.Int16Value(-2)},
			{Name: "i", Value: eventstream.Int32Value(3)},
			{Name: "l", Value: eventstream.Int64Value(math.MinInt64)},
			{Name: "ba", Value: eventstream.BytesValue([]byte{0xff, 0})},
			{Name: "str", Value: eventstream.StringValue("<&>")},
			{Name: "ts", Value: eventstream.TimestampValue(time.UnixMilli(-1))},
			{Name: "far", Value: eventstream.TimestampValue(time.UnixMilli(math.MaxInt64))},
			{Name: "id", Value: eventstream.UUIDValue(u)},
		},
		Payload: []byte(`{"a":1}`),
	}
	var out bytes.Buffer
	s, err := Dump(&out, bytes.NewReader(encodeFrames(t, f, &eventstream.Frame{Payload: []byte{0xff}})))
	if err != nil {
		t.Fatal(err)
	}
	want := `{"offset":0,"headers":[` +
		`{"name":"t","type":"bool","value":true},` +
		`{"name":"f","type":"bool","value":false},` +
		`{"name":"b","type":"byte","value":-128},` +
		`{"name":"s","type":"int16","value":-2},` +
		`{"name":"i","type":"int32","value":3},` +
		`{"name":"l","type":"int64","value":-9223372036854775808},` +
		`{"name":"ba","type":"bytes","value":"/wA="},` +
		`{"name":"str","type":"string","value":"<&>"},` +
		`{"name":"ts","type":"timestamp","value":"1969-12-31T23:59:59.999Z"},` +
		`{"name":"far","type":"timestamp","value":9223372036854775807},` +
		`{"name":"id","type":"uuid","value":"123e4567-e89b-12d3-a456-426614174000"}` +
		`],"payload":"eyJhIjoxfQ==","text":"{\"a\":1}"}` + "\n" +
		fmt.Sprintf(`{"offset":%d,"headers":[],"payload":"/w=="}`, f.EncodedLen()) + "\n"
	if out.String() != want {
		t.Errorf("Dump wrote\n%s\nwant\n%s", out.String(), want)
	}
	if s.Frames != 2 || s.Bytes != int64(f.EncodedLen()+17) {
		t.Errorf("Summary = %+v, want 2 frames, %d bytes", s, f.EncodedLen()+17)
	}
}

// roundTrip dumps b, encodes the dump and returns the result.
func roundTrip(t testing.TB, b []byte) ([]byte, error) {
	t.Helper()
	var text, bin bytes.Buffer
	if _, err := Dump(&text, bytes.NewReader(b)); err != nil {
		return nil, fmt.Errorf("Dump: %w", err)
	}
	if _, err := Encode(&bin, &text); err != nil {
		return nil, fmt.Errorf("Encode: %w", err)
	}
	return bin.Bytes(), nil
}

// TestCorpusRoundTrip checks that dump then encode reproduces every valid corpus vector, and
// the good frames before the error of every bad one.
func TestCorpusRoundTrip(t *testing.T) {
	bins, err := filepath.Glob(filepath.Join(corpusDir, "*.bin"))
	if err != nil || len(bins) == 0 {
		t.Fatalf("no corpus: %v", err)
	}
	for _, p := range bins {
		name := strings.TrimSuffix(filepath.Base(p), ".bin")
		t.Run(name, func(t *testing.T) {
			b, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			var text bytes.Buffer
			s, derr := Dump(&text, bytes.NewReader(b))
			var bin bytes.Buffer
			_, eerr := Encode(&bin, bytes.NewReader(text.Bytes()))
			if name == "value-65535" {
				// Decoders accept values up to 65,535 bytes; the encoder writes at most
				// 32,767 and must say so.
				if derr != nil || eerr == nil || !strings.Contains(eerr.Error(), "line 1: cannot encode: header value") {
					t.Fatalf("Dump error %v, Encode error %v; want a header value error from Encode", derr, eerr)
				}
				return
			}
			if eerr != nil {
				t.Fatalf("Encode: %v", eerr)
			}
			if !bytes.Equal(bin.Bytes(), b[:s.Bytes]) {
				t.Errorf("dump | encode gave %d bytes that differ from the %d good bytes of the input", bin.Len(), s.Bytes)
			}
			if derr == nil && s.Bytes != int64(len(b)) {
				t.Errorf("Dump succeeded over %d of %d bytes", s.Bytes, len(b))
			}
			if derr != nil && s.Bytes == int64(len(b)) && len(b) > 0 {
				t.Errorf("Dump failed (%v) after taking the whole input", derr)
			}
		})
	}
}

func randomValue(r *rand.Rand) eventstream.Value {
	randBytes := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(r.Uint32())
		}
		return b
	}
	switch r.IntN(10) {
	case 0:
		return eventstream.BoolValue(r.IntN(2) == 0)
	case 1:
		return eventstream.ByteValue(int8(r.Uint32()))
	case 2:
		return eventstream.Int16Value(int16(r.Uint32()))
	case 3:
		return eventstream.Int32Value(int32(r.Uint32()))
	case 4:
		return eventstream.Int64Value(int64(r.Uint64()))
	case 5:
		return eventstream.BytesValue(randBytes(r.IntN(64)))
	case 6:
		// Arbitrary bytes: often not UTF-8.
		return eventstream.StringValue(string(randBytes(r.IntN(64))))
	case 7:
		return eventstream.StringValue(strings.Repeat("é<\"\\\n\x00✓", r.IntN(8)))
	case 8:
		if r.IntN(4) == 0 {
			return eventstream.TimestampValue(time.UnixMilli(int64(r.Uint64()))) // any year
		}
		return eventstream.TimestampValue(time.UnixMilli(r.Int64N(1<<44) - 1<<43))
	default:
		var u [16]byte
		copy(u[:], randBytes(16))
		return eventstream.UUIDValue(u)
	}
}

func randomFrame(r *rand.Rand) *eventstream.Frame {
	f := &eventstream.Frame{}
	for i := range r.IntN(12) {
		f.Headers = append(f.Headers, eventstream.Header{Name: fmt.Sprintf("h%d-%x", i, r.Uint32()), Value: randomValue(r)})
	}
	switch r.IntN(3) {
	case 0:
		f.Payload = make([]byte, r.IntN(2000))
		for i := range f.Payload {
			f.Payload[i] = byte(r.Uint32())
		}
	case 1:
		f.Payload = []byte(strings.Repeat("text ✓ \"q\"\n", r.IntN(50)))
	}
	return f
}

// TestRandomRoundTrip checks dump | encode on streams of random frames of every header type.
func TestRandomRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for i := range 200 {
		var fs []*eventstream.Frame
		for range 1 + r.IntN(8) {
			fs = append(fs, randomFrame(r))
		}
		b := encodeFrames(t, fs...)
		got, err := roundTrip(t, b)
		if err != nil {
			t.Fatalf("stream %d: %v", i, err)
		}
		if !bytes.Equal(got, b) {
			t.Fatalf("stream %d: dump | encode changed the bytes", i)
		}
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, line, want string
	}{
		{"not json", `{"offset":0,`, "not a JSON frame"},
		{"trailing", `{"headers":[],"payload":""} x`, "text after the JSON object"},
		{"two objects", `{"headers":[],"payload":""}{"headers":[],"payload":""}`, "text after the JSON object"},
		{"unknown field", `{"headers":[],"payload":"","payloads":""}`, `unknown field "payloads"`},
		{"unknown header field", `{"headers":[{"name":"a","type":"bool","value":true,"x":1}],"payload":""}`, `unknown field "x"`},
		{"bad payload", `{"headers":[],"payload":"!!"}`, "payload: not standard base64"},
		{"payload text disagree", `{"headers":[],"payload":"YQ==","text":"b"}`, "payload and text disagree"},
		{"unknown type", `{"headers":[{"name":"a","type":"float","value":1}],"payload":""}`, `header 0 ("a"): unknown type "float"`},
		{"no value", `{"headers":[{"name":"a","type":"int32"}],"payload":""}`, `header 0 has no "value"`},
		{"null value", `{"headers":[{"name":"a","type":"int32","value":null}],"payload":""}`, "no value"},
		{"bool not bool", `{"headers":[{"name":"a","type":"bool","value":1}],"payload":""}`, "bool value must be true or false"},
		{"byte range", `{"headers":[{"name":"a","type":"byte","value":128}],"payload":""}`, "byte value 128 outside -128..127"},
		{"int16 range", `{"headers":[{"name":"a","type":"int16","value":-32769}],"payload":""}`, "outside -32768..32767"},
		{"int32 range", `{"headers":[{"name":"a","type":"int32","value":2147483648}],"payload":""}`, "outside the int32 range"},
		{"int64 range", `{"headers":[{"name":"a","type":"int64","value":9223372036854775808}],"payload":""}`, "int64 value must be an integer"},
		{"fraction", `{"headers":[{"name":"a","type":"int64","value":1.5}],"payload":""}`, "int64 value must be an integer"},
		{"bytes not base64", `{"headers":[{"name":"a","type":"bytes","value":"%%"}],"payload":""}`, "bytes value: not standard base64"},
		{"string not string", `{"headers":[{"name":"a","type":"string","value":5}],"payload":""}`, "string value must be a string"},
		{"base64 on int", `{"headers":[{"name":"a","type":"int32","value":5,"base64":"AA=="}],"payload":""}`, "base64 is only for string values"},
		{"timestamp text", `{"headers":[{"name":"a","type":"timestamp","value":"yesterday"}],"payload":""}`, "is not RFC 3339"},
		{"timestamp precision", `{"headers":[{"name":"a","type":"timestamp","value":"2024-01-01T00:00:00.0001Z"}],"payload":""}`, "more precise than the millisecond"},
		{"uuid form", `{"headers":[{"name":"a","type":"uuid","value":"123e4567e89b12d3a456426614174000"}],"payload":""}`, "not in the 8-4-4-4-12 form"},
		{"uuid hex", `{"headers":[{"name":"a","type":"uuid","value":"123e4567-e89b-12d3-a456-42661417400g"}],"payload":""}`, "not hexadecimal"},

		// What encoding/json alone would change rather than refuse.
		{"invalid UTF-8 in a value", "{\"headers\":[{\"name\":\"a\",\"type\":\"string\",\"value\":\"x\xffy\"}],\"payload\":\"\"}", "column 51: invalid UTF-8 (byte 0xff)"},
		{"invalid UTF-8 in a name", "{\"headers\":[{\"name\":\"\xc3\",\"type\":\"bool\",\"value\":true}],\"payload\":\"\"}", "column 22: invalid UTF-8 (byte 0xc3)"},
		{"invalid UTF-8 in text", "{\"headers\":[],\"payload\":\"\",\"text\":\"\xed\xa0\x80\"}", "column 36: invalid UTF-8 (byte 0xed)"},
		{"lone high surrogate", `{"headers":[{"name":"a","type":"string","value":"\ud800"}],"payload":""}`, `column 50: \ud800 is half of a UTF-16 surrogate pair`},
		{"lone low surrogate", `{"headers":[],"payload":"","text":"ab\uDC00"}`, `column 38: \uDC00 is half of a UTF-16 surrogate pair`},
		{"high surrogate then a letter", `{"headers":[],"payload":"","text":"\ud83d\u0041"}`, `\ud83d is half of a UTF-16 surrogate pair`},
		{"two high surrogates", `{"headers":[],"payload":"","text":"\ud83d\ud83d\ude00"}`, `column 36: \ud83d is half`},
		{"surrogate in a key", `{"headers":[],"payload":"","\ud800":1}`, `\ud800 is half`},
		{"duplicate key", `{"headers":[],"payload":"YQ==","payload":""}`, `the frame has the key "payload" twice`},
		{"duplicate key escaped", `{"headers":[],"payload":"YQ==","\u0070ayload":""}`, `the frame has the key "payload" twice`},
		{"duplicate headers", `{"headers":[],"headers":[{"name":"a","type":"bool","value":true}],"payload":""}`, `the frame has the key "headers" twice`},
		{"duplicate header key", `{"headers":[{"name":"a","type":"bool","value":true,"value":false}],"payload":""}`, `header 0 has the key "value" twice`},
		{"duplicate header name key", `{"headers":[{"name":"a","name":"b","type":"bool","value":true}],"payload":""}`, `header 0 has the key "name" twice`},
		{"key in another case", `{"headers":[],"payload":"","Payload":"YQ=="}`, `unknown field "Payload"`},
		{"header key in another case", `{"headers":[{"name":"a","type":"bool","Value":true}],"payload":""}`, `header 0: unknown field "Value"`},
		{"no headers", `{"payload":""}`, `the frame has no "headers"`},
		{"no payload", `{"headers":[]}`, `the frame has no "payload"`},
		{"text but no payload", `{"headers":[],"text":"hello"}`, `the frame has no "payload"`},
		{"no name", `{"headers":[{"type":"bool","value":true}],"payload":""}`, `header 0 has no "name"`},
		{"no type", `{"headers":[{"name":"a","value":true}],"payload":""}`, `header 0 has no "type"`},
		{"no value second header", `{"headers":[{"name":"a","type":"bool","value":true},{"name":"b","type":"bool"}],"payload":""}`, `header 1 has no "value"`},
		{"null headers", `{"headers":null,"payload":""}`, "headers is null, not an array"},
		{"null payload", `{"headers":[],"payload":null}`, "payload is null, not a string"},
		{"null text", `{"headers":[],"payload":"","text":null}`, "text is null, not a string"},
		{"null name", `{"headers":[{"name":null,"type":"bool","value":true}],"payload":""}`, "header 0: name is null, not a string"},
		{"null type", `{"headers":[{"name":"a","type":null,"value":true}],"payload":""}`, "header 0: type is null, not a string"},
		{"header not object", `{"headers":["a"],"payload":""}`, `header 0 is "a", not a JSON object`},
		{"headers object", `{"headers":{},"payload":""}`, `headers is an object, not an array`},
		{"frame not object", `[1]`, `the frame is an array, not a JSON object`},
		{"payload number", `{"headers":[],"payload":5}`, `payload is the number 5, not a string`},
		{"offset fraction", `{"offset":1.5,"headers":[],"payload":""}`, `offset is the number 1.5, not an integer`},
		{"offset string", `{"offset":"0","headers":[],"payload":""}`, `offset is "0", not an integer`},
		{"unclosed", `{"headers":[],"payload":""`, "not a JSON frame"},
		{"base64 padding bits", `{"headers":[],"payload":"YR=="}`, "payload: not standard base64"},
		{"base64 line break", `{"headers":[],"payload":"YQ\n=="}`, "payload: not standard base64: a line break"},
		{"bytes padding bits", `{"headers":[{"name":"a","type":"bytes","value":"/x=="}],"payload":""}`, "bytes value: not standard base64"},
		{"string base64 padding bits", `{"headers":[{"name":"a","type":"string","value":"\ufffd","base64":"/x=="}],"payload":""}`, "base64: not standard base64"},
		{"value and base64 disagree", `{"headers":[{"name":"a","type":"string","value":"edited","base64":"/w=="}],"payload":""}`, "value and base64 disagree"},
		{"empty base64", `{"headers":[{"name":"a","type":"string","value":"x","base64":""}],"payload":""}`, "base64 is empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := parseLine([]byte(tt.line))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("parseLine(%s) = %v, %v; want an error containing %q", tt.line, f, err, tt.want)
			}
		})
	}
}

func TestParseAccepts(t *testing.T) {
	u := [16]byte{0x12, 0x3e, 0x45, 0x67, 0xe8, 0x9b, 0x12, 0xd3, 0xa4, 0x56, 0x42, 0x66, 0x14, 0x17, 0x40, 0x00}
	f, err := parseLine([]byte(`{"headers":[` +
		`{"name":"ts","type":"timestamp","value":"2024-01-01T01:00:00.5+01:00"},` +
		`{"name":"ms","type":"timestamp","value":-5},` +
		`{"name":"id","type":"uuid","value":"123E4567-E89B-12D3-A456-426614174000"},` +
		`{"name":"raw","type":"string","value":"\ufffd","base64":"/w=="},` +
		`{"name":"esc","type":"string","value":"\\ud800 \ud83d\ude00 \u00e9 \\\\"}` +
		`],"payload":"","text":"hello"}`))
	if err != nil {
		t.Fatal(err)
	}
	want := []eventstream.Header{
		{Name: "ts", Value: eventstream.TimestampValue(time.Date(2024, 1, 1, 0, 0, 0, 500e6, time.UTC))},
		{Name: "ms", Value: eventstream.TimestampValue(time.UnixMilli(-5))},
		{Name: "id", Value: eventstream.UUIDValue(u)},
		{Name: "raw", Value: eventstream.StringValue("\xff")},
		{Name: "esc", Value: eventstream.StringValue(`\ud800 😀 é \\`)},
	}
	if len(f.Headers) != len(want) {
		t.Fatalf("got %d headers, want %d", len(f.Headers), len(want))
	}
	for i := range want {
		if f.Headers[i].Name != want[i].Name || !f.Headers[i].Value.Equal(want[i].Value) {
			t.Errorf("header %d = %s %v, want %s %v", i, f.Headers[i].Name, f.Headers[i].Value, want[i].Name, want[i].Value)
		}
	}
	if string(f.Payload) != "hello" {
		t.Errorf("payload from text = %q, want hello", f.Payload)
	}
}

func TestEncodeErrors(t *testing.T) {
	good := `{"offset":0,"headers":[{"name":"a","type":"string","value":"b"}],"payload":"","text":""}`
	tests := []struct {
		name, in, want string
		frames         int
	}{
		{"bad line after good ones", good + "\n\n" + good + "\n{\n", "dump: line 4: not a JSON frame", 2},
		{"empty name", good + "\n" + `{"headers":[{"name":"","type":"bool","value":true}],"payload":""}`, `dump: line 2: cannot encode: header name "" has length 0, outside 1..255: malformed frame`, 1},
		{"duplicate name", `{"headers":[{"name":"a","type":"bool","value":true},{"name":"a","type":"bool","value":false}],"payload":""}`, `dump: line 1: cannot encode: header name`, 0},
		{"value too long", `{"headers":[{"name":"a","type":"string","value":"` + strings.Repeat("x", 32768) + `"}],"payload":""}`, "dump: line 1: cannot encode: header value", 0},
		{"invalid UTF-8", good + "\n" + good + "\n" + `{"headers":[],"payload":"","text":"` + "\xff" + `"}`, "dump: line 3, column 36: invalid UTF-8 (byte 0xff)", 2},
		{"surrogate", good + "\n" + `{"headers":[],"payload":"","text":"\udfff"}`, `dump: line 2, column 36: \udfff is half of a UTF-16 surrogate pair`, 1},
		{"duplicate key", good + "\n" + `{"headers":[],"payload":"","text":"a","text":"b"}`, `dump: line 2: the frame has the key "text" twice`, 1},
		{"no payload", good + "\n\n" + `{"headers":[]}`, `dump: line 3: the frame has no "payload"`, 1},
		{"no headers", `{"payload":"YQ=="}`, `dump: line 1: the frame has no "headers"`, 0},
		{"no name", `{"headers":[{"type":"string","value":"b"}],"payload":""}`, `dump: line 1: header 0 has no "name"`, 0},
		{"no type", `{"headers":[{"name":"a","value":"b"}],"payload":""}`, `dump: line 1: header 0 has no "type"`, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			s, err := Encode(&out, strings.NewReader(tt.in))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Encode error = %v, want one containing %q", err, tt.want)
			}
			if s.Frames != tt.frames || int64(out.Len()) != s.Bytes {
				t.Errorf("Encode wrote %d bytes, summary %+v; want %d frames and the bytes counted", out.Len(), s, tt.frames)
			}
		})
	}
}

func TestEncodeNoFinalNewline(t *testing.T) {
	var out bytes.Buffer
	s, err := Encode(&out, strings.NewReader(`{"headers":[],"payload":""}`+"\n"+`{"headers":[],"payload":"YQ=="}`))
	if err != nil || s.Frames != 2 || out.Len() != 33 {
		t.Errorf("Encode = %+v, %v, %d bytes; want 2 frames, 33 bytes", s, err, out.Len())
	}
}

// TestEncodeLineLimit checks that an endless line is refused once maxLine bytes of it have
// been read, after the lines before it were encoded.
func TestEncodeLineLimit(t *testing.T) {
	defer func(n int) { maxLine = n }(maxLine)
	maxLine = 1 << 20
	var n countingReader
	n.r = io.MultiReader(strings.NewReader(`{"headers":[],"payload":""}`+"\n"+`{"payload":"`), infiniteA{})
	var out bytes.Buffer
	s, err := Encode(&out, &n)
	if err == nil || !strings.Contains(err.Error(), "line 2: longer than 1048576 bytes") || s.Frames != 1 || out.Len() != 16 {
		t.Errorf("Encode of an endless line = %+v, %v, %d bytes out; want a line length error on line 2 after one frame", s, err, out.Len())
	}
	if n.n > int64(maxLine)+64<<10+100 {
		t.Errorf("Encode read %d bytes before refusing a line over %d", n.n, maxLine)
	}
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

type infiniteA struct{}

func (infiniteA) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 'A'
	}
	return len(p), nil
}

func TestStreamErrors(t *testing.T) {
	f := &eventstream.Frame{Headers: []eventstream.Header{{Name: "a", Value: eventstream.StringValue("b")}}, Payload: []byte("x")}
	one := encodeFrames(t, f)
	two := encodeFrames(t, f, f)
	bad := append([]byte(nil), two...)
	bad[len(bad)-1] ^= 1
	readErr := errors.New("disk on fire")
	tests := []struct {
		name   string
		r      io.Reader
		frames int
		want   string
		is     error
	}{
		{"checksum", bytes.NewReader(bad), 1, fmt.Sprintf("eventstream: frame at offset %d: message crc", len(one)), eventstream.ErrChecksum},
		{"truncated", bytes.NewReader(two[:len(two)-3]), 1, fmt.Sprintf("dump: frame at offset %d: stream ends inside the frame: unexpected EOF", len(one)), io.ErrUnexpectedEOF},
		{"truncated prelude", bytes.NewReader(two[:len(one)+1]), 1, fmt.Sprintf("frame at offset %d: stream ends inside the frame", len(one)), io.ErrUnexpectedEOF},
		{"reader error", io.MultiReader(bytes.NewReader(one), iotest.ErrReader(readErr)), 1, fmt.Sprintf("dump: reading frame at offset %d: disk on fire", len(one)), readErr},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			s, err := Dump(&out, tt.r)
			if err == nil || !strings.Contains(err.Error(), tt.want) || !errors.Is(err, tt.is) {
				t.Fatalf("Dump error = %v, want one containing %q matching %v", err, tt.want, tt.is)
			}
			if s.Frames != tt.frames || strings.Count(out.String(), "\n") != tt.frames {
				t.Errorf("Dump printed %q (summary %+v), want %d frames before the error", out.String(), s, tt.frames)
			}
		})
	}
}

func TestVerify(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(corpusDir, "bedrock-chunks.bin"))
	if err != nil {
		t.Fatal(err)
	}
	s, err := Verify(bytes.NewReader(b))
	if err != nil || s.Frames != 17 || s.Bytes != int64(len(b)) {
		t.Errorf("Verify = %+v, %v; want 17 frames, %d bytes", s, err, len(b))
	}
	b, err = os.ReadFile(filepath.Join(corpusDir, "prelude-crc-corrupted.bin"))
	if err != nil {
		t.Fatal(err)
	}
	s, err = Verify(bytes.NewReader(b))
	var e *eventstream.Error
	if !errors.As(err, &e) || e.Field != "prelude crc" || e.Offset != 59 || s.Frames != 1 || s.Bytes != 59 {
		t.Errorf("Verify = %+v, %v; want a prelude crc error at offset 59 after 1 frame", s, err)
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("pipe closed") }

func TestWriteErrors(t *testing.T) {
	b := encodeFrames(t, &eventstream.Frame{Payload: []byte("x")})
	if _, err := Dump(failWriter{}, bytes.NewReader(b)); err == nil || !strings.Contains(err.Error(), "dump: writing: pipe closed") {
		t.Errorf("Dump to a failing writer = %v", err)
	}
	if _, err := Encode(failWriter{}, strings.NewReader(`{"headers":[],"payload":""}`)); err == nil || !strings.Contains(err.Error(), "dump: writing: pipe closed") {
		t.Errorf("Encode to a failing writer = %v", err)
	}
}

// FuzzDumpEncode feeds arbitrary bytes to Dump: it must not panic, and whatever decodes must
// encode back to the same bytes.
func FuzzDumpEncode(f *testing.F) {
	bins, _ := filepath.Glob(filepath.Join(corpusDir, "*.bin"))
	for _, p := range bins {
		if b, err := os.ReadFile(p); err == nil && len(b) < 8<<10 {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var text bytes.Buffer
		s, _ := Dump(&text, bytes.NewReader(b))
		var bin bytes.Buffer
		if _, err := Encode(&bin, &text); err != nil {
			if strings.Contains(err.Error(), "cannot encode: header value") {
				return // a value over 32,767 bytes: decodable, not encodable
			}
			t.Fatalf("Encode of Dump's output: %v", err)
		}
		if !bytes.Equal(bin.Bytes(), b[:s.Bytes]) {
			t.Fatalf("dump | encode changed the bytes")
		}
	})
}

// TestMaxLineCoversDump checks the bound of maxLine: on worst-case frames (payloads and names
// that escape to 6 bytes a byte, many tiny headers, every header type) and on random ones, the
// line Dump writes takes at most 22/3 bytes per frame byte, plus 24 per header and 80 per
// frame. With the default limits, every line Dump writes is then within maxLine, which is not
// looser than that by more than 1 MiB.
func TestMaxLineCoversDump(t *testing.T) {
	const perHeader, perFrame = 24, 80
	ctl := func(n int) []byte { return bytes.Repeat([]byte{1}, n) }
	name := func(i int) string { // distinct names of control characters, escaped to 6 bytes each
		s := string(rune(1 + i%31))
		for i /= 31; i > 0; i /= 31 {
			s += string(rune(1 + i%31))
		}
		return s
	}
	var frames []*eventstream.Frame
	for _, p := range [][]byte{ctl(1 << 20), bytes.Repeat([]byte("\u2028"), 1<<18), bytes.Repeat([]byte(`"`), 1<<18), {1}, {0xff}} {
		frames = append(frames, &eventstream.Frame{Payload: p})
	}
	tiny := &eventstream.Frame{Payload: ctl(1)}
	for i := range eventstream.DefaultMaxHeaders {
		tiny.Headers = append(tiny.Headers, eventstream.Header{Name: name(i), Value: eventstream.BoolValue(false)})
	}
	frames = append(frames, tiny)
	for _, v := range []eventstream.Value{
		eventstream.BoolValue(true), eventstream.ByteValue(-128), eventstream.Int16Value(math.MinInt16),
		eventstream.Int32Value(math.MinInt32), eventstream.Int64Value(math.MinInt64),
		eventstream.BytesValue(nil), eventstream.BytesValue(ctl(100)), eventstream.StringValue(""),
		eventstream.StringValue(string(ctl(eventstream.MaxValueLen))), eventstream.StringValue("\xff\xfe"),
		eventstream.TimestampValue(time.UnixMilli(math.MinInt64)), eventstream.TimestampValue(time.UnixMilli(0)),
		eventstream.UUIDValue([16]byte{}),
	} {
		f := &eventstream.Frame{}
		for i := range min(100, eventstream.DefaultMaxHeaderBlockLen/(8+len(v.Bytes()))) {
			f.Headers = append(f.Headers, eventstream.Header{Name: name(i), Value: v})
		}
		frames = append(frames, f)
	}
	r := rand.New(rand.NewPCG(9, 10))
	for range 200 {
		frames = append(frames, randomFrame(r))
	}
	worst := 0.0
	for i, f := range frames {
		b := encodeFrames(t, f)
		var out bytes.Buffer
		if _, err := Dump(&out, bytes.NewReader(b)); err != nil {
			t.Fatal(err)
		}
		n := out.Len() + 18 // the offset, written as 0, may take up to 19 digits
		bound := 22*len(b)/3 + perHeader*len(f.Headers) + perFrame
		if n > bound {
			t.Errorf("frame %d (%d bytes, %d headers): a line of %d bytes, over %d", i, len(b), len(f.Headers), n, bound)
		}
		worst = max(worst, float64(n-perFrame-perHeader*len(f.Headers))/float64(len(b)))
	}
	t.Logf("at most %.3f bytes of line per frame byte beyond the constants", worst)
	longest := 22*eventstream.DefaultMaxFrameLen/3 + perHeader*eventstream.DefaultMaxHeaders + perFrame
	if maxLine < longest || maxLine > longest+1<<20 {
		t.Errorf("maxLine = %d, want between %d, the longest line Dump writes, and 1 MiB more", maxLine, longest)
	}
}

// FuzzParseLine feeds arbitrary bytes to the line parser of Encode: it must not panic, and a
// line it accepts describes a frame that, once encoded, dumps to a line that encodes to the
// same bytes and parses to the same frame.
func FuzzParseLine(f *testing.F) {
	jsons, _ := filepath.Glob(filepath.Join(corpusDir, "*.json"))
	for _, p := range jsons {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		for _, line := range bytes.Split(b, []byte("\n")) {
			line = bytes.TrimSuffix(bytes.TrimSpace(line), []byte(","))
			if bytes.HasPrefix(line, []byte(`{"offset":`)) && len(line) < 4<<10 {
				f.Add(line)
			}
		}
	}
	for _, s := range []string{
		`{"headers":[{"name":"raw","type":"string","value":"\ufffd","base64":"/w=="}],"payload":"","text":"hello"}`,
		`{"headers":[{"name":"e","type":"string","value":"\\ud800 \ud83d\ude00 \u00e9 \\\\"}],"payload":"YQ=="}`,
		`{"headers":[{"name":"t","type":"timestamp","value":"2024-01-01T01:00:00.5+01:00"},{"name":"m","type":"timestamp","value":-5}],"payload":""}`,
		`{"headers":[],"payload":"","payload":"YQ=="}`,
		`{"headers":[],"payload":"","text":"\udc00"}`,
		"{\"headers\":[],\"payload\":\"\",\"text\":\"\xff\"}",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		fr, err := parseLine(line)
		if err != nil {
			return
		}
		b, err := fr.AppendBinary(nil)
		if err != nil {
			return // over the encoder's limits: Encode reports it
		}
		var text bytes.Buffer
		if _, err := Dump(&text, bytes.NewReader(b)); err != nil {
			t.Fatalf("Dump of an encoded accepted line: %v", err)
		}
		fr2, err := parseLine(text.Bytes())
		if err != nil {
			t.Fatalf("the dump %s of accepted line %q does not parse: %v", text.Bytes(), line, err)
		}
		b2, err := fr2.AppendBinary(nil)
		if err != nil || !bytes.Equal(b, b2) {
			t.Fatalf("line %q: dump | encode changed the frame (%v)", line, err)
		}
	})
}
