package eventstream

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/google/go-cmp/cmp"
)

// testStream returns a stream of frames of varied shapes, small and larger than the read
// buffer, with the frames it holds.
func testStream(t testing.TB) ([]byte, []*Frame) {
	t.Helper()
	all, _ := allTypesFrame()
	frames := []*Frame{
		{},
		{Payload: []byte("payload only")},
		{Headers: []Header{{":event-type", StringValue("chunk")}}},
		all,
		{Headers: []Header{{":event-type", StringValue("chunk")}, {":message-type", StringValue("event")}}, Payload: bytes.Repeat([]byte("z"), readBufLen+100)},
		{Headers: []Header{{":event-type", StringValue("chunk")}}, Payload: []byte(`{"bytes":"eyJ0ZXh0IjoiaGkifQ=="}`)},
		{Payload: bytes.Repeat([]byte("0123456789"), 3*largeChunk/10+7)},
		{Headers: []Header{{"last", Int32Value(7)}}},
	}
	var stream []byte
	for _, f := range frames {
		var err error
		if stream, err = f.AppendBinary(stream); err != nil {
			t.Fatal(err)
		}
	}
	return stream, frames
}

// decodeAll decodes every frame of r and returns clones of them and the final error.
func decodeAll(d *Decoder) ([]*Frame, error) {
	var out []*Frame
	var f Frame
	for {
		if err := d.Decode(&f); err != nil {
			return out, err
		}
		out = append(out, f.Clone())
	}
}

// frameCmp compares frames treating nil and empty slices alike.
var frameCmp = cmp.Options{valueCmp, cmp.Comparer(func(a, b []byte) bool { return bytes.Equal(a, b) }),
	cmp.Transformer("headers", func(h []Header) []Header {
		if len(h) == 0 {
			return nil
		}
		return h
	}), cmp.AllowUnexported(Frame{}), cmp.FilterPath(func(p cmp.Path) bool {
		sf, ok := p.Last().(cmp.StructField)
		return ok && (sf.Name() == "buf" || sf.Name() == "intern")
	}, cmp.Ignore())}

func TestDecodeChunking(t *testing.T) {
	stream, want := testStream(t)
	r := rand.New(rand.NewPCG(3, 4))
	readers := map[string]func() io.Reader{
		"whole":       func() io.Reader { return bytes.NewReader(stream) },
		"one byte":    func() io.Reader { return iotest.OneByteReader(bytes.NewReader(stream)) },
		"half":        func() io.Reader { return iotest.HalfReader(bytes.NewReader(stream)) },
		"data+EOF":    func() io.Reader { return iotest.DataErrReader(bytes.NewReader(stream)) },
		"random size": func() io.Reader { return &randomReader{r: r, data: stream} },
		"1460 segments": func() io.Reader {
			return &segmentReader{data: stream, seg: 1460}
		},
	}
	for name, mk := range readers {
		t.Run(name, func(t *testing.T) {
			got, err := decodeAll(NewDecoder(mk()))
			if err != io.EOF {
				t.Fatalf("after %d frames: %v", len(got), err)
			}
			if diff := cmp.Diff(want, got, frameCmp); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// randomReader returns random-sized pieces of data, sometimes empty.
type randomReader struct {
	r    *rand.Rand
	data []byte
}

func (rr *randomReader) Read(p []byte) (int, error) {
	if len(rr.data) == 0 {
		return 0, io.EOF
	}
	n := min(len(p), len(rr.data), rr.r.IntN(3000))
	n = copy(p, rr.data[:n])
	rr.data = rr.data[n:]
	return n, nil
}

// segmentReader returns at most seg bytes per Read, as a TCP stream of full segments does, and
// counts its calls.
type segmentReader struct {
	data  []byte
	seg   int
	calls int
}

func (s *segmentReader) Read(p []byte) (int, error) {
	s.calls++
	if len(s.data) == 0 {
		return 0, io.EOF
	}
	n := copy(p[:min(len(p), s.seg)], s.data)
	s.data = s.data[n:]
	return n, nil
}

// TestTruncation cuts a valid stream at every byte offset: frames before the cut decode, a cut
// at a frame boundary is a clean io.EOF, and any other cut is io.ErrUnexpectedEOF.
func TestTruncation(t *testing.T) {
	small := []*Frame{{}, {Headers: []Header{{":event-type", StringValue("chunk")}, {"n", Int64Value(-5)}}, Payload: []byte("hello")}}
	all, _ := allTypesFrame()
	small = append(small, all, &Frame{Payload: bytes.Repeat([]byte("L"), readBufLen+50)})
	var stream []byte
	var ends []int
	for _, f := range small {
		stream, _ = f.AppendBinary(stream)
		ends = append(ends, len(stream))
	}
	for cut := 0; cut <= len(stream); cut++ {
		if cut > 200 && cut < ends[len(ends)-1]-200 && cut%97 != 0 && cut != ends[len(ends)-2] {
			continue // the middle of the large frame is all alike; sample it
		}
		whole := 0
		for _, e := range ends {
			if e <= cut {
				whole++
			}
		}
		wantErr := io.ErrUnexpectedEOF
		if cut == 0 || (whole > 0 && ends[whole-1] == cut) {
			wantErr = io.EOF
		}
		for _, mk := range []func([]byte) io.Reader{
			func(b []byte) io.Reader { return bytes.NewReader(b) },
			func(b []byte) io.Reader { return iotest.OneByteReader(bytes.NewReader(b)) },
		} {
			d := NewDecoder(mk(stream[:cut]))
			got, err := decodeAll(d)
			if len(got) != whole || err != wantErr {
				t.Fatalf("cut at %d: %d frames, %v; want %d frames, %v", cut, len(got), err, whole, wantErr)
			}
			if err2 := d.Decode(new(Frame)); err2 != err {
				t.Fatalf("cut at %d: error not sticky: %v then %v", cut, err, err2)
			}
		}
	}
}

// TestReadsAmortised checks that a stream of small frames costs about one Read per buffer
// fill, not one or more per frame.
func TestReadsAmortised(t *testing.T) {
	f := &Frame{Headers: []Header{{":event-type", StringValue("chunk")}}, Payload: bytes.Repeat([]byte("x"), 300)}
	var stream []byte
	for len(stream) < 1<<20 {
		stream, _ = f.AppendBinary(stream)
	}
	r := &segmentReader{data: stream, seg: len(stream)}
	frames, err := decodeAll(NewDecoder(r))
	if err != io.EOF {
		t.Fatal(err)
	}
	fills := len(stream)/readBufLen + 1
	if r.calls > fills+2 {
		t.Errorf("%d Reads for %d frames in %d bytes; want about %d", r.calls, len(frames), len(stream), fills)
	}
}

// TestDeclaredLengthBoundsMemory sends a prelude declaring a 20 MiB frame, then 64 KiB and
// EOF: the decoder must not allocate anything like 20 MiB.
func TestDeclaredLengthBoundsMemory(t *testing.T) {
	const declared = 20 << 20
	stream := rawFrameLens(declared, 0, "")[:12]
	stream = append(stream, make([]byte, 64<<10)...)
	var f Frame
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	err := NewDecoder(bytes.NewReader(stream)).Decode(&f)
	runtime.ReadMemStats(&after)
	if err != io.ErrUnexpectedEOF {
		t.Fatalf("err = %v", err)
	}
	if got := after.TotalAlloc - before.TotalAlloc; got > 1<<20 {
		t.Errorf("allocated %d bytes for 64 KiB of a frame declaring %d", got, declared)
	}
}

func TestLimits(t *testing.T) {
	three := rawFrame(hdr("a", 0, "")+hdr("b", 0, "")+hdr("c", 7, str("\xff")), "0123456789")
	tests := []struct {
		name  string
		set   func(*Decoder)
		want  error
		field string
	}{
		{"defaults", func(*Decoder) {}, nil, ""},
		{"frame limit", func(d *Decoder) { d.MaxFrameLen = int64(len(three) - 1) }, ErrTooLarge, "total_length"},
		{"frame limit exact", func(d *Decoder) { d.MaxFrameLen = int64(len(three)) }, nil, ""},
		{"header block limit", func(d *Decoder) { d.MaxHeaderBlockLen = 9 }, ErrTooLarge, "headers_length"},
		{"header count", func(d *Decoder) { d.MaxHeaders = 2 }, ErrMalformed, "header count"},
		{"header count exact", func(d *Decoder) { d.MaxHeaders = 3 }, nil, ""},
		{"utf8", func(d *Decoder) { d.ValidateUTF8 = true }, ErrMalformed, "header value"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := NewDecoder(bytes.NewReader(three))
			tt.set(d)
			err := d.Decode(new(Frame))
			var e *Error
			if tt.want == nil && err != nil || tt.want != nil && (!errors.Is(err, tt.want) || !errors.As(err, &e) || e.Field != tt.field) {
				t.Errorf("err = %v, want %v in %q", err, tt.want, tt.field)
			}
		})
	}
	// No limit: a frame over the default limit decodes.
	big := rawFrame("", strings.Repeat("b", DefaultMaxFrameLen))
	d := NewDecoder(bytes.NewReader(big))
	if err := d.Decode(new(Frame)); !errors.Is(err, ErrTooLarge) {
		t.Errorf("default limit: %v", err)
	}
	d = NewDecoder(bytes.NewReader(big))
	d.MaxFrameLen = 1 << 32
	var f Frame
	if err := d.Decode(&f); err != nil || len(f.Payload) != DefaultMaxFrameLen {
		t.Errorf("no limit: %v", err)
	}
}

// errAfterReader returns its data in two Reads with a retryable error between them.
type flakyReader struct {
	data    []byte
	failed  bool
	failAt  int
	timeout error
}

func (r *flakyReader) Read(p []byte) (int, error) {
	if !r.failed && len(r.data) > 0 {
		n := copy(p[:min(len(p), r.failAt)], r.data)
		r.data = r.data[n:]
		r.failed = true
		return n, r.timeout
	}
	if len(r.data) == 0 {
		return 0, io.EOF
	}
	n := copy(p, r.data)
	r.data = r.data[n:]
	return n, nil
}

var errTimeout = errors.New("test: timeout")

func TestReaderErrors(t *testing.T) {
	frame := rawFrame(hdr("a", 7, str("v")), "payload")
	t.Run("retry inside a buffered frame", func(t *testing.T) {
		d := NewDecoder(&flakyReader{data: frame, failAt: 5, timeout: errTimeout})
		var f Frame
		if err := d.Decode(&f); err != errTimeout {
			t.Fatalf("first Decode: %v", err)
		}
		if err := d.Decode(&f); err != nil || string(f.Payload) != "payload" {
			t.Fatalf("retry: %v", err)
		}
		if err := d.Decode(&f); err != io.EOF {
			t.Fatalf("end: %v", err)
		}
	})
	t.Run("large frame is sticky", func(t *testing.T) {
		big := rawFrame("", strings.Repeat("x", 3*readBufLen))
		d := NewDecoder(&flakyReader{data: big, failAt: readBufLen + 1000, timeout: errTimeout})
		d.buf = make([]byte, readBufLen)
		// The first Read fills the buffer with the prelude and more; the failure comes inside
		// the large frame's body.
		r := d.r.(*flakyReader)
		r.failAt = 2 * readBufLen
		var f Frame
		err := d.Decode(&f)
		if !errors.Is(err, errTimeout) {
			t.Fatalf("Decode: %v", err)
		}
		if err2 := d.Decode(&f); err2 != err {
			t.Fatalf("not sticky: %v", err2)
		}
	})
	t.Run("no progress", func(t *testing.T) {
		d := NewDecoder(iotest.ErrReader(nil))
		if err := d.Decode(new(Frame)); err != io.ErrNoProgress {
			t.Fatalf("Decode: %v", err)
		}
	})
	t.Run("passed through", func(t *testing.T) {
		d := NewDecoder(iotest.TimeoutReader(bytes.NewReader(append(bytes.Clone(frame), frame...))))
		var f Frame
		err := d.Decode(&f)
		for err == nil {
			err = d.Decode(&f)
		}
		if err != iotest.ErrTimeout {
			t.Fatalf("Decode: %v", err)
		}
	})
}

func TestReset(t *testing.T) {
	frame := rawFrame("", "p")
	d := NewDecoder(bytes.NewReader(frame[:5]))
	if err := d.Decode(new(Frame)); err != io.ErrUnexpectedEOF {
		t.Fatal(err)
	}
	d.Reset(bytes.NewReader(append(bytes.Clone(frame), frame...)))
	var f Frame
	if err := d.Decode(&f); err != nil || d.InputOffset() != int64(len(frame)) {
		t.Fatalf("after Reset: %v, offset %d", err, d.InputOffset())
	}
}

// TestDecodeOverwrites checks the lifetime contract: a Frame decoded into again reuses its
// storage, and a Frame decoded from a stream owns its bytes (the read buffer is reused).
func TestDecodeOverwrites(t *testing.T) {
	a := rawFrame(hdr("k", 7, str("first")), "AAAA")
	b := rawFrame(hdr("k", 7, str("other")), "BBBB")
	d := NewDecoder(bytes.NewReader(append(bytes.Clone(a), b...)))
	var f1, f2 Frame
	if err := d.Decode(&f1); err != nil {
		t.Fatal(err)
	}
	if err := d.Decode(&f2); err != nil {
		t.Fatal(err)
	}
	if v, _ := f1.Header("k"); v.String() != "first" || string(f1.Payload) != "AAAA" {
		t.Errorf("f1 changed by decoding f2: %v %q", v, f1.Payload)
	}
}

// TestDecodedFramesStayValid checks the lifetime contract when a Frame aliases the read
// buffer: whatever order Frames are decoded into, through compaction, large frames and Reset,
// every Frame keeps the frame last decoded into it until it is decoded into again.
func TestDecodedFramesStayValid(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var stream []byte
	var want []*Frame
	for i := range 600 {
		f := &Frame{Payload: make([]byte, rng.IntN(400))}
		for j := range f.Payload {
			f.Payload[j] = byte(i + j)
		}
		switch i % 4 {
		case 0: // a repeated block
			f.Headers = []Header{{":event-type", StringValue("chunk")}}
		case 1: // values that change
			f.Headers = []Header{{":date", TimestampValue(time.UnixMilli(int64(i)))}, {"sig", BytesValue([]byte{byte(i), byte(i >> 8), 1, 2})}}
		case 2:
			f.Headers = []Header{{"id", StringValue(strings.Repeat("x", i%7) + string(rune('a'+i%26)))}}
		}
		if i%97 == 50 {
			f.Payload = bytes.Repeat([]byte{byte(i)}, readBufLen+rng.IntN(5000))
		}
		var err error
		if stream, err = f.AppendBinary(stream); err != nil {
			t.Fatal(err)
		}
		want = append(want, f)
	}
	// The first round stops halfway, with a Frame aliasing the read buffer; after Reset the
	// stream starts again with a frame in front, so that no byte lands where it was.
	lead := &Frame{Payload: []byte("after Reset")}
	streams := [2][]byte{stream, append(must(lead.AppendBinary(nil)), stream...)}
	wants := [2][]*Frame{want[:len(want)/2], append([]*Frame{lead}, want...)}
	readers := map[string]func(b []byte) io.Reader{
		"whole":         func(b []byte) io.Reader { return bytes.NewReader(b) },
		"half":          func(b []byte) io.Reader { return iotest.HalfReader(bytes.NewReader(b)) },
		"1460 segments": func(b []byte) io.Reader { return &segmentReader{data: b, seg: 1460} },
	}
	orders := map[string]func(round, i int) int{
		"one Frame":           func(int, int) int { return 0 },
		"another after Reset": func(round, _ int) int { return round },
		"two in turn":         func(_, i int) int { return i % 2 },
		"three":               func(_, i int) int { return i % 3 },
		"random":              func(int, int) int { return rng.IntN(4) },
	}
	for rname, newReader := range readers {
		for oname, order := range orders {
			d := NewDecoder(newReader(streams[0]))
			var frames [4]Frame
			var holds [4]*Frame // the frame each Frame must still hold
			for round := range 2 {
				for i, w := range wants[round] {
					k := order(round, i)
					if err := d.Decode(&frames[k]); err != nil {
						t.Fatalf("%s, %s: round %d frame %d: %v", rname, oname, round, i, err)
					}
					holds[k] = w
					for j := range frames {
						if holds[j] == nil {
							continue
						}
						if diff := cmp.Diff(holds[j], &frames[j], frameCmp); diff != "" {
							t.Fatalf("%s, %s: round %d, after frame %d into Frame %d, Frame %d changed (-want +got):\n%s", rname, oname, round, i, k, j, diff)
						}
					}
				}
				if round == 0 {
					d.Reset(newReader(streams[1]))
				} else if err := d.Decode(new(Frame)); err != io.EOF {
					t.Fatalf("%s, %s: end: %v", rname, oname, err)
				}
			}
		}
	}
}

// TestFailedDecodeReleases checks that a Frame passed to a Decode that fails, here on a sticky
// error, no longer holds the read buffer, which it no longer needs: after Reset a new Frame
// aliases the buffer instead of having every frame copied into it.
func TestFailedDecodeReleases(t *testing.T) {
	good := rawFrame(hdr("k", 7, str("v")), "one")
	bad := bytes.Clone(good)
	bad[len(bad)-1] ^= 1 // message CRC
	d := NewDecoder(bytes.NewReader(append(bytes.Clone(good), bad...)))
	var f1, f2, f3 Frame
	if err := d.Decode(&f1); err != nil || d.lent != &f1 {
		t.Fatalf("first frame: %v, lent %p", err, d.lent)
	}
	if err := d.Decode(&f2); !errors.Is(err, ErrChecksum) {
		t.Fatalf("bad frame: %v", err)
	}
	if err := d.Decode(&f1); !errors.Is(err, ErrChecksum) {
		t.Fatalf("after the bad frame: %v", err)
	}
	d.Reset(bytes.NewReader(good))
	if err := d.Decode(&f3); err != nil {
		t.Fatal(err)
	}
	if d.lent != &f3 {
		t.Errorf("f3 does not alias the read buffer (lent %p, spareLent %p; f1 %p)", d.lent, d.spareLent, &f1)
	}
}

func must(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}

// TestLargeFrameAfterLarger decodes a large frame into a Frame whose storage is already larger
// than it: reading must stop at the frame's end and leave the next frame to the next Decode.
func TestLargeFrameAfterLarger(t *testing.T) {
	var stream []byte
	sizes := []int{100 << 10, 40 << 10, 10, 3 * readBufLen, readBufLen + 1, 0}
	for _, n := range sizes {
		stream, _ = (&Frame{Payload: bytes.Repeat([]byte{'a'}, n)}).AppendBinary(stream)
	}
	for name, r := range map[string]io.Reader{
		"whole":    bytes.NewReader(stream),
		"one byte": iotest.OneByteReader(bytes.NewReader(stream)),
	} {
		d := NewDecoder(r)
		var f Frame
		for i, n := range sizes {
			if err := d.Decode(&f); err != nil || len(f.Payload) != n {
				t.Fatalf("%s: frame %d: %d bytes, %v; want %d bytes", name, i, len(f.Payload), err, n)
			}
		}
		if err := d.Decode(&f); err != io.EOF {
			t.Fatalf("%s: end: %v", name, err)
		}
	}
}

// TestLargeFrameThenMore decodes frames just larger than the read buffer path takes (up to the
// buffer's whole length), each followed by a small frame that the same Read brings into the
// buffer: the small frame's bytes must not be taken for the large frame's.
func TestLargeFrameThenMore(t *testing.T) {
	small := &Frame{Headers: []Header{{"k", StringValue("v")}}, Payload: []byte("small")}
	for _, lead := range []int{0, 1, 30} { // bytes of a frame before the large one (0: none)
		for total := readBufLen - align - 2; total <= readBufLen+2; total++ {
			var want []*Frame
			if lead > 0 {
				want = append(want, &Frame{Payload: make([]byte, lead)})
			}
			want = append(want, &Frame{Payload: bytes.Repeat([]byte{'b'}, total-minFrameLen)}, small, small)
			var stream []byte
			for _, f := range want {
				stream = must(f.AppendBinary(stream))
			}
			got, err := decodeAll(NewDecoder(bytes.NewReader(stream)))
			if err != io.EOF {
				t.Fatalf("lead %d, frame of %d bytes: %v after %d frames", lead, total, err, len(got))
			}
			if diff := cmp.Diff(want, got, frameCmp); diff != "" {
				t.Fatalf("lead %d, frame of %d bytes (-want +got):\n%s", lead, total, diff)
			}
		}
	}
}

// TestAlignmentKept checks the decoder's alignment invariant, on which its copy speed rests:
// a byte's place in the read buffer agrees with its stream offset modulo align, through
// compaction and large frames.
func TestAlignmentKept(t *testing.T) {
	stream, frames := testStream(t)
	for name, r := range map[string]io.Reader{
		"whole":         bytes.NewReader(stream),
		"half":          iotest.HalfReader(bytes.NewReader(stream)),
		"1460 segments": &segmentReader{data: stream, seg: 1460},
	} {
		d := NewDecoder(r)
		var f Frame
		for i := range frames {
			if err := d.Decode(&f); err != nil {
				t.Fatalf("%s: frame %d: %v", name, i, err)
			}
			if int64(d.start%align) != d.off%align {
				t.Fatalf("%s: after frame %d, buffer index %d and stream offset %d disagree", name, i, d.start, d.off)
			}
		}
	}
}

// TestStorageWithinLimit checks that a frame's storage stays within MaxFrameLen even for a
// frame of exactly that length, where there is no room left for alignment.
func TestStorageWithinLimit(t *testing.T) {
	for _, n := range []int{100, readBufLen / 2, 3 * readBufLen} {
		frame := rawFrame(hdr("a", 7, str("v")), strings.Repeat("p", n))
		for _, lead := range []int{0, 17} { // a frame in front shifts the alignment
			stream := append(rawFrame("", strings.Repeat("x", lead)), frame...)
			d := NewDecoder(iotest.HalfReader(bytes.NewReader(stream)))
			d.MaxFrameLen = int64(max(len(frame), 16+lead))
			var f Frame
			for range 2 {
				if err := d.Decode(&f); err != nil {
					t.Fatalf("payload %d, lead %d: %v", n, lead, err)
				}
			}
			if int64(cap(f.buf)) > d.MaxFrameLen || len(f.Payload) != n {
				t.Errorf("payload %d, lead %d: storage %d for a limit of %d", n, lead, cap(f.buf), d.MaxFrameLen)
			}
		}
	}
}

// BenchmarkCopyAlignment measures what the decoder's alignment rule saves: a frame-sized block
// copy from a source at an odd offset, against one from an aligned source and one where source
// and destination are misaligned alike (what the decoder arranges).
func BenchmarkCopyAlignment(b *testing.B) {
	const n = 4187 // a 4 KiB payload with three headers
	src := make([]byte, n+2*align)
	dst := make([]byte, n+2*align)
	for _, c := range []struct {
		name     string
		src, dst int
	}{
		{"src=aligned/dst=aligned", 0, 0},
		{"src=odd/dst=aligned", 1, 0},
		{"src=odd/dst=odd", 1, 1},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(n)
			for b.Loop() {
				copy(dst[c.dst:c.dst+n], src[c.src:c.src+n])
			}
		})
	}
}

// TestRepeatedHeaderBlocks decodes a stream whose frames mostly repeat their header block (the
// decoder then reuses the parsed headers) and checks every frame against DecodeFrame,
// including frames whose values the interner has not taken yet.
func TestRepeatedHeaderBlocks(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	blocks := []string{
		hdr(":event-type", 7, str("chunk")) + hdr(":content-type", 7, str("application/json")) + hdr(":message-type", 7, str("event")),
		hdr(":event-type", 7, str("chunk")) + hdr("raw", 6, str("\x00\x01")) + hdr("n", 4, "\x00\x00\x00\x07"),
		hdr("long", 7, str(strings.Repeat("v", 300))),
	}
	var stream []byte
	for i := range 300 {
		b := blocks[0]
		if i%17 == 5 {
			b = blocks[1+r.IntN(2)]
		}
		stream = append(stream, rawFrame(b, strings.Repeat(string(rune('a'+i%26)), r.IntN(500)))...)
	}
	d := NewDecoder(iotest.HalfReader(bytes.NewReader(stream)))
	var f, want Frame
	off := 0
	for i := 0; off < len(stream); i++ {
		if err := d.Decode(&f); err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
		n, err := DecodeFrame(stream[off:], &want)
		if err != nil {
			t.Fatal(err)
		}
		off += n
		if diff := cmp.Diff(&want, &f, frameCmp); diff != "" {
			t.Fatalf("frame %d (-DecodeFrame +Decode):\n%s", i, diff)
		}
		for j, h := range f.Headers {
			if h.Value.Type() == TypeString && h.Value.String() != want.Headers[j].Value.String() {
				t.Fatalf("frame %d header %d: %q", i, j, h.Value.String())
			}
		}
	}
	if err := d.Decode(&f); err != io.EOF {
		t.Fatal(err)
	}
}
