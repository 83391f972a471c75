package eventstream

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
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

// TestEncoderPaths encodes a long random sequence of frames with one Encoder: runs of frames
// with the same names and types and changing values, repeats, layout changes and headers the
// encoder must refuse (a zero Value, an over-long value, a repeated or invalid name). Every
// frame written, and every error, must be what AppendBinary gives for that frame.
func TestEncoderPaths(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	layouts := [][]string{{":date", ":chunk-signature"}, {"a", "bb", "ccc", "dddddddddddddddddddddddd"}, {":event-type"}}
	value := func(i int) Value {
		switch i % 5 {
		case 0:
			return TimestampValue(time.UnixMilli(r.Int64N(1 << 42)))
		case 1:
			return BytesValue([]byte(strings.Repeat("s", r.IntN(40))))
		case 2:
			return StringValue(strings.Repeat("v", r.IntN(3)))
		case 3:
			return Int32Value(r.Int32N(3))
		}
		return UUIDValue([16]byte{byte(r.IntN(2))})
	}
	var buf bytes.Buffer
	e := NewEncoder(&buf)
	var f *Frame
	names := layouts[0]
	paths := map[string]int{}
	for i := range 5000 {
		if f == nil || r.IntN(4) != 0 { // otherwise the same frame again
			if r.IntN(10) == 0 {
				names = layouts[r.IntN(len(layouts))]
			}
			f = &Frame{Payload: []byte("p")}
			for j, name := range names {
				f.Headers = append(f.Headers, Header{Name: name, Value: value(j)})
			}
			switch r.IntN(40) {
			case 0:
				f.Headers[0].Value = Value{}
			case 1:
				f.Headers[len(f.Headers)-1].Value = BytesValue(make([]byte, MaxValueLen+1))
			case 2:
				f.Headers = append(f.Headers, f.Headers[0])
			case 3:
				f.Headers[0].Name = "\xff"
			case 4, 5:
				f.Headers[0].Value = value(1 + r.IntN(4)) // another type
			}
		}
		switch {
		case e.block != nil && e.fresh() && sameHeaders(f.Headers, e.last):
			paths["repeat"]++
		case e.appendValues(f.Headers, f.Payload) == nil:
			if e.block != nil && len(f.Headers) == len(e.last) && f.Headers[0].Name == e.last[0].Name {
				paths["general, same names"]++
			} else {
				paths["general"]++
			}
		case sameLayout(f.Headers, e.last):
			paths["values"]++
		default:
			paths["values, then in full"]++
		}
		buf.Reset()
		err := e.Encode(f)
		want, wantErr := f.MarshalBinary()
		if fmt.Sprint(err) != fmt.Sprint(wantErr) || !bytes.Equal(buf.Bytes(), want) {
			t.Fatalf("frame %d: Encode wrote\n% x, %v\nwant\n% x, %v", i, buf.Bytes(), err, want, wantErr)
		}
	}
	for _, p := range []string{"repeat", "values", "values, then in full", "general, same names", "general"} {
		if paths[p] < 50 {
			t.Errorf("path %q taken %d times; paths: %v", p, paths[p], paths)
		}
	}
}

// sameLayout reports whether hs and last have the same names, types and value lengths.
func sameLayout(hs, last []Header) bool {
	if len(hs) != len(last) {
		return false
	}
	for i := range hs {
		h, l := &hs[i], &last[i]
		if h.Name != l.Name || h.Value.typ != l.Value.typ || h.Value.wireLen() != l.Value.wireLen() {
			return false
		}
	}
	return true
}

// TestEncoderValueLengths writes byte-array and string values of every length from 0 to 40
// over the cached block (each frame after the first has the previous frame's names, types
// and lengths), and checks each frame against AppendBinary.
func TestEncoderValueLengths(t *testing.T) {
	var buf bytes.Buffer
	e := NewEncoder(&buf)
	for n := range 41 {
		for k := range 3 {
			v := make([]byte, n)
			for i := range v {
				v[i] = byte(k*41 + i + 1)
			}
			dec := Value{typ: TypeString, b: v, set: true} // a decoded string
			f := &Frame{Headers: []Header{
				{"bytes", BytesValue(v)},
				{"string", StringValue(string(v))},
				{"decoded", dec},
			}, Payload: v}
			buf.Reset()
			if err := e.Encode(f); err != nil {
				t.Fatal(err)
			}
			want, err := f.MarshalBinary()
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(buf.Bytes(), want) {
				t.Fatalf("length %d, frame %d: Encode wrote\n% x\nwant\n% x", n, k, buf.Bytes(), want)
			}
		}
	}
}
