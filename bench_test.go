package eventstream_test

import (
	"io"
	"testing"

	"github.com/framewire/eventstream"
	"github.com/framewire/eventstream/internal/shapes"
)

// The benchmarks run on the shapes of SPEC.md section 8. Throughput (MB/s) counts encoded frame
// bytes; ns/op is per frame, and cpu-ns/op the process CPU time per frame (steadier than ns/op
// on a busy machine). Compare runs with `go tool benchstat`; the comparison with the
// AWS SDK lives in internal/benchcmp.

// segReader serves data in pieces of at most seg bytes (0: no limit).
type segReader struct {
	data []byte
	off  int
	seg  int
}

func (r *segReader) Read(p []byte) (int, error) {
	if r.off == len(r.data) {
		return 0, io.EOF
	}
	if r.seg > 0 && len(p) > r.seg {
		p = p[:r.seg]
	}
	n := copy(p, r.data[r.off:])
	r.off += n
	return n, nil
}

func benchDecode(b *testing.B, seg int) {
	for _, s := range shapes.All() {
		b.Run("shape="+s.Name, func(b *testing.B) {
			// At the end of the data the stream starts again, as a new stream.
			r := &segReader{data: s.Stream(4 << 20), seg: seg}
			d := eventstream.NewDecoder(r)
			var f eventstream.Frame
			b.SetBytes(int64(s.FrameBytes()))
			b.ReportAllocs()
			defer shapes.CPUMeter(b)()
			for b.Loop() {
				err := d.Decode(&f)
				if err == io.EOF {
					r.off = 0
					d.Reset(r)
					err = d.Decode(&f)
				}
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkDecode decodes from a reader that returns as much as asked.
func BenchmarkDecode(b *testing.B) { benchDecode(b, 0) }

// BenchmarkDecodeSegmented decodes from a reader that returns at most 1460 bytes per Read, the
// payload of a full Ethernet TCP segment.
func BenchmarkDecodeSegmented(b *testing.B) { benchDecode(b, 1460) }

// BenchmarkDecodeFrame decodes frames in place, without copying.
func BenchmarkDecodeFrame(b *testing.B) {
	for _, s := range shapes.All() {
		b.Run("shape="+s.Name, func(b *testing.B) {
			stream := s.Stream(4 << 20)
			var f eventstream.Frame
			off := 0
			b.SetBytes(int64(s.FrameBytes()))
			b.ReportAllocs()
			defer shapes.CPUMeter(b)()
			for b.Loop() {
				if off == len(stream) {
					off = 0
				}
				n, err := eventstream.DecodeFrame(stream[off:], &f)
				if err != nil {
					b.Fatal(err)
				}
				off += n
			}
		})
	}
}

// BenchmarkEncode encodes each shape's frames with one Encoder.
func BenchmarkEncode(b *testing.B) {
	for _, s := range shapes.All() {
		b.Run("shape="+s.Name, func(b *testing.B) {
			e := eventstream.NewEncoder(io.Discard)
			i := 0
			b.SetBytes(int64(s.FrameBytes()))
			b.ReportAllocs()
			defer shapes.CPUMeter(b)()
			for b.Loop() {
				if err := e.Encode(s.Frames[i]); err != nil {
					b.Fatal(err)
				}
				if i++; i == len(s.Frames) {
					i = 0
				}
			}
		})
	}
}

// BenchmarkHeaderLookup finds a header and compares its string value.
func BenchmarkHeaderLookup(b *testing.B) {
	raw := shapes.All()[0].Stream(0)
	var f eventstream.Frame
	for range 3 {
		if _, err := eventstream.DecodeFrame(raw, &f); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		if v, ok := f.Header(":message-type"); !ok || v.String() != "event" {
			b.Fatal("lookup failed")
		}
	}
}
