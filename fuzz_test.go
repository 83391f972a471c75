package eventstream

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// addSeeds seeds f with every stream of the conformance corpus and a few built here.
func addSeeds(f *testing.F) [][]byte {
	var seeds [][]byte
	files, _ := filepath.Glob(filepath.Join("testdata", "corpus", "*.bin"))
	for _, name := range files {
		if b, err := os.ReadFile(name); err == nil && len(b) <= 1<<16 {
			seeds = append(seeds, b)
		}
	}
	_, allBytes := allTypesFrame()
	seeds = append(seeds, allBytes, rawFrame("", ""), rawFrame(hdr(":event-type", 7, str("chunk")), `{"bytes":"e30="}`))
	for _, tt := range decodeCases {
		if len(tt.frame) < 1<<16 {
			seeds = append(seeds, tt.frame)
		}
	}
	return seeds
}

// checkErr fails unless err is one of the errors the decoding rules allow.
func checkErr(t *testing.T, err error) {
	t.Helper()
	if err == io.ErrUnexpectedEOF {
		return
	}
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not an *Error", err, err)
	}
	if !errors.Is(err, ErrChecksum) && !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrTooLarge) {
		t.Fatalf("error %v matches no sentinel", err)
	}
}

// FuzzDecode decodes arbitrary bytes: no panic, no hang, errors of the documented classes, and
// any frame that decodes re-encodes to the same bytes.
func FuzzDecode(f *testing.F) {
	for _, s := range addSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var fr Frame
		n, err := DecodeFrame(data, &fr)
		if err != nil {
			checkErr(t, err)
			return
		}
		out, err := fr.AppendBinary(nil)
		if err != nil {
			t.Fatalf("decoded frame does not re-encode: %v", err)
		}
		if !bytes.Equal(out, data[:n]) {
			t.Fatalf("re-encoded\n% x\nwant\n% x", out, data[:n])
		}
		var u Frame
		if err := u.UnmarshalBinary(data[:n]); err != nil {
			t.Fatalf("UnmarshalBinary: %v", err)
		}
		if diff := cmp.Diff(&fr, &u, frameCmp); diff != "" {
			t.Fatalf("UnmarshalBinary differs (-DecodeFrame +UnmarshalBinary):\n%s", diff)
		}
	})
}

// chunkReader returns data in pieces whose sizes come from sizes, cycling.
type chunkReader struct {
	data  []byte
	sizes []byte
	i     int
}

func (c *chunkReader) Read(p []byte) (int, error) {
	if len(c.data) == 0 {
		return 0, io.EOF
	}
	n := 1
	if len(c.sizes) > 0 {
		n = int(c.sizes[c.i%len(c.sizes)])*7 + 1
		c.i++
	}
	n = copy(p[:min(n, len(p))], c.data)
	c.data = c.data[n:]
	return n, nil
}

// FuzzStreaming checks that the streaming decoder, DecodeFrame and ScanFrames agree on every
// stream under arbitrary chunking: the same frames, then the same kind of end.
func FuzzStreaming(f *testing.F) {
	seeds := addSeeds(f)
	for i, s := range seeds {
		f.Add(append(bytes.Clone(s), seeds[(i+1)%len(seeds)]...), []byte{byte(i), 3, 200})
	}
	f.Fuzz(func(t *testing.T, data, sizes []byte) {
		// Reference: DecodeFrame over the bytes.
		var want []*Frame
		var wantErr error
		rest := data
		for {
			if len(rest) == 0 {
				wantErr = io.EOF
				break
			}
			var fr Frame
			n, err := DecodeFrame(rest, &fr)
			if err != nil {
				wantErr = err
				break
			}
			want = append(want, fr.Clone())
			rest = rest[n:]
		}
		d := NewDecoder(&chunkReader{data: data, sizes: sizes})
		got, err := decodeAll(d)
		if diff := cmp.Diff(want, got, frameCmp); diff != "" {
			t.Fatalf("Decoder and DecodeFrame differ (-DecodeFrame +Decoder):\n%s", diff)
		}
		if !sameClass(err, wantErr) {
			t.Fatalf("Decoder ended with %v, DecodeFrame with %v", err, wantErr)
		}
		if err != io.EOF {
			checkErr(t, err)
		}
		var de *Error
		if errors.As(err, &de) && de.Offset != int64(len(data)-len(rest)) {
			t.Fatalf("error offset %d, want %d", de.Offset, len(data)-len(rest))
		}
		// Decoding into two Frames in an order the sizes choose, each keeps its frame until it is
		// decoded into again, whichever of them aliases the read buffer.
		d = NewDecoder(&chunkReader{data: data, sizes: sizes})
		var frames [2]Frame
		var held [2]*Frame
		for i := range want {
			k := 0
			if len(sizes) > 0 {
				k = int(sizes[i%len(sizes)] >> 7)
			}
			if err := d.Decode(&frames[k]); err != nil {
				t.Fatalf("frame %d into Frame %d: %v", i, k, err)
			}
			held[k] = want[i]
			for j := range frames {
				if held[j] != nil {
					if diff := cmp.Diff(held[j], &frames[j], frameCmp); diff != "" {
						t.Fatalf("after frame %d into Frame %d, Frame %d changed (-want +got):\n%s", i, k, j, diff)
					}
				}
			}
		}
		// ScanFrames stops at the same frame, with the same kind of error.
		s := bufio.NewScanner(bytes.NewReader(data))
		s.Buffer(nil, DefaultMaxFrameLen)
		s.Split(ScanFrames)
		n := 0
		for s.Scan() {
			n++
		}
		scanErr := s.Err()
		if scanErr == nil {
			scanErr = io.EOF
		}
		if n != len(want) || !sameClass(scanErr, wantErr) {
			t.Fatalf("ScanFrames: %d frames, then %v; DecodeFrame: %d frames, then %v", n, scanErr, len(want), wantErr)
		}
	})
}

func sameClass(a, b error) bool {
	for _, s := range []error{io.EOF, io.ErrUnexpectedEOF, ErrChecksum, ErrMalformed, ErrTooLarge} {
		if errors.Is(a, s) != errors.Is(b, s) {
			return false
		}
	}
	return true
}

// headersFromBytes turns fuzz bytes into a header list: each header takes a type byte, a name
// length and name, and value bytes as its type needs.
func headersFromBytes(b []byte) []Header {
	var hs []Header
	for len(b) >= 2 && len(hs) < 40 {
		typ := HeaderType(b[0] % 10)
		nl := int(b[1] % 20)
		b = b[2:]
		if nl > len(b) {
			nl = len(b)
		}
		name := string(b[:nl])
		b = b[nl:]
		take := func(n int) []byte {
			v := make([]byte, n)
			copy(v, b)
			b = b[min(n, len(b)):]
			return v
		}
		var v Value
		switch typ {
		case TypeBoolTrue, TypeBoolFalse:
			v = BoolValue(typ == TypeBoolTrue)
		case TypeByte:
			v = ByteValue(int8(take(1)[0]))
		case TypeInt16:
			v = Int16Value(int16(binary.BigEndian.Uint16(take(2))))
		case TypeInt32:
			v = Int32Value(int32(binary.BigEndian.Uint32(take(4))))
		case TypeInt64:
			v = Int64Value(int64(binary.BigEndian.Uint64(take(8))))
		case TypeTimestamp:
			v = Value{typ: TypeTimestamp, num: int64(binary.BigEndian.Uint64(take(8))), set: true}
		case TypeUUID:
			v = UUIDValue([16]byte(take(16)))
		case TypeBytes, TypeString:
			n := 0
			if len(b) > 0 {
				n = int(b[0])
				b = b[1:]
			}
			raw := take(min(n, len(b)))
			if typ == TypeBytes {
				v = BytesValue(raw)
			} else {
				v = StringValue(string(raw))
			}
		}
		hs = append(hs, Header{Name: name, Value: v})
	}
	return hs
}

// FuzzRoundTrip encodes arbitrary header lists and payloads: a frame the encoder accepts
// decodes to the same headers and payload, a refused frame leaves the destination untouched,
// and AppendBinary never touches the caller's prefix.
func FuzzRoundTrip(f *testing.F) {
	f.Add([]byte("\x07\x0b:event-type\x05chunk"), []byte(`{"bytes":"e30="}`), []byte("prefix"))
	f.Add([]byte("\x00\x01a\x01\x01b\x09\x01u0123456789abcdef\x08\x02tsABCDEFGH"), []byte{}, []byte{})
	f.Add([]byte("\x07\x01a\x00\x07\x01a\x00"), []byte("dup"), []byte("p"))
	f.Fuzz(func(t *testing.T, spec, payload, prefix []byte) {
		fr := &Frame{Headers: headersFromBytes(spec), Payload: payload}
		dst := append(make([]byte, 0, len(prefix)+fr.EncodedLen()+8), prefix...)
		out, err := fr.AppendBinary(dst)
		if !bytes.Equal(out[:len(prefix)], prefix) {
			t.Fatalf("prefix changed")
		}
		if err != nil {
			checkErr(t, err)
			if len(out) != len(prefix) {
				t.Fatalf("refused frame appended %d bytes", len(out)-len(prefix))
			}
			return
		}
		enc := out[len(prefix):]
		if len(enc) != fr.EncodedLen() {
			t.Fatalf("encoded %d bytes, EncodedLen %d", len(enc), fr.EncodedLen())
		}
		var got Frame
		n, err := DecodeFrame(enc, &got)
		if err != nil || n != len(enc) {
			t.Fatalf("DecodeFrame = %d, %v", n, err)
		}
		if diff := cmp.Diff(fr, &got, frameCmp); diff != "" {
			t.Fatalf("round trip (-want +got):\n%s", diff)
		}
	})
}

// FuzzValidCRC mutates the prelude lengths and the header block and then fixes both CRCs, so
// that the fuzzer explores the checks behind the checksums.
func FuzzValidCRC(f *testing.F) {
	f.Add(uint32(0), uint32(0), []byte(hdr("a", 7, str("v"))), []byte("payload"))
	f.Add(uint32(16), uint32(1), []byte("\x01"), []byte{})
	f.Add(uint32(0), uint32(3), []byte(hdr("a", 0, "")+hdr("a", 1, "")), []byte{})
	f.Add(uint32(0), uint32(0), []byte(hdr("x", 10, "")), []byte("p"))
	for _, tt := range decodeCases {
		if len(tt.frame) >= 16 && len(tt.frame) < 1024 {
			total := binary.BigEndian.Uint32(tt.frame)
			hlen := binary.BigEndian.Uint32(tt.frame[4:])
			body := tt.frame[12 : len(tt.frame)-4]
			f.Add(total, hlen, body, []byte{})
		}
	}
	f.Fuzz(func(t *testing.T, total, hlen uint32, block, payload []byte) {
		body := append(bytes.Clone(block), payload...)
		if total == 0 {
			total = uint32(16 + len(body)) // a consistent total_length, most of the time
		}
		if hlen == 0 {
			hlen = uint32(len(block))
		}
		b := binary.BigEndian.AppendUint32(nil, total)
		b = binary.BigEndian.AppendUint32(b, hlen)
		b = binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(b))
		b = append(b, body...)
		// The message CRC goes where total_length says the frame ends, if that is inside b.
		if end := int(total) - 4; total >= 16 && end >= 12 && end <= len(b) {
			b = binary.BigEndian.AppendUint32(b[:end], crc32.ChecksumIEEE(b[:end]))
		}
		var fr Frame
		n, err := DecodeFrame(b, &fr)
		if err != nil {
			checkErr(t, err)
			if errors.Is(err, ErrChecksum) {
				t.Fatalf("checksum error on a frame with valid CRCs: %v", err)
			}
			return
		}
		out, err := fr.AppendBinary(nil)
		if err != nil || !bytes.Equal(out, b[:n]) {
			t.Fatalf("re-encode: %v\n% x\nwant\n% x", err, out, b[:n])
		}
	})
}

// FuzzHeaderPaths decodes one stream twice: with the decoder's shortcuts (a block that repeats
// the last one reuses its parsed headers; a block with the last block's names and types has
// only its values parsed) and with every block through the general parser. Frame i+1 is
// frame i with the byte at muts[2i] (modulo the block's length) set to muts[2i+1], so that
// mostly the values change, sometimes a name, a type or a length; both CRCs are valid. Frame
// i's payload is pads[i] bytes (cycling; 1 byte if pads is empty) of the block repeated, so
// that the fast path's loads past the block meet bytes that look like headers, and headers
// near the frame's end take its careful path. The two decodes must give the same frames and
// the same errors.
func FuzzHeaderPaths(f *testing.F) {
	all, allBytes := allTypesFrame()
	block := allBytes[12 : len(allBytes)-4-len(all.Payload)]
	signed := hdr(":date", 8, "\x00\x00\x01\x9a\x00\x00\x00\x00") + hdr(":chunk-signature", 6, str(strings.Repeat("s", 32)))
	f.Add(block, []byte{9, 1, 9, 2, 20, 7, 0, 0, 60, 61, 200, 3}, []byte{1}, false)
	f.Add(block, []byte{1, 2, 200, 0, 3, 3, 30, 0x80, 60, 0xff}, []byte{40, 0, 7}, true)
	f.Add([]byte(signed), []byte{10, 1, 10, 2, 30, 5, 11, 7, 12, 12}, []byte{0, 30, 2, 200}, false)
	f.Add([]byte(hdr(":event-type", 7, str("chunk"))+hdr(":event-type", 7, str("other"))), []byte{2, 'x', 2, 'e'}, []byte{}, false)
	// Names of 22 bytes (the longest the fast path matches in three words) and 30, whose last
	// bytes change.
	long := hdr("x-amzn-requestid-12345", 7, str("id")) + hdr("x-a-name-longer-than-22-bytes!", 5, "12345678") + hdr("z", 0, "")
	f.Add([]byte(long), []byte{22, '6', 22, '5', 58, '?', 58, '!', 70, 1, 25, 6}, []byte{0, 64, 3}, false)
	f.Fuzz(func(t *testing.T, block, muts, pads []byte, validate bool) {
		if len(block) == 0 || len(block) > 4096 || len(muts) > 256 || len(pads) > 64 {
			return
		}
		var stream []byte
		b := bytes.Clone(block)
		for i := 0; ; i += 2 {
			pad := 1
			if len(pads) > 0 {
				pad = int(pads[i/2%len(pads)])
			}
			payload := bytes.Repeat(b, pad/len(b)+1)[:pad]
			stream = append(stream, rawFrame(string(b), string(payload))...)
			if i+1 >= len(muts) {
				break
			}
			b[int(muts[i])%len(b)] = muts[i+1]
		}
		fast := NewDecoder(bytes.NewReader(stream))
		slow := NewDecoder(bytes.NewReader(stream))
		fast.ValidateUTF8, slow.ValidateUTF8 = validate, validate
		var ff, sf, df Frame
		off := 0
		for i := 0; ; i++ {
			if sf.intern != nil { // forget what the last blocks were: the general parser only
				sf.intern.layoutN, sf.intern.lastN = 0, 0
			}
			ferr, serr := fast.Decode(&ff), slow.Decode(&sf)
			if (ferr == nil) != (serr == nil) || ferr != nil && ferr.Error() != serr.Error() {
				t.Fatalf("frame %d: with shortcuts %v, general parser %v", i, ferr, serr)
			}
			if ferr != nil {
				break
			}
			if diff := cmp.Diff(&sf, &ff, frameCmp); diff != "" {
				t.Fatalf("frame %d (-general +shortcuts):\n%s", i, diff)
			}
			for j := range ff.Headers {
				if a, b := ff.Headers[j].Value.String(), sf.Headers[j].Value.String(); a != b {
					t.Fatalf("frame %d header %d: %q, general parser %q", i, j, a, b)
				}
			}
			// DecodeFrame, whose repeated blocks point into the caller's bytes, agrees too.
			if !validate {
				n, err := DecodeFrame(stream[off:], &df)
				if err != nil {
					t.Fatalf("frame %d: DecodeFrame: %v", i, err)
				}
				off += n
				if diff := cmp.Diff(&sf, &df, frameCmp); diff != "" {
					t.Fatalf("frame %d (-general +DecodeFrame):\n%s", i, diff)
				}
			}
		}
	})
}

// FuzzEncoderPaths encodes a stream of frames with one Encoder, which takes its shortcuts (a
// repeated block copied, values written over the cached block, headers whose names were
// checked in an earlier frame encoded without checking them again), and checks every frame
// written, and every error, against AppendBinary, which takes none. Frame i+1 is frame i with
// the byte at muts[2i] (modulo the spec's length) of its header spec set to muts[2i+1], so
// that mostly the values change, sometimes a name, a type or a length; its payload is the
// first pads[i] bytes (cycling) of the spec.
func FuzzEncoderPaths(f *testing.F) {
	f.Add([]byte("\x08\x05:date\x00\x00\x01\x9a\x00\x00\x00\x00\x06\x10:chunk-signature\x20"+strings.Repeat("s", 32)),
		[]byte{10, 1, 10, 2, 30, 5, 11, 7, 12, 12, 2, 9, 3, 3}, []byte{5, 0, 40})
	f.Add([]byte("\x00\x01a\x01\x01b\x02\x01c\x01\x03\x02dd\x00\x01\x04\x03eee\x01\x02\x03\x04\x09\x01u0123456789abcdef\x07\x02ss\x03abc"),
		[]byte{5, 2, 5, 3, 40, 2, 40, 9, 0, 1, 0, 0, 9, 200}, []byte{})
	f.Add([]byte("\x07\x01a\x01x\x07\x01a\x01y"), []byte{4, 'b', 4, 'a'}, []byte{1})
	f.Fuzz(func(t *testing.T, spec, muts, pads []byte) {
		if len(spec) == 0 || len(spec) > 4096 || len(muts) > 256 {
			return
		}
		var buf bytes.Buffer
		e := NewEncoder(&buf)
		s := bytes.Clone(spec)
		for i := 0; ; i += 2 {
			fr := &Frame{Headers: headersFromBytes(s)}
			if len(pads) > 0 {
				fr.Payload = s[:int(pads[i/2%len(pads)])%(len(s)+1)]
			}
			buf.Reset()
			err := e.Encode(fr)
			want, wantErr := fr.MarshalBinary()
			if fmt.Sprint(err) != fmt.Sprint(wantErr) || !bytes.Equal(buf.Bytes(), want) {
				t.Fatalf("frame %d: Encode wrote\n% x, %v\nAppendBinary\n% x, %v", i/2, buf.Bytes(), err, want, wantErr)
			}
			if i+1 >= len(muts) {
				break
			}
			s[int(muts[i])%len(s)] = muts[i+1]
		}
	})
}
