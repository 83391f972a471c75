package eventstream_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log"
	"os"

	"github.com/framewire/eventstream"
)

// Decoding a captured Bedrock stream: one Frame, reused for every frame of the stream.
func ExampleDecoder() {
	file, err := os.Open("testdata/corpus/bedrock-chunks.bin")
	if err != nil {
		log.Fatal(err)
	}
	defer file.Close()

	d := eventstream.NewDecoder(file)
	var f eventstream.Frame
	n := 0
	for {
		err := d.Decode(&f)
		if err == io.EOF {
			break // a clean end, at a frame boundary
		}
		if err != nil {
			log.Fatal(err) // io.ErrUnexpectedEOF for a truncated stream, *eventstream.Error for a bad frame
		}
		if v, _ := f.Header(":event-type"); v.String() == "chunk" {
			n++
		}
	}
	fmt.Println(n, "chunks")
	// Output: 17 chunks
}

func ExampleEncoder() {
	var buf bytes.Buffer
	e := eventstream.NewEncoder(&buf)
	err := e.Encode(&eventstream.Frame{
		Headers: []eventstream.Header{
			{Name: ":message-type", Value: eventstream.StringValue("event")},
			{Name: ":event-type", Value: eventstream.StringValue("greeting")},
		},
		Payload: []byte("hello"),
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("% x\n", buf.Bytes()[:12])
	fmt.Println(buf.Len(), "bytes")
	// Output:
	// 00 00 00 42 00 00 00 2d 02 ce 88 35
	// 66 bytes
}

// DecodeFrame decodes in place: the frame aliases the bytes it was given.
func ExampleDecodeFrame() {
	b, _ := (&eventstream.Frame{
		Headers: []eventstream.Header{{Name: "n", Value: eventstream.Int32Value(-7)}},
		Payload: []byte("payload"),
	}).MarshalBinary()

	var f eventstream.Frame
	n, err := eventstream.DecodeFrame(b, &f)
	if err != nil {
		log.Fatal(err)
	}
	v, _ := f.Header("n")
	fmt.Println(n, v.Type(), v.Int64(), string(f.Payload))
	// Output: 30 int32 -7 payload
}

// Errors say which frame, which field and what was wrong.
func ExampleError() {
	b, _ := (&eventstream.Frame{Payload: []byte("payload")}).MarshalBinary()
	b[14] ^= 1 // corrupt a payload byte
	_, err := eventstream.DecodeFrame(b, new(eventstream.Frame))

	var e *eventstream.Error
	fmt.Println(errors.Is(err, eventstream.ErrChecksum), errors.As(err, &e) && e.Field == "message crc")
	fmt.Println(err)
	// Output:
	// true true
	// eventstream: frame at offset 0: message crc 0x6e49178d, computed 0x53293e3d: checksum mismatch
}
