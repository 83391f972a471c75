// Package shapes builds the frame shapes that SPEC.md section 8 measures, so that the
// benchmarks of this module and of the nested comparison module run on the same bytes.
//
// Some shapes repeat one header block frame after frame, as Bedrock's response streams do;
// others change header values in every frame, as signed client streams and streams carrying
// timestamps, ids or sequence numbers do. A decoder or encoder may take a shortcut for the
// first kind, so each shape says which kind it is (Shape.Repeats) and the benchmarks quote
// both.
package shapes

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/framewire/eventstream"
)

// A Shape is a named stream of frames of one kind.
type Shape struct {
	Name string
	// Doc says what the frames are and whether their header blocks repeat.
	Doc string
	// Repeats reports whether every frame carries the same header block as the one before
	// (names, types and values), so that a decoder or encoder can reuse its previous work.
	Repeats bool
	// Frames are the distinct frames; the stream repeats them in order. A shape whose header
	// values change has thousands of them, so that no value recurs within about 1 MiB.
	Frames []*eventstream.Frame
}

// Stream returns the encoded frames of s, repeated until the stream holds at least n bytes and
// at least one copy of each frame.
func (s Shape) Stream(n int) []byte {
	var b []byte
	for len(b) < n || len(b) == 0 {
		for _, f := range s.Frames {
			var err error
			if b, err = f.AppendBinary(b); err != nil {
				panic(err)
			}
		}
	}
	return b
}

// FrameBytes returns the mean encoded length of the shape's frames.
func (s Shape) FrameBytes() int {
	n := 0
	for _, f := range s.Frames {
		n += f.EncodedLen()
	}
	return n / len(s.Frames)
}

func eventHeaders() []eventstream.Header {
	return []eventstream.Header{
		{Name: ":event-type", Value: eventstream.StringValue("chunk")},
		{Name: ":content-type", Value: eventstream.StringValue("application/json")},
		{Name: ":message-type", Value: eventstream.StringValue("event")},
	}
}

const padAlphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

// bedrockChunk builds a chunk frame as Bedrock sends it for one Claude text delta: the model's
// JSON in base64 under "bytes", and a random-length "p" padding.
func bedrockChunk(r *rand.Rand, words string) *eventstream.Frame {
	model := fmt.Sprintf(`{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":%q}}`, words)
	pad := padAlphabet[:1+r.IntN(len(padAlphabet)-1)]
	payload := fmt.Sprintf(`{"bytes":%q,"p":%q}`, base64.StdEncoding.EncodeToString([]byte(model)), pad)
	return &eventstream.Frame{Headers: eventHeaders(), Payload: []byte(payload)}
}

func sized(n int) *eventstream.Frame {
	return &eventstream.Frame{Headers: eventHeaders(), Payload: bytes.Repeat([]byte("0123456789abcdef"), n/16)}
}

func randomBytes(r *rand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// allTypes returns a frame with one header of each of the ten types and a 256-byte payload.
// Frame i of a stream has its own values: a sequence number in the integers, a timestamp
// that advances, and random byte arrays, strings and UUIDs. The names and types are the
// same in every frame (a bool header cannot change its value without changing its type).
func allTypes(r *rand.Rand, i int) *eventstream.Frame {
	var u [16]byte
	binary.BigEndian.PutUint64(u[:], r.Uint64())
	binary.BigEndian.PutUint64(u[8:], r.Uint64())
	id := fmt.Sprintf("req-%08x-%d", r.Uint32(), i)
	return &eventstream.Frame{
		Headers: []eventstream.Header{
			{Name: "bool-true", Value: eventstream.BoolValue(true)},
			{Name: "bool-false", Value: eventstream.BoolValue(false)},
			{Name: "byte", Value: eventstream.ByteValue(int8(i))},
			{Name: "int16", Value: eventstream.Int16Value(int16(-1234 + i))},
			{Name: "int32", Value: eventstream.Int32Value(int32(123456789 + i))},
			{Name: "int64", Value: eventstream.Int64Value(-1<<60 + int64(i)*7919)},
			{Name: "bytes", Value: eventstream.BytesValue(randomBytes(r, 12+r.IntN(8)))},
			{Name: "string", Value: eventstream.StringValue(id)},
			{Name: "timestamp", Value: eventstream.TimestampValue(time.UnixMilli(1700000000123 + int64(i)*37))},
			{Name: "uuid", Value: eventstream.UUIDValue(u)},
		},
		Payload: randomBytes(r, 256),
	}
}

// signedFrame returns outer frame i of a client-to-server signed stream (as a Transcribe or
// Nova Sonic client sends): a :date one second after the previous frame's, a fresh 32-byte
// :chunk-signature and, as payload, an encoded ~150-byte audio event. The signatures are
// random bytes, not a valid chain: decoding and encoding do not check them, and the sigv4
// benchmarks sign their own streams.
func signedFrame(r *rand.Rand, i int) *eventstream.Frame {
	inner := eventstream.Frame{
		Headers: []eventstream.Header{
			{Name: ":content-type", Value: eventstream.StringValue("application/octet-stream")},
			{Name: ":event-type", Value: eventstream.StringValue("AudioEvent")},
			{Name: ":message-type", Value: eventstream.StringValue("event")},
		},
		Payload: randomBytes(r, 48),
	}
	b, err := inner.MarshalBinary()
	if err != nil {
		panic(err)
	}
	return &eventstream.Frame{
		Headers: []eventstream.Header{
			{Name: ":date", Value: eventstream.TimestampValue(time.Unix(1780000000+int64(i), 0))},
			{Name: ":chunk-signature", Value: eventstream.BytesValue(randomBytes(r, 32))},
		},
		Payload: b,
	}
}

// Names of the shapes whose header blocks change in every frame.
const (
	AllTypesChanging = "alltypes-changing"
	Signed           = "signed"
)

// All returns the shapes of SPEC.md section 8, in a fixed order and with fixed contents.
func All() []Shape {
	r := rand.New(rand.NewPCG(1, 2))
	text := []string{"Hello", " there! How", " can I help", " you today with", " your question about", " event streams", "?", " The format", " frames each message", " with two CRCs."}
	var chunks []*eventstream.Frame
	for i := range 16 {
		chunks = append(chunks, bedrockChunk(r, text[i%len(text)]))
	}
	changing := make([]*eventstream.Frame, 2048)
	for i := range changing {
		changing[i] = allTypes(r, i)
	}
	signed := make([]*eventstream.Frame, 4096)
	for i := range signed {
		signed[i] = signedFrame(r, i)
	}
	repeated := allTypes(r, 0)
	return []Shape{
		{Name: "bedrock", Repeats: true, Frames: chunks,
			Doc: "Bedrock chunks of Claude text deltas (~270 B): 3 string headers, the same block in every frame"},
		{Name: "64B", Repeats: true, Frames: []*eventstream.Frame{sized(64)},
			Doc: "3 string headers and a 64-byte payload, the same block in every frame"},
		{Name: AllTypesChanging, Frames: changing,
			Doc: "one header of each of the ten types and a 256-byte payload; every frame has new values (2,048 distinct frames)"},
		{Name: "alltypes-repeated", Repeats: true, Frames: []*eventstream.Frame{repeated},
			Doc: "one header of each of the ten types and a 256-byte payload; one frame repeated, so its header block repeats"},
		{Name: Signed, Frames: signed,
			Doc: "signed outer frames: a new :date and 32-byte :chunk-signature around a ~150-byte inner event (4,096 distinct frames)"},
		{Name: "4KiB", Repeats: true, Frames: []*eventstream.Frame{sized(4 << 10)},
			Doc: "3 string headers and a 4 KiB payload, the same block in every frame"},
		{Name: "64KiB", Repeats: true, Frames: []*eventstream.Frame{sized(64 << 10)},
			Doc: "3 string headers and a 64 KiB payload, the same block in every frame"},
		{Name: "1MiB", Repeats: true, Frames: []*eventstream.Frame{sized(1 << 20)},
			Doc: "3 string headers and a 1 MiB payload, the same block in every frame"},
	}
}
