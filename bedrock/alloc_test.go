//go:build !race

package bedrock

import (
	"bytes"
	"io"
	"net/http"
	"runtime"
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

// TestValidateConverseCopiesNothing checks that validating a large Converse body scans it in
// place: the bytes allocated do not grow with the body.
func TestValidateConverseCopiesNothing(t *testing.T) {
	text := bytes.Repeat([]byte("lorem ipsum "), 1<<20) // 12 MiB
	body := []byte(`{"messages":[{"role":"user","content":[{"text":"` + string(text) + `"}]},{"role":"assistant","content":[{"text":"ok"}]},{"role":"user","content":[{"text":"again"}]}]}`)
	h := http.Header{"Content-Type": {"application/json"}}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	if err := ValidateRequest(OpConverseStream, "anthropic.claude-v2", h, body); err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	if n := after.TotalAlloc - before.TotalAlloc; n > 1<<20 {
		t.Errorf("validating a %d MiB body allocated %d bytes", len(body)>>20, n)
	}
}
