//go:build !race

package bedrock

import (
	"bytes"
	"io"
	"testing"
)

// nextAllocs warms r up (buffers grow, header names and values are interned) and returns
// the allocations of one more Next.
func nextAllocs(t *testing.T, r *Reader) float64 {
	t.Helper()
	for range 10 {
		if _, err := r.Next(); err != nil {
			t.Fatal(err)
		}
	}
	return testing.AllocsPerRun(200, func() {
		if _, err := r.Next(); err != nil {
			t.Fatal(err)
		}
	})
}

func TestReaderChunkAllocs(t *testing.T) {
	if allocs := nextAllocs(t, NewReader(bytes.NewReader(chunkStream(t, 300)))); allocs > 0 {
		t.Errorf("Next on a chunk: %v allocations, want 0", allocs)
	}
}

func TestReaderConverseAllocs(t *testing.T) {
	var buf bytes.Buffer
	w := NewWriter(&buf)
	for range 300 {
		w.WriteEvent("contentBlockDelta", []byte(`{"contentBlockIndex":0,"delta":{"text":"some words"}}`))
	}
	if allocs := nextAllocs(t, NewReader(&buf)); allocs > 0 {
		t.Errorf("Next on a ConverseStream event: %v allocations, want 0", allocs)
	}
}

func TestWriterAllocs(t *testing.T) {
	w := NewWriter(io.Discard)
	chunk := []byte(`{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hello there"}}`)
	event := []byte(`{"contentBlockIndex":0,"delta":{"text":"Hello there"}}`)
	w.WriteChunk(chunk)
	w.WriteEvent("contentBlockDelta", event)
	if allocs := testing.AllocsPerRun(200, func() { w.WriteChunk(chunk) }); allocs > 0 {
		t.Errorf("WriteChunk: %v allocations, want 0", allocs)
	}
	if allocs := testing.AllocsPerRun(200, func() { w.WriteEvent("contentBlockDelta", event) }); allocs > 0 {
		t.Errorf("WriteEvent: %v allocations, want 0", allocs)
	}
}
