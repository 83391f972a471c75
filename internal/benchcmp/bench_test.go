package benchcmp

import (
	"bytes"
	"fmt"
	"hash/crc32"
	"io"
	"math/rand/v2"
	"sync"
	"testing"

	sdk "github.com/aws/aws-sdk-go-v2/aws/protocol/eventstream"
	kcrc32 "github.com/klauspost/crc32"

	"github.com/framewire/eventstream"
	"github.com/framewire/eventstream/internal/shapes"
)

// Every benchmark here is named Benchmark<Op>/impl=<implementation>/<shape or size>, with the
// same <Op> and shape for the implementations compared, so that
//
//	benchstat -col /impl results.txt
//
// puts them in adjacent columns and prints the change against the first column: the SDK for
// Decode and Encode, hash/crc32 over the frame's bytes for DecodeFrame, the standard library
// for CRC. compare.sh runs them all.

// streamLen is the length of the stream each streaming decode benchmark reads: long enough
// for thousands of small frames, and at least one copy of every frame of the shape.
const streamLen = 1 << 20

// A benchShape is a shape with its encoded stream and frame boundaries.
type benchShape struct {
	shapes.Shape
	stream []byte
	ends   []int // ends[i] is the offset just past frame i of stream
	maxLen int   // the longest frame
}

var benchShapes = sync.OnceValue(func() []benchShape {
	var bs []benchShape
	for _, s := range shapes.All() {
		b := benchShape{Shape: s, stream: s.Stream(streamLen)}
		var f eventstream.Frame
		for off := 0; off < len(b.stream); {
			n, err := eventstream.DecodeFrame(b.stream[off:], &f)
			if err != nil {
				panic(fmt.Sprintf("shape %s: frame at %d: %v", s.Name, off, err))
			}
			off += n
			b.ends = append(b.ends, off)
			b.maxLen = max(b.maxLen, n)
		}
		bs = append(bs, b)
	}
	return bs
})

// eachShape runs bench for each shape as a sub-benchmark "shape=NAME".
func eachShape(b *testing.B, bench func(*testing.B, benchShape)) {
	for _, s := range benchShapes() {
		b.Run("shape="+s.Name, func(b *testing.B) {
			b.SetBytes(int64(s.FrameBytes()))
			b.ReportAllocs()
			bench(b, s)
		})
	}
}

// BenchmarkDecode measures streaming decode: one frame per iteration, read from a
// bytes.Reader over the shape's stream. When the stream is used up the reader is rewound;
// that costs a few nanoseconds once per streamLen bytes (once per frame only for 1 MiB
// frames, where it is lost in the noise), and is not excluded from the time.
func BenchmarkDecode(b *testing.B) {
	b.Run("impl=sdk", func(b *testing.B) {
		eachShape(b, func(b *testing.B, s benchShape) {
			r := bytes.NewReader(s.stream)
			dec := sdk.NewDecoder()
			// A user who reuses one payload buffer big enough for the largest frame, so the
			// SDK's bytes.Buffer (which wants bytes.MinRead spare) never grows.
			buf := make([]byte, 0, s.maxLen+bytes.MinRead)
			defer shapes.CPUMeter(b)()
			for b.Loop() {
				if r.Len() == 0 {
					r.Reset(s.stream)
				}
				if _, err := dec.Decode(r, buf[:0]); err != nil {
					b.Fatal(err)
				}
			}
		})
	})
	b.Run("impl=framewire", func(b *testing.B) {
		eachShape(b, func(b *testing.B, s benchShape) {
			r := bytes.NewReader(s.stream)
			dec := eventstream.NewDecoder(r)
			var f eventstream.Frame
			defer shapes.CPUMeter(b)()
			for b.Loop() {
				err := dec.Decode(&f)
				if err == io.EOF {
					r.Reset(s.stream)
					dec.Reset(r)
					err = dec.Decode(&f)
				}
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	})
}

// BenchmarkEncode measures encoding one frame per iteration to io.Discard, cycling through
// the shape's frames. The SDK encodes the same headers and payload as an sdk.Message built
// beforehand.
func BenchmarkEncode(b *testing.B) {
	b.Run("impl=sdk", func(b *testing.B) {
		eachShape(b, func(b *testing.B, s benchShape) {
			msgs := make([]sdk.Message, len(s.Frames))
			for i, f := range s.Frames {
				msgs[i] = toSDK(f)
			}
			enc := sdk.NewEncoder()
			i := 0
			defer shapes.CPUMeter(b)()
			for b.Loop() {
				if err := enc.Encode(io.Discard, msgs[i]); err != nil {
					b.Fatal(err)
				}
				if i++; i == len(msgs) {
					i = 0
				}
			}
		})
	})
	b.Run("impl=framewire", func(b *testing.B) {
		eachShape(b, func(b *testing.B, s benchShape) {
			enc := eventstream.NewEncoder(io.Discard)
			i := 0
			defer shapes.CPUMeter(b)()
			for b.Loop() {
				if err := enc.Encode(s.Frames[i]); err != nil {
					b.Fatal(err)
				}
				if i++; i == len(s.Frames) {
					i = 0
				}
			}
		})
	})
}

// BenchmarkDecodeFrame sets zero-copy DecodeFrame (impl=framewire) against its floor: CRC-32
// with hash/crc32 over the same frame bytes and nothing else (impl=crc32). Both walk the
// shape's stream frame by frame.
func BenchmarkDecodeFrame(b *testing.B) {
	b.Run("impl=crc32", func(b *testing.B) {
		eachShape(b, func(b *testing.B, s benchShape) {
			start, i := 0, 0
			var sum uint32
			defer shapes.CPUMeter(b)()
			for b.Loop() {
				sum ^= crc32.ChecksumIEEE(s.stream[start:s.ends[i]])
				if start = s.ends[i]; start == len(s.stream) {
					start, i = 0, 0
				} else {
					i++
				}
			}
			sink = sum
		})
	})
	b.Run("impl=framewire", func(b *testing.B) {
		eachShape(b, func(b *testing.B, s benchShape) {
			start := 0
			var f eventstream.Frame
			defer shapes.CPUMeter(b)()
			for b.Loop() {
				n, err := eventstream.DecodeFrame(s.stream[start:], &f)
				if err != nil {
					b.Fatal(err)
				}
				if start += n; start == len(s.stream) {
					start = 0
				}
			}
		})
	})
}

var sink uint32

// crcSizes are the sizes the CRC comparison covers: the 8-byte prelude, a small frame, a
// Bedrock chunk, and the larger shapes.
var crcSizes = []struct {
	name string
	n    int
}{
	{"8B", 8}, {"64B", 64}, {"300B", 300}, {"1KiB", 1 << 10}, {"4KiB", 4 << 10},
	{"64KiB", 64 << 10}, {"1MiB", 1 << 20},
}

// BenchmarkCRC compares hash/crc32 (impl=stdlib) with github.com/klauspost/crc32
// (impl=klauspost), both with the IEEE polynomial, over random bytes.
func BenchmarkCRC(b *testing.B) {
	data := make([]byte, 1<<20)
	r := rand.New(rand.NewPCG(3, 4))
	for i := range data {
		data[i] = byte(r.Uint32())
	}
	impls := []struct {
		name string
		sum  func([]byte) uint32
	}{
		{"stdlib", crc32.ChecksumIEEE},
		{"klauspost", kcrc32.ChecksumIEEE},
	}
	for _, impl := range impls {
		b.Run("impl="+impl.name, func(b *testing.B) {
			for _, size := range crcSizes {
				b.Run("size="+size.name, func(b *testing.B) {
					p := data[:size.n]
					b.SetBytes(int64(size.n))
					b.ReportAllocs()
					var sum uint32
					defer shapes.CPUMeter(b)()
					for b.Loop() {
						sum ^= impl.sum(p)
					}
					sink = sum
				})
			}
		})
	}
}
