package eventstream

import (
	"bytes"
	"errors"
	"io"
	"testing"
)

// TestEncoderReusesHeaders checks that the Encoder's header cache never writes stale bytes:
// every frame it writes equals what AppendBinary gives for that frame.
func TestEncoderReusesHeaders(t *testing.T) {
	raw := []byte("raw-1")
	dec := rawFrame(hdr("s", 7, str("decoded"))+hdr("b", 6, str("bytes")), "x")
	var decoded Frame
	if _, err := DecodeFrame(dec, &decoded); err != nil {
		t.Fatal(err)
	}
	f := &Frame{Headers: []Header{
		{":event-type", StringValue("chunk")},
		{"raw", BytesValue(raw)},
	}}
	var steps []func()
	steps = append(steps,
		func() {},
		func() { f.Payload = []byte("new payload") },
		func() { raw[4] = '2' }, // the caller changes a byte value in place
		func() { f.Headers[0].Value = StringValue("other") },
		func() { f.Headers[0].Name = ":other-name" },
		func() { f.Headers = f.Headers[:1] },
		func() { f.Headers = decoded.Headers },
		func() {
			// The decoded frame's storage is overwritten by another decode.
			copy(dec[len(dec)-5-2-5:], "BYTES")
			if _, err := DecodeFrame(rawFrame(hdr("s", 7, str("decoded"))+hdr("b", 6, str("BYTES")), "x"), &decoded); err != nil {
				t.Fatal(err)
			}
			f.Headers = decoded.Headers
		},
		func() { f.Headers = nil },
		func() { f.Headers = []Header{{":event-type", StringValue("chunk")}} },
	)
	var buf bytes.Buffer
	e := NewEncoder(&buf)
	for i, step := range steps {
		step()
		for range 2 {
			buf.Reset()
			if err := e.Encode(f); err != nil {
				t.Fatalf("step %d: %v", i, err)
			}
			want, err := f.MarshalBinary()
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(buf.Bytes(), want) {
				t.Fatalf("step %d: Encode wrote\n% x\nwant\n% x", i, buf.Bytes(), want)
			}
		}
	}
}

type countWriter struct {
	writes int
	n      int
	err    error
}

func (w *countWriter) Write(p []byte) (int, error) {
	w.writes++
	if w.n >= 0 && w.n < len(p) {
		return w.n, w.err
	}
	return len(p), w.err
}

func TestEncoderWrites(t *testing.T) {
	f := &Frame{Headers: []Header{{"a", Int32Value(1)}}, Payload: bytes.Repeat([]byte("p"), 3*largeChunk)}
	w := &countWriter{n: -1}
	e := NewEncoder(w)
	for range 3 {
		if err := e.Encode(f); err != nil {
			t.Fatal(err)
		}
	}
	if w.writes != 3 {
		t.Errorf("%d Writes for 3 frames", w.writes)
	}
	e.Reset(&countWriter{n: 10})
	if err := e.Encode(f); err != io.ErrShortWrite {
		t.Errorf("short write: %v", err)
	}
	boom := errors.New("boom")
	e.Reset(&countWriter{n: -1, err: boom})
	if err := e.Encode(f); err != boom {
		t.Errorf("write error: %v", err)
	}
}
