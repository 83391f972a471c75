package benchcmp

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	sdk "github.com/aws/aws-sdk-go-v2/aws/protocol/eventstream"
	"github.com/framewire/eventstream"
)

// The differential tests build random frames (every header type, extreme numbers, empty and
// maximal names and values, payloads from empty to larger than the Decoder's read buffer),
// encode them with one implementation and decode them with the other, and require the same
// headers and payload back. Where both encode the same frame, the bytes must be identical.

var (
	diffSeed  = flag.Uint64("diff.seed", 1, "seed of the differential tests' random frames")
	diffCount = flag.Int("diff.frames", 2000, "random frames per differential test")
)

// A randFrame is a frame in neutral form, from which both implementations' frames are built.
type randFrame struct {
	headers []wireHeader
	payload []byte
}

// sdkTimeMillis bounds the timestamps the SDK can encode: it converts through
// time.Time.UnixNano, which holds only about 292 years either side of 1970.
const sdkTimeMillis = math.MaxInt64 / int64(time.Millisecond)

const nameRunes = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789:-_. éß€世🙂"

func randName(r *rand.Rand) string {
	runes := []rune(nameRunes)
	var b strings.Builder
	n := 1 + r.IntN(24)
	if r.IntN(20) == 0 {
		n = 255
	}
	for b.Len() < n {
		c := runes[r.IntN(len(runes))]
		if b.Len()+len(string(c)) > eventstream.MaxNameLen {
			break
		}
		b.WriteRune(c)
	}
	if b.Len() == 0 {
		b.WriteByte('x')
	}
	return b.String()
}

// randLen picks a value or payload length: often empty or small, sometimes large.
func randLen(r *rand.Rand, large int) int {
	switch r.IntN(10) {
	case 0:
		return 0
	case 1:
		return large
	case 2, 3:
		return r.IntN(large + 1)
	}
	return r.IntN(300)
}

func randBytes(r *rand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// randText returns n bytes of valid UTF-8 (string values; the decoders do not validate them,
// but the format says they are UTF-8).
func randText(r *rand.Rand, n int) string {
	runes := []rune(nameRunes)
	var b strings.Builder
	for b.Len() < n {
		c := runes[r.IntN(len(runes))]
		if b.Len()+len(string(c)) > n {
			c = 'z'
		}
		b.WriteRune(c)
	}
	return b.String()
}

// randInt returns a random value of the given bit size, often one of its extremes.
func randInt(r *rand.Rand, bits uint) int64 {
	lo, hi := int64(-1)<<(bits-1), int64(uint64(1)<<(bits-1)-1)
	switch r.IntN(6) {
	case 0:
		return lo
	case 1:
		return hi
	case 2:
		return 0
	case 3:
		return -1
	}
	return int64(r.Uint64()<<(64-bits)) >> (64 - bits)
}

// newRandFrame returns a random frame. With wideTime, timestamps span the whole int64 range of
// milliseconds; without, they stay within what the SDK can encode.
func newRandFrame(r *rand.Rand, wideTime bool) randFrame {
	var f randFrame
	n := r.IntN(12)
	if r.IntN(20) == 0 {
		n = 100 + r.IntN(100)
	}
	seen := map[string]bool{}
	block := 0 // the header block stays within the default limit
	for range n {
		h := wireHeader{Name: randName(r), Type: uint8(r.IntN(10))}
		if seen[h.Name] {
			continue // a name appears at most once in a frame
		}
		seen[h.Name] = true
		switch h.Type {
		case 2:
			h.Num = randInt(r, 8)
		case 3:
			h.Num = randInt(r, 16)
		case 4:
			h.Num = randInt(r, 32)
		case 5:
			h.Num = randInt(r, 64)
		case 6:
			h.Raw = string(randBytes(r, randLen(r, eventstream.MaxValueLen)))
		case 7:
			h.Raw = randText(r, randLen(r, eventstream.MaxValueLen))
		case 8:
			h.Num = randInt(r, 64)
			if !wideTime {
				h.Num %= sdkTimeMillis
			}
		case 9:
			h.Raw = string(randBytes(r, 16))
		}
		size := 2 + len(h.Name) + len(h.Raw)
		switch h.Type {
		case 2:
			size++
		case 3:
			size += 2
		case 4:
			size += 4
		case 5, 8:
			size += 8
		case 6, 7:
			size += 2
		}
		if block+size > eventstream.DefaultMaxHeaderBlockLen {
			continue
		}
		block += size
		f.headers = append(f.headers, h)
	}
	f.payload = randBytes(r, randLen(r, 70<<10))
	return f
}

func (f randFrame) ours() *eventstream.Frame {
	fr := &eventstream.Frame{Payload: f.payload}
	for _, h := range f.headers {
		var v eventstream.Value
		switch h.Type {
		case 0, 1:
			v = eventstream.BoolValue(h.Type == 0)
		case 2:
			v = eventstream.ByteValue(int8(h.Num))
		case 3:
			v = eventstream.Int16Value(int16(h.Num))
		case 4:
			v = eventstream.Int32Value(int32(h.Num))
		case 5:
			v = eventstream.Int64Value(h.Num)
		case 6:
			v = eventstream.BytesValue([]byte(h.Raw))
		case 7:
			v = eventstream.StringValue(h.Raw)
		case 8:
			v = eventstream.TimestampValue(time.UnixMilli(h.Num))
		case 9:
			v = eventstream.UUIDValue([16]byte([]byte(h.Raw)))
		}
		fr.Headers = append(fr.Headers, eventstream.Header{Name: h.Name, Value: v})
	}
	return fr
}

func (f randFrame) sdk() sdk.Message {
	m := sdk.Message{Payload: f.payload}
	for _, h := range f.headers {
		var v sdk.Value
		switch h.Type {
		case 0, 1:
			v = sdk.BoolValue(h.Type == 0)
		case 2:
			v = sdk.Int8Value(h.Num)
		case 3:
			v = sdk.Int16Value(h.Num)
		case 4:
			v = sdk.Int32Value(h.Num)
		case 5:
			v = sdk.Int64Value(h.Num)
		case 6:
			v = sdk.BytesValue(h.Raw)
		case 7:
			v = sdk.StringValue(h.Raw)
		case 8:
			v = sdk.TimestampValue(time.UnixMilli(h.Num))
		case 9:
			v = sdk.UUIDValue([]byte(h.Raw))
		}
		m.Headers = append(m.Headers, sdk.Header{Name: h.Name, Value: v})
	}
	return m
}

// check compares a decoded frame, reduced to wire form, with f.
func (f randFrame) check(t *testing.T, what string, headers []wireHeader, payload []byte) {
	t.Helper()
	if !slices.Equal(headers, f.headers) {
		for i := range max(len(headers), len(f.headers)) {
			if i >= len(headers) || i >= len(f.headers) || headers[i] != f.headers[i] {
				var got, want wireHeader
				if i < len(headers) {
					got = headers[i]
				}
				if i < len(f.headers) {
					want = f.headers[i]
				}
				t.Fatalf("%s: %d headers, want %d; first difference at %d:\n got %v\nwant %v",
					what, len(headers), len(f.headers), i, got, want)
			}
		}
	}
	if !bytes.Equal(payload, f.payload) {
		t.Fatalf("%s: payload of %d bytes differs from the %d bytes encoded", what, len(payload), len(f.payload))
	}
}

// TestDiffOursToSDK encodes random frames with our encoder and decodes them with the SDK, one
// at a time and as one stream, and checks that the SDK encodes the same frames to the same
// bytes wherever it can encode them.
func TestDiffOursToSDK(t *testing.T) {
	r := rand.New(rand.NewPCG(*diffSeed, 1))
	var stream bytes.Buffer
	enc := eventstream.NewEncoder(&stream)
	sdkEnc := sdk.NewEncoder()
	dec := sdk.NewDecoder()
	var frames []randFrame
	identical := 0
	for i := range *diffCount {
		wide := i%2 == 1
		f := newRandFrame(r, wide)
		b, err := f.ours().AppendBinary(nil)
		if err != nil {
			t.Fatalf("frame %d: encoding: %v", i, err)
		}
		rd := bytes.NewReader(b)
		m, err := dec.Decode(rd, nil)
		if err != nil {
			t.Fatalf("frame %d: the SDK rejects our encoding: %v", i, err)
		}
		if rd.Len() != 0 {
			t.Fatalf("frame %d: the SDK left %d of our %d bytes", i, rd.Len(), len(b))
		}
		f.check(t, fmt.Sprintf("frame %d: SDK decode of our encoding", i), sdkWire(m), m.Payload)

		if !wide {
			var sb bytes.Buffer
			if err := sdkEnc.Encode(&sb, f.sdk()); err != nil {
				t.Fatalf("frame %d: SDK encoding: %v", i, err)
			}
			if !bytes.Equal(sb.Bytes(), b) {
				t.Fatalf("frame %d: our encoding (%d bytes) and the SDK's (%d bytes) differ", i, len(b), sb.Len())
			}
			identical++
		}

		if err := enc.Encode(f.ours()); err != nil {
			t.Fatal(err)
		}
		frames = append(frames, f)
	}
	if identical == 0 {
		t.Fatal("no frame was compared byte for byte")
	}

	rd := bytes.NewReader(stream.Bytes())
	for i, f := range frames {
		m, err := dec.Decode(rd, nil)
		if err != nil {
			t.Fatalf("stream frame %d: the SDK: %v", i, err)
		}
		f.check(t, fmt.Sprintf("stream frame %d: SDK decode of our stream", i), sdkWire(m), m.Payload)
	}
	if rd.Len() != 0 {
		t.Fatalf("the SDK left %d bytes of our stream", rd.Len())
	}
}

// TestDiffSDKToOurs encodes random frames with the SDK and decodes them with DecodeFrame, one
// at a time, and with our Decoder as one stream delivered in random-size reads.
func TestDiffSDKToOurs(t *testing.T) {
	r := rand.New(rand.NewPCG(*diffSeed, 2))
	var stream bytes.Buffer
	enc := sdk.NewEncoder()
	var frames []randFrame
	var lens []int
	var zc eventstream.Frame
	for i := range *diffCount {
		f := newRandFrame(r, false)
		var b bytes.Buffer
		if err := enc.Encode(&b, f.sdk()); err != nil {
			t.Fatalf("frame %d: SDK encoding: %v", i, err)
		}
		n, err := eventstream.DecodeFrame(b.Bytes(), &zc)
		if err != nil {
			t.Fatalf("frame %d: we reject the SDK's encoding: %v", i, err)
		}
		if n != b.Len() {
			t.Fatalf("frame %d: DecodeFrame took %d of %d bytes", i, n, b.Len())
		}
		f.check(t, fmt.Sprintf("frame %d: DecodeFrame of the SDK's encoding", i), ourWire(&zc), zc.Payload)
		stream.Write(b.Bytes())
		frames = append(frames, f)
		lens = append(lens, b.Len())
	}

	d := eventstream.NewDecoder(&chunkReader{r: rand.New(rand.NewPCG(*diffSeed, 3)), b: stream.Bytes()})
	var f eventstream.Frame
	for i, want := range frames {
		if err := d.Decode(&f); err != nil {
			t.Fatalf("stream frame %d: %v", i, err)
		}
		want.check(t, fmt.Sprintf("stream frame %d (%d bytes): Decoder on the SDK's stream", i, lens[i]), ourWire(&f), f.Payload)
	}
	if err := d.Decode(&f); !errors.Is(err, io.EOF) {
		t.Fatalf("after the last frame: %v, want io.EOF", err)
	}
	if d.InputOffset() != int64(stream.Len()) {
		t.Fatalf("InputOffset %d after a %d-byte stream", d.InputOffset(), stream.Len())
	}
}

// chunkReader returns b in reads of random sizes, from 1 byte to 96 KiB.
type chunkReader struct {
	r *rand.Rand
	b []byte
}

func (c *chunkReader) Read(p []byte) (int, error) {
	if len(c.b) == 0 {
		return 0, io.EOF
	}
	n := 1 + c.r.IntN(16)
	if c.r.IntN(4) == 0 {
		n = 1 + c.r.IntN(96<<10)
	}
	n = copy(p[:min(n, len(p))], c.b)
	c.b = c.b[n:]
	return n, nil
}
