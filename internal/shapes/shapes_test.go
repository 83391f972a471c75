package shapes

import (
	"testing"

	"github.com/framewire/eventstream"
)

// headerBlock returns the encoded header block of f.
func headerBlock(t *testing.T, f *eventstream.Frame) string {
	t.Helper()
	b, err := f.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	var g eventstream.Frame
	if _, err := eventstream.DecodeFrame(b, &g); err != nil {
		t.Fatal(err)
	}
	return string(b[12 : len(b)-4-len(g.Payload)])
}

// TestRepeats checks what each shape says of its header blocks: a shape that repeats has one
// block in every frame; one that does not has a new block in every frame, the same names and
// types throughout, and thousands of distinct frames, so that the benchmarks do not run on a
// few frames repeated.
func TestRepeats(t *testing.T) {
	for _, s := range All() {
		if s.Doc == "" {
			t.Errorf("%s: no Doc", s.Name)
		}
		blocks := map[string]bool{}
		for _, f := range s.Frames {
			blocks[headerBlock(t, f)] = true
		}
		if s.Repeats {
			if len(blocks) != 1 {
				t.Errorf("%s: says it repeats but has %d distinct header blocks", s.Name, len(blocks))
			}
			continue
		}
		if len(s.Frames) < 1000 || len(blocks) != len(s.Frames) {
			t.Errorf("%s: %d distinct header blocks in %d frames, want one per frame and at least 1000", s.Name, len(blocks), len(s.Frames))
		}
		first := s.Frames[0].Headers
		for i, f := range s.Frames[1:] {
			prev := s.Frames[i].Headers
			if len(f.Headers) != len(first) {
				t.Fatalf("%s: frame %d has %d headers, want %d", s.Name, i+1, len(f.Headers), len(first))
			}
			for j, h := range f.Headers {
				if h.Name != first[j].Name || h.Value.Type() != first[j].Value.Type() {
					t.Fatalf("%s: frame %d header %d is %s %s, want %s %s", s.Name, i+1, j, h.Name, h.Value.Type(), first[j].Name, first[j].Value.Type())
				}
				typ := h.Value.Type()
				if typ != eventstream.TypeBoolTrue && typ != eventstream.TypeBoolFalse && h.Value.Equal(prev[j].Value) {
					t.Errorf("%s: frame %d header %s repeats the previous frame's value", s.Name, i+1, h.Name)
				}
			}
		}
	}
}
