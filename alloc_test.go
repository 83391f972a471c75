//go:build !race

package eventstream

import (
	"io"
	"testing"
)

// The zero-allocation guarantees of the package documentation, in steady state: the same
// Frame, Decoder and Encoder reused over a stream whose header names repeat.

func bedrockLikeFrame() *Frame {
	return &Frame{
		Headers: []Header{
			{":event-type", StringValue("chunk")},
			{":content-type", StringValue("application/json")},
			{":message-type", StringValue("event")},
		},
		Payload: []byte(`{"bytes":"eyJ0eXBlIjoiY29udGVudF9ibG9ja19kZWx0YSJ9","p":"abcdefgh"}`),
	}
}

func allocStream(t *testing.T) []byte {
	all, _ := allTypesFrame()
	var b []byte
	for range 50 {
		b, _ = bedrockLikeFrame().AppendBinary(b)
		b, _ = all.AppendBinary(b)
	}
	b, _ = (&Frame{Headers: bedrockLikeFrame().Headers, Payload: make([]byte, 3*readBufLen)}).AppendBinary(b)
	return b
}

// TestDecodeAllocs decodes into one Frame, and into two to five Frames taken in turn (so that
// one aliases the read buffer while the others are copied into), from a reader that fills the
// buffer and from one that returns 100 bytes per Read, as a network stream of small events may
// (the buffer then moves its bytes before nearly every frame).
func TestDecodeAllocs(t *testing.T) {
	stream := allocStream(t)
	for _, seg := range []int{len(stream), 100} {
		for n := 1; n <= 5; n++ {
			r := &segmentReader{data: stream, seg: seg}
			d := NewDecoder(r)
			frames := make([]Frame, n)
			i := 0
			decode := func() {
				f := &frames[i%n]
				i++
				err := d.Decode(f)
				if err == io.EOF {
					r.data = stream
					d.Reset(r)
					err = d.Decode(f)
				}
				if err != nil {
					t.Fatal(err)
				}
			}
			for range 300 { // warm up: buffers, interned names and values
				decode()
			}
			// AllocsPerRun rounds down: count the allocations of 1000 frames in each run.
			if a := testing.AllocsPerRun(5, func() {
				for range 1000 {
					decode()
				}
			}); a != 0 {
				t.Errorf("Decode into %d Frames, %d bytes per Read: %v allocations per 1000 frames", n, seg, a)
			}
		}
	}
}

func TestDecodeFrameAllocs(t *testing.T) {
	stream := allocStream(t)
	var f Frame
	off := 0
	decode := func() {
		if off == len(stream) {
			off = 0
		}
		n, err := DecodeFrame(stream[off:], &f)
		if err != nil {
			t.Fatal(err)
		}
		off += n
	}
	for range 300 {
		decode()
	}
	if n := testing.AllocsPerRun(1000, decode); n != 0 {
		t.Errorf("DecodeFrame: %v allocations per frame", n)
	}
}

func TestLookupAllocs(t *testing.T) {
	b, _ := bedrockLikeFrame().MarshalBinary()
	var f Frame
	for range 3 { // values are interned once they repeat
		if _, err := DecodeFrame(b, &f); err != nil {
			t.Fatal(err)
		}
	}
	n := testing.AllocsPerRun(1000, func() {
		v, ok := f.Header(":event-type")
		if !ok || v.String() != "chunk" {
			t.Fatal("lookup failed")
		}
		if v, _ := f.Header(":message-type"); string(v.Bytes()) != "event" {
			t.Fatal("lookup failed")
		}
	})
	if n != 0 {
		t.Errorf("Header and string comparison: %v allocations", n)
	}
}

func TestEncodeAllocs(t *testing.T) {
	f := bedrockLikeFrame()
	all, _ := allTypesFrame()
	buf := make([]byte, 0, 4096)
	if n := testing.AllocsPerRun(1000, func() {
		if _, err := f.AppendBinary(buf[:0]); err != nil {
			t.Fatal(err)
		}
		if _, err := all.AppendBinary(buf[:0]); err != nil {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Errorf("AppendBinary: %v allocations", n)
	}
	e := NewEncoder(io.Discard)
	if n := testing.AllocsPerRun(1000, func() {
		if err := e.Encode(f); err != nil {
			t.Fatal(err)
		}
		if err := e.Encode(all); err != nil {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Errorf("Encode: %v allocations", n)
	}
}
