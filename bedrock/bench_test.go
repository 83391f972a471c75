package bedrock

import (
	"bytes"
	"io"
	"testing"
)

// chunkStream returns a stream of n Claude text-delta chunks as the Writer writes them.
func chunkStream(tb testing.TB, n int) []byte {
	tb.Helper()
	var buf bytes.Buffer
	w := NewWriter(&buf)
	for i := range n {
		if err := w.WriteChunk([]byte(`{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"word ` + string(rune('a'+i%26)) + ` and some more words here"}}`)); err != nil {
			tb.Fatal(err)
		}
	}
	return buf.Bytes()
}

// BenchmarkReaderChunk reads a stream of Claude text-delta chunks: frame decode, envelope
// scan, base64 decode and JSON checks, per event.
func BenchmarkReaderChunk(b *testing.B) {
	stream := chunkStream(b, 1000)
	br := bytes.NewReader(stream)
	r := NewReader(br)
	b.ReportAllocs()
	b.SetBytes(int64(len(stream) / 1000))
	for b.Loop() {
		_, err := r.Next()
		if err == io.EOF {
			br.Reset(stream)
			r.Decoder().Reset(br)
			r.err = nil
			_, err = r.Next()
		}
		if err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkWriterChunk writes Claude text-delta chunks.
func BenchmarkWriterChunk(b *testing.B) {
	w := NewWriter(io.Discard)
	chunk := []byte(`{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"word a and some more words here"}}`)
	b.ReportAllocs()
	b.SetBytes(int64(len(chunk)))
	for b.Loop() {
		if err := w.WriteChunk(chunk); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkTextDelta extracts the text of a Claude chunk.
func BenchmarkTextDelta(b *testing.B) {
	chunk := []byte(`{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"word a and some more words here"}}`)
	b.ReportAllocs()
	b.SetBytes(int64(len(chunk)))
	for b.Loop() {
		if _, err := TextDelta(FamilyClaude, chunk); err != nil {
			b.Fatal(err)
		}
	}
}
