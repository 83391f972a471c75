// Package shapes builds the frame shapes that SPEC.md section 8 measures, so that the
// benchmarks of this module and of the nested comparison module run on the same bytes.
package shapes

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/framewire/eventstream"
)

// A Shape is a named stream of frames of one kind.
type Shape struct {
	Name   string
	Frames []*eventstream.Frame // the distinct frames; the stream repeats them in order
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

func allTypes() *eventstream.Frame {
	return &eventstream.Frame{
		Headers: []eventstream.Header{
			{Name: "bool-true", Value: eventstream.BoolValue(true)},
			{Name: "bool-false", Value: eventstream.BoolValue(false)},
			{Name: "byte", Value: eventstream.ByteValue(-7)},
			{Name: "int16", Value: eventstream.Int16Value(-1234)},
			{Name: "int32", Value: eventstream.Int32Value(123456789)},
			{Name: "int64", Value: eventstream.Int64Value(-1 << 60)},
			{Name: "bytes", Value: eventstream.BytesValue([]byte("raw bytes value"))},
			{Name: "string", Value: eventstream.StringValue("application/json")},
			{Name: "timestamp", Value: eventstream.TimestampValue(time.UnixMilli(1700000000123))},
			{Name: "uuid", Value: eventstream.UUIDValue([16]byte{0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0, 1, 2, 3, 4, 5, 6, 7, 8})},
		},
		Payload: bytes.Repeat([]byte("0123456789abcdef"), 16),
	}
}

// All returns the shapes of SPEC.md section 8, in a fixed order and with fixed contents.
func All() []Shape {
	r := rand.New(rand.NewPCG(1, 2))
	text := []string{"Hello", " there! How", " can I help", " you today with", " your question about", " event streams", "?", " The format", " frames each message", " with two CRCs."}
	var chunks []*eventstream.Frame
	for i := range 16 {
		chunks = append(chunks, bedrockChunk(r, text[i%len(text)]))
	}
	return []Shape{
		{Name: "bedrock", Frames: chunks},
		{Name: "64B", Frames: []*eventstream.Frame{sized(64)}},
		{Name: "allheaders", Frames: []*eventstream.Frame{allTypes()}},
		{Name: "4KiB", Frames: []*eventstream.Frame{sized(4 << 10)}},
		{Name: "64KiB", Frames: []*eventstream.Frame{sized(64 << 10)}},
		{Name: "1MiB", Frames: []*eventstream.Frame{sized(1 << 20)}},
	}
}
