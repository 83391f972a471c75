package eventstream

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestEmptyFrameBytes(t *testing.T) {
	want := "\x00\x00\x00\x10" + "\x00\x00\x00\x00" + "\x05\xc2\x48\xeb" + "\x7d\x98\xc8\xff"
	if got := string(rawFrame("", "")); got != want {
		t.Fatalf("rawFrame = %q, want %q", got, want)
	}
	got, err := (&Frame{}).MarshalBinary()
	if err != nil || string(got) != want {
		t.Fatalf("MarshalBinary = %q, %v; want %q", got, err, want)
	}
}

// allTypesFrame returns a frame with every header type and its hand-built wire bytes.
func allTypesFrame() (*Frame, []byte) {
	f := &Frame{
		Headers: []Header{
			{"t", BoolValue(true)},
			{"f", BoolValue(false)},
			{"b", ByteValue(-1)},
			{"s", Int16Value(-2)},
			{"i", Int32Value(-3)},
			{"l", Int64Value(-1 << 63)},
			{"ba", BytesValue([]byte{0, 1, 2})},
			{"str", StringValue("héllo")},
			{"ts", TimestampValue(time.UnixMilli(-1))},
			{"u", UUIDValue([16]byte{0: 0xde, 15: 0xef})},
		},
		Payload: []byte("payload"),
	}
	headers := hdr("t", 0, "") +
		hdr("f", 1, "") +
		hdr("b", 2, "\xff") +
		hdr("s", 3, "\xff\xfe") +
		hdr("i", 4, "\xff\xff\xff\xfd") +
		hdr("l", 5, "\x80\x00\x00\x00\x00\x00\x00\x00") +
		hdr("ba", 6, str("\x00\x01\x02")) +
		hdr("str", 7, str("héllo")) +
		hdr("ts", 8, "\xff\xff\xff\xff\xff\xff\xff\xff") +
		hdr("u", 9, "\xde"+strings.Repeat("\x00", 14)+"\xef")
	return f, rawFrame(headers, "payload")
}

// valueCmp compares Values by their Equal method, which go-cmp uses.
var valueCmp = cmp.Comparer(func(a, b Value) bool { return a.Equal(b) })

func TestAllTypesWire(t *testing.T) {
	f, want := allTypesFrame()
	got, err := f.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("encoded\n% x\nwant\n% x", got, want)
	}
	if n := f.EncodedLen(); n != len(want) {
		t.Errorf("EncodedLen = %d, want %d", n, len(want))
	}
	var g Frame
	n, err := DecodeFrame(want, &g)
	if err != nil || n != len(want) {
		t.Fatalf("DecodeFrame = %d, %v", n, err)
	}
	if diff := cmp.Diff(f.Headers, g.Headers, valueCmp); diff != "" {
		t.Errorf("headers (-want +got):\n%s", diff)
	}
	if string(g.Payload) != "payload" {
		t.Errorf("payload %q", g.Payload)
	}
	if v, ok := g.Header("l"); !ok || v.Int64() != -1<<63 {
		t.Errorf("Header(l) = %v, %v", v, ok)
	}
	if _, ok := g.Header("missing"); ok {
		t.Error("Header(missing) found")
	}
}

func TestAppendBinaryRefuses(t *testing.T) {
	many := make([]Header, DefaultMaxHeaders+1)
	for i := range many {
		many[i] = Header{Name: strings.Repeat("x", i%200+1) + string(rune('a'+i/200)), Value: BoolValue(true)}
	}
	bigHeaders := make([]Header, 5)
	for i := range bigHeaders {
		bigHeaders[i] = Header{Name: string(rune('a' + i)), Value: BytesValue(make([]byte, MaxValueLen))}
	}
	tests := []struct {
		name  string
		f     *Frame
		field string
		want  error
	}{
		{"empty name", &Frame{Headers: []Header{{"", BoolValue(true)}}}, "header name", ErrMalformed},
		{"256-byte name", &Frame{Headers: []Header{{strings.Repeat("n", 256), BoolValue(true)}}}, "header name", ErrMalformed},
		{"invalid UTF-8 name", &Frame{Headers: []Header{{"\xff", BoolValue(true)}}}, "header name", ErrMalformed},
		{"zero Value", &Frame{Headers: []Header{{"a", Value{}}}}, "header value", ErrMalformed},
		{"duplicate", &Frame{Headers: []Header{{"a", BoolValue(true)}, {"b", BoolValue(true)}, {"a", BoolValue(false)}}}, "header name", ErrMalformed},
		{"value too long", &Frame{Headers: []Header{{"a", StringValue(strings.Repeat("v", MaxValueLen+1))}}}, "header value", ErrTooLarge},
		{"bytes too long", &Frame{Headers: []Header{{"a", BytesValue(make([]byte, MaxValueLen+1))}}}, "header value", ErrTooLarge},
		{"too many headers", &Frame{Headers: many}, "header count", ErrMalformed},
		{"header block too large", &Frame{Headers: bigHeaders}, "headers_length", ErrTooLarge},
		{"frame too large", &Frame{Payload: make([]byte, DefaultMaxFrameLen)}, "total_length", ErrTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			prefix := []byte("prefix")
			got, err := tt.f.AppendBinary(prefix)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			var e *Error
			if !errors.As(err, &e) || e.Field != tt.field {
				t.Errorf("err = %#v, want field %q", err, tt.field)
			}
			if string(got) != "prefix" || len(got) != 6 {
				t.Errorf("dst changed to %q", got)
			}
			var buf bytes.Buffer
			if err := NewEncoder(&buf).Encode(tt.f); err == nil || buf.Len() != 0 {
				t.Errorf("Encode wrote %d bytes, err %v", buf.Len(), err)
			}
		})
	}
}

func TestAppendBinaryLimitsAccepted(t *testing.T) {
	f := &Frame{Headers: []Header{
		{strings.Repeat("n", 255), StringValue(strings.Repeat("v", MaxValueLen))},
		{"empty", StringValue("")},
		{"nobytes", BytesValue(nil)},
	}}
	b, err := f.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	var g Frame
	if err := g.UnmarshalBinary(b); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(f.Headers, g.Headers, valueCmp); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if v, _ := g.Header("nobytes"); v.Type() != TypeBytes || len(v.Bytes()) != 0 {
		t.Errorf("nobytes = %v", v)
	}
}

func TestAppendBinaryKeepsPrefix(t *testing.T) {
	f, want := allTypesFrame()
	dst := make([]byte, 3, 1000)
	copy(dst, "abc")
	got, err := f.AppendBinary(dst)
	if err != nil {
		t.Fatal(err)
	}
	if string(got[:3]) != "abc" || !bytes.Equal(got[3:], want) {
		t.Fatalf("got % x", got)
	}
}

func TestUnmarshalBinary(t *testing.T) {
	_, b := allTypesFrame()
	var f Frame
	if err := f.UnmarshalBinary(b); err != nil {
		t.Fatal(err)
	}
	// UnmarshalBinary copies: clobbering the input must not change the frame.
	c := bytes.Clone(b)
	for i := range b {
		b[i] = 0
	}
	var g Frame
	if _, err := DecodeFrame(c, &g); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(g.Headers, f.Headers, valueCmp); diff != "" || string(f.Payload) != "payload" {
		t.Errorf("frame changed with its input: %s", diff)
	}
	if err := f.UnmarshalBinary(append(c, 0)); !errors.Is(err, ErrMalformed) {
		t.Errorf("trailing byte: %v", err)
	}
	if err := f.UnmarshalBinary(c[:len(c)-1]); err != io.ErrUnexpectedEOF {
		t.Errorf("short: %v", err)
	}
	if len(f.Headers) != 0 || f.Payload != nil {
		t.Errorf("failed unmarshal left a frame: %v", f)
	}
}

func TestClone(t *testing.T) {
	_, b := allTypesFrame()
	var f Frame
	if _, err := DecodeFrame(b, &f); err != nil {
		t.Fatal(err)
	}
	c := f.Clone()
	for i := range b {
		b[i] = 0xaa
	}
	want, _ := allTypesFrame()
	if diff := cmp.Diff(want.Headers, c.Headers, valueCmp); diff != "" {
		t.Errorf("clone shares storage (-want +got):\n%s", diff)
	}
	if string(c.Payload) != "payload" {
		t.Errorf("clone payload %q", c.Payload)
	}
}

func TestZeroCopy(t *testing.T) {
	b := rawFrame(hdr("k", 7, str("value")), "payload")
	var f Frame
	if _, err := DecodeFrame(b, &f); err != nil {
		t.Fatal(err)
	}
	b[len(b)-5] = 'D' // last payload byte
	if string(f.Payload) != "payloaD" {
		t.Errorf("payload %q does not alias its input", f.Payload)
	}
	if cap(f.Payload) != len(f.Payload) {
		t.Errorf("payload cap %d reaches past the payload", cap(f.Payload))
	}
}

// decodeCases are frames that must fail, each with the error class and field the decoding
// rules require. Each is built with valid CRCs unless the case is about a CRC.
var decodeCases = []struct {
	name  string
	frame []byte
	want  error
	field string
}{
	{"prelude crc", flip(rawFrame("", "x"), 9), ErrChecksum, "prelude crc"},
	{"message crc", flip(rawFrame("", "x"), 12), ErrChecksum, "message crc"},
	{"message crc field", flip(rawFrame("", "x"), 13), ErrChecksum, "message crc"},
	{"crc before header defect", flip(rawFrame(hdr("a", 12, ""), ""), 15), ErrChecksum, "message crc"},
	{"total zero", rawFrameLens(0, 0, ""), ErrMalformed, "total_length"},
	{"total 15", rawFrameLens(15, 0, ""), ErrMalformed, "total_length"},
	{"headers past frame", rawFrameLens(16, 1, ""), ErrMalformed, "headers_length"},
	{"headers_length 1", rawFrameLens(17, 1, "\x01"), ErrMalformed, "headers_length"},
	{"headers_length 2", rawFrameLens(18, 2, "\x01a"), ErrMalformed, "headers_length"},
	{"total over limit", rawFrameLens(DefaultMaxFrameLen+1, 0, ""), ErrTooLarge, "total_length"},
	{"total max u32", rawFrameLens(1<<32-1, 0, ""), ErrTooLarge, "total_length"},
	{"header block over limit", rawFrameLens(DefaultMaxHeaderBlockLen+17, DefaultMaxHeaderBlockLen+1, ""), ErrTooLarge, "headers_length"},
	{"empty name", rawFrame("\x00\x00\x00", ""), ErrMalformed, "header name"},
	{"name past block", rawFrame("\x05ab\x00", ""), ErrMalformed, "header name"},
	{"type missing", rawFrame("\x02ab", ""), ErrMalformed, "header name"},
	{"unknown type", rawFrame(hdr("a", 10, ""), ""), ErrMalformed, "header type"},
	{"type 255", rawFrame(hdr("a", 255, ""), ""), ErrMalformed, "header type"},
	{"int32 past block", rawFrame(hdr("a", 4, "\x00\x00"), ""), ErrMalformed, "header value"},
	{"uuid past block", rawFrame(hdr("a", 9, "0123456789"), ""), ErrMalformed, "header value"},
	{"string length past block", rawFrame(hdr("a", 7, "\x00"), ""), ErrMalformed, "header value"},
	{"string past block", rawFrame(hdr("a", 7, "\x00\x05abc"), ""), ErrMalformed, "header value"},
	{"bytes past block into payload", rawFrame(hdr("a", 6, "\x00\x05ab"), "cdefg"), ErrMalformed, "header value"},
	{"duplicate name", rawFrame(hdr("a", 0, "")+hdr("b", 0, "")+hdr("a", 1, ""), ""), ErrMalformed, "header name"},
	{"invalid UTF-8 name", rawFrame(hdr("\xc3", 0, ""), ""), ErrMalformed, "header name"},
}

func flip(b []byte, i int) []byte {
	b[i] ^= 0x40
	return b
}

func TestDecodeErrors(t *testing.T) {
	for _, tt := range decodeCases {
		t.Run(tt.name, func(t *testing.T) {
			check := func(how string, err error) {
				t.Helper()
				var e *Error
				if !errors.Is(err, tt.want) || !errors.As(err, &e) || e.Field != tt.field {
					t.Errorf("%s: err = %v, want %v in field %q", how, err, tt.want, tt.field)
				}
			}
			var f Frame
			_, err := DecodeFrame(tt.frame, &f)
			check("DecodeFrame", err)
			if len(f.Headers) != 0 || f.Payload != nil {
				t.Errorf("DecodeFrame left a frame behind")
			}
			// Streamed after a good frame, the error carries the bad frame's offset.
			good := rawFrame("", "ok")
			d := NewDecoder(bytes.NewReader(append(bytes.Clone(good), tt.frame...)))
			if err := d.Decode(&f); err != nil {
				t.Fatal(err)
			}
			err = d.Decode(&f)
			check("Decode", err)
			var e *Error
			if errors.As(err, &e) && e.Offset != int64(len(good)) {
				t.Errorf("offset %d, want %d", e.Offset, len(good))
			}
			if err2 := d.Decode(&f); err2 != err {
				t.Errorf("error not sticky: %v then %v", err, err2)
			}
			_, _, err = ScanFrames(tt.frame, true)
			check("ScanFrames", err)
		})
	}
}

func TestChecksumError(t *testing.T) {
	b := rawFrame("", "payload")
	b[len(b)-1] ^= 1
	_, err := DecodeFrame(b, new(Frame))
	var e *Error
	if !errors.As(err, &e) {
		t.Fatal(err)
	}
	if e.Expected == e.Computed || e.Expected^e.Computed != 1 {
		t.Errorf("expected %08x, computed %08x", e.Expected, e.Computed)
	}
	const want = "eventstream: frame at offset 0: message crc 0x"
	if !strings.HasPrefix(err.Error(), want) || !strings.HasSuffix(err.Error(), ": checksum mismatch") {
		t.Errorf("message %q", err)
	}
}

func TestDecodeFrameShort(t *testing.T) {
	b := rawFrame(hdr("a", 0, ""), "payload")
	for i := range len(b) {
		n, err := DecodeFrame(b[:i], new(Frame))
		if n != 0 || err != io.ErrUnexpectedEOF {
			t.Fatalf("DecodeFrame(%d bytes) = %d, %v", i, n, err)
		}
	}
}

func TestScanFrames(t *testing.T) {
	var stream []byte
	for i := range 50 {
		stream = append(stream, rawFrame(hdr("i", 2, string(rune(i))), strings.Repeat("p", i*10))...)
	}
	s := bufio.NewScanner(bytes.NewReader(stream))
	s.Buffer(nil, DefaultMaxFrameLen)
	s.Split(ScanFrames)
	n := 0
	var f Frame
	for s.Scan() {
		if _, err := DecodeFrame(s.Bytes(), &f); err != nil {
			t.Fatal(err)
		}
		if v, _ := f.Header("i"); v.Int64() != int64(n) {
			t.Fatalf("frame %d has i=%d", n, v.Int64())
		}
		n++
	}
	if s.Err() != nil || n != 50 {
		t.Fatalf("%d frames, %v", n, s.Err())
	}
	s = bufio.NewScanner(bytes.NewReader(stream[:len(stream)-1]))
	s.Split(ScanFrames)
	for s.Scan() {
	}
	if s.Err() != io.ErrUnexpectedEOF {
		t.Fatalf("truncated: %v", s.Err())
	}
}
