//go:build !race

package eventstream_test

import (
	"bytes"
	"io"
	"testing"

	"github.com/framewire/eventstream"
	"github.com/framewire/eventstream/internal/shapes"
)

// TestShapesAllocs checks the zero-allocation guarantee on the benchmark shapes, those whose
// header values change in every frame included: Decode, DecodeFrame and Encode, in steady
// state, over more frames than each shape has distinct ones.
func TestShapesAllocs(t *testing.T) {
	for _, s := range shapes.All() {
		t.Run(s.Name, func(t *testing.T) {
			stream := s.Stream(0)
			runs := 2 * len(s.Frames)
			if len(stream) > 4<<20 {
				runs = 20
			}

			r := bytes.NewReader(stream)
			d := eventstream.NewDecoder(r)
			var f eventstream.Frame
			decode := func() {
				err := d.Decode(&f)
				if err == io.EOF {
					r.Reset(stream)
					d.Reset(r)
					err = d.Decode(&f)
				}
				if err != nil {
					t.Fatal(err)
				}
			}
			for range runs { // warm up: buffers, interned names and values
				decode()
			}
			if n := testing.AllocsPerRun(runs, decode); n != 0 {
				t.Errorf("Decode: %v allocations per frame", n)
			}

			var g eventstream.Frame
			off := 0
			decodeFrame := func() {
				if off == len(stream) {
					off = 0
				}
				n, err := eventstream.DecodeFrame(stream[off:], &g)
				if err != nil {
					t.Fatal(err)
				}
				off += n
			}
			for range runs {
				decodeFrame()
			}
			if n := testing.AllocsPerRun(runs, decodeFrame); n != 0 {
				t.Errorf("DecodeFrame: %v allocations per frame", n)
			}

			e := eventstream.NewEncoder(io.Discard)
			i := 0
			encode := func() {
				if err := e.Encode(s.Frames[i%len(s.Frames)]); err != nil {
					t.Fatal(err)
				}
				i++
			}
			for range len(s.Frames) {
				encode()
			}
			if n := testing.AllocsPerRun(runs, encode); n != 0 {
				t.Errorf("Encode: %v allocations per frame", n)
			}
		})
	}
}
