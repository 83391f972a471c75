package sigv4

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/framewire/eventstream"
)

var streamStart = time.Date(2026, 6, 1, 8, 30, 0, 0, time.UTC)

// signedStream signs n random inner frames and the end frame, one second apart, and returns
// the inner frames and the outer frames.
func signedStream(t testing.TB, n int) (inners, outers [][]byte) {
	t.Helper()
	r := rand.New(rand.NewPCG(uint64(n), 42))
	s := NewSigner(testCreds, "us-east-1", "bedrock", testSeed)
	for i := range n + 1 {
		at := streamStart.Add(time.Duration(i) * time.Second)
		var b []byte
		var err error
		if i == n {
			b, err = s.End(nil, at)
		} else {
			inner := randomInner(t, r)
			inners = append(inners, inner)
			b, err = s.Sign(nil, inner, at)
		}
		if err != nil {
			t.Fatal(err)
		}
		outers = append(outers, b)
	}
	return inners, outers
}

// verifyAll verifies the outer frames in order and returns the first error, with the inner
// frames returned until then.
func verifyAll(v *Verifier, outers [][]byte) (inners [][]byte, err error) {
	var f eventstream.Frame
	for _, o := range outers {
		if _, err := eventstream.DecodeFrame(o, &f); err != nil {
			return inners, err
		}
		inner, err := v.Verify(&f)
		if err != nil {
			return inners, err
		}
		if len(inner) > 0 {
			inners = append(inners, bytes.Clone(inner))
		}
	}
	return inners, nil
}

func TestVerifyRoundTrip(t *testing.T) {
	inners, outers := signedStream(t, 50)
	v := NewVerifier(testCreds, "us-east-1", "bedrock", testSeed)
	got, err := verifyAll(v, outers)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(inners) {
		t.Fatalf("%d inner frames, want %d", len(got), len(inners))
	}
	for i := range got {
		if !bytes.Equal(got[i], inners[i]) {
			t.Fatalf("inner frame %d differs", i)
		}
	}
	if !v.Complete() || v.Frames() != 51 {
		t.Errorf("Complete() = %v, Frames() = %d; want true, 51", v.Complete(), v.Frames())
	}
}

// reencode decodes an outer frame, lets edit change it and encodes it again, so that both
// CRCs are right for the changed bytes.
func reencode(t *testing.T, outer []byte, edit func(f *eventstream.Frame)) []byte {
	t.Helper()
	var f eventstream.Frame
	if err := f.UnmarshalBinary(outer); err != nil {
		t.Fatal(err)
	}
	c := f.Clone()
	edit(c)
	b, err := c.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func setHeader(f *eventstream.Frame, name string, v eventstream.Value) {
	for i := range f.Headers {
		if f.Headers[i].Name == name {
			f.Headers[i].Value = v
			return
		}
	}
	f.Headers = append(f.Headers, eventstream.Header{Name: name, Value: v})
}

func dropHeader(f *eventstream.Frame, name string) {
	for i := range f.Headers {
		if f.Headers[i].Name == name {
			f.Headers = append(f.Headers[:i], f.Headers[i+1:]...)
			return
		}
	}
}

func TestVerifyRejects(t *testing.T) {
	_, outers := signedStream(t, 4) // frames 0..3, end frame 4
	at := func(i int) time.Time { return streamStart.Add(time.Duration(i) * time.Second) }

	// A stream whose third frame is signed (properly) with a :date before the second's.
	var backwards [][]byte
	prev := testSeed
	for i, d := range []time.Time{at(0), at(5), at(4)} {
		b, sig := refFrame(t, testCreds.SecretAccessKey, "us-east-1", "bedrock", prev, d, []byte{byte(i + 1)})
		backwards = append(backwards, b)
		prev = sig
	}

	with := func(i int, b []byte) [][]byte {
		s := append([][]byte(nil), outers...)
		s[i] = b
		return s
	}
	edit := func(i int, fn func(f *eventstream.Frame)) [][]byte { return with(i, reencode(t, outers[i], fn)) }

	tests := []struct {
		name    string
		creds   Credentials
		region  string
		service string
		seed    []byte
		stream  [][]byte
		want    error
		frame   int64
	}{
		{name: "wrong seed", seed: append([]byte{testSeed[0] ^ 1}, testSeed[1:]...), want: ErrSignature, frame: 0},
		{name: "wrong secret", creds: Credentials{AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: "not the secret"}, want: ErrSignature, frame: 0},
		{name: "wrong region", region: "eu-west-1", want: ErrSignature, frame: 0},
		{name: "wrong service", service: "transcribe", want: ErrSignature, frame: 0},
		{name: "reordered frames", stream: [][]byte{outers[0], outers[2], outers[1], outers[3], outers[4]}, want: ErrSignature, frame: 1},
		{name: "replayed frame", stream: [][]byte{outers[0], outers[1], outers[1]}, want: ErrSignature, frame: 2},
		{name: "dropped frame", stream: [][]byte{outers[0], outers[2]}, want: ErrSignature, frame: 1},
		{name: "early end frame", stream: [][]byte{outers[0], outers[4]}, want: ErrSignature, frame: 1},
		{name: "payload changed, CRCs fixed", stream: edit(2, func(f *eventstream.Frame) { f.Payload[len(f.Payload)-5] ^= 0x20 }), want: ErrSignature, frame: 2},
		{name: "payload truncated, CRCs fixed", stream: edit(1, func(f *eventstream.Frame) { f.Payload = f.Payload[:len(f.Payload)-1] }), want: ErrSignature, frame: 1},
		{name: "end frame given a payload", stream: edit(4, func(f *eventstream.Frame) { f.Payload = []byte{0} }), want: ErrSignature, frame: 4},
		{name: ":date changed", stream: edit(1, func(f *eventstream.Frame) {
			setHeader(f, DateHeader, eventstream.TimestampValue(at(1).Add(time.Millisecond)))
		}), want: ErrSignature, frame: 1},
		{name: "signature bit flipped", stream: edit(3, func(f *eventstream.Frame) {
			v, _ := f.Header(SignatureHeader)
			b := bytes.Clone(v.Bytes())
			b[31] ^= 1
			setHeader(f, SignatureHeader, eventstream.BytesValue(b))
		}), want: ErrSignature, frame: 3},
		{name: "signature cut to 31 bytes", stream: edit(0, func(f *eventstream.Frame) {
			v, _ := f.Header(SignatureHeader)
			setHeader(f, SignatureHeader, eventstream.BytesValue(v.Bytes()[:31]))
		}), want: ErrSignature, frame: 0},
		{name: "empty signature", stream: edit(0, func(f *eventstream.Frame) {
			setHeader(f, SignatureHeader, eventstream.BytesValue(nil))
		}), want: ErrSignature, frame: 0},
		{name: "missing :date", stream: edit(1, func(f *eventstream.Frame) { dropHeader(f, DateHeader) }), want: ErrMissingHeader, frame: 1},
		{name: "missing :chunk-signature", stream: edit(1, func(f *eventstream.Frame) { dropHeader(f, SignatureHeader) }), want: ErrMissingHeader, frame: 1},
		{name: "unsigned frame", stream: with(0, mustMarshal(t, &eventstream.Frame{Payload: []byte("hello")})), want: ErrMissingHeader, frame: 0},
		{name: ":date as int64", stream: edit(0, func(f *eventstream.Frame) {
			v, _ := f.Header(DateHeader)
			setHeader(f, DateHeader, eventstream.Int64Value(v.Int64()))
		}), want: ErrHeaderType, frame: 0},
		{name: ":chunk-signature as string", stream: edit(0, func(f *eventstream.Frame) {
			v, _ := f.Header(SignatureHeader)
			setHeader(f, SignatureHeader, eventstream.StringValue(string(v.Bytes())))
		}), want: ErrHeaderType, frame: 0},
		{name: "extra header", stream: edit(2, func(f *eventstream.Frame) {
			setHeader(f, ":content-type", eventstream.StringValue("application/json"))
		}), want: ErrUnexpectedHeader, frame: 2},
		{name: "frame after the end frame", stream: append(append([][]byte(nil), outers...), outers[4]), want: ErrAfterEnd, frame: 5},
		{name: ":date going backwards", stream: backwards, want: ErrDateBackwards, frame: 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			creds, region, service, seed, stream := testCreds, "us-east-1", "bedrock", testSeed, outers
			if tc.creds != (Credentials{}) {
				creds = tc.creds
			}
			if tc.region != "" {
				region = tc.region
			}
			if tc.service != "" {
				service = tc.service
			}
			if tc.seed != nil {
				seed = tc.seed
			}
			if tc.stream != nil {
				stream = tc.stream
			}
			v := NewVerifier(creds, region, service, seed)
			_, err := verifyAll(v, stream)
			if !errors.Is(err, tc.want) {
				t.Fatalf("error %v, want %v", err, tc.want)
			}
			var e *Error
			if !errors.As(err, &e) || e.Frame != tc.frame {
				t.Fatalf("error %v: want an *Error for frame %d", err, tc.frame)
			}
			if !strings.HasPrefix(err.Error(), "sigv4: frame ") {
				t.Errorf("message %q lacks the package prefix", err)
			}
			if v.Complete() {
				t.Error("Complete() after a failure")
			}
			// Sticky: the same error for any later frame, even a valid one.
			var f eventstream.Frame
			if _, err := eventstream.DecodeFrame(outers[0], &f); err != nil {
				t.Fatal(err)
			}
			if _, err2 := v.Verify(&f); err2 != err {
				t.Errorf("after %v, Verify returned %v", err, err2)
			}
		})
	}
}

func mustMarshal(t *testing.T, f *eventstream.Frame) []byte {
	t.Helper()
	b, err := f.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestOnlySecretSigns checks that the access key ID and the session token do not enter event
// signatures, and that the secret does.
func TestOnlySecretSigns(t *testing.T) {
	_, outers := signedStream(t, 3)
	other := Credentials{AccessKeyID: "AKIAOTHER", SecretAccessKey: testCreds.SecretAccessKey, SessionToken: "token"}
	if _, err := verifyAll(NewVerifier(other, "us-east-1", "bedrock", testSeed), outers); err != nil {
		t.Errorf("other access key ID and a session token: %v", err)
	}
	other.SecretAccessKey += "x"
	if _, err := verifyAll(NewVerifier(other, "us-east-1", "bedrock", testSeed), outers); !errors.Is(err, ErrSignature) {
		t.Errorf("other secret: %v, want ErrSignature", err)
	}
}

func TestErrorMessages(t *testing.T) {
	for _, tc := range []struct {
		err  *Error
		want string
	}{
		{&Error{Frame: 3, Header: SignatureHeader, Err: ErrSignature}, "sigv4: frame 3: :chunk-signature: signature mismatch"},
		{&Error{Frame: 0, Header: DateHeader, Detail: "int64, want timestamp", Err: ErrHeaderType}, "sigv4: frame 0: :date: int64, want timestamp: wrong header type"},
		{&Error{Frame: 7, Err: ErrIncomplete}, "sigv4: frame 7: stream ended before its end frame"},
	} {
		if got := tc.err.Error(); got != tc.want {
			t.Errorf("message %q, want %q", got, tc.want)
		}
	}
}

func TestIncomplete(t *testing.T) {
	_, outers := signedStream(t, 3)
	for cut := range outers { // every prefix without the end frame
		v := NewVerifier(testCreds, "us-east-1", "bedrock", testSeed)
		if _, err := verifyAll(v, outers[:cut]); err != nil {
			t.Fatal(err)
		}
		if v.Complete() {
			t.Errorf("stream of %d frames without its end frame reported complete", cut)
		}

		r := NewReader(bytes.NewReader(bytes.Join(outers[:cut], nil)), NewVerifier(testCreds, "us-east-1", "bedrock", testSeed))
		var err error
		for n := 0; err == nil; n++ {
			_, err = r.Next()
		}
		var e *Error
		if !errors.Is(err, ErrIncomplete) || !errors.As(err, &e) || e.Frame != int64(cut) {
			t.Errorf("Reader over %d frames without the end frame: %v, want ErrIncomplete at frame %d", cut, err, cut)
		}
	}
}

func TestReader(t *testing.T) {
	inners, outers := signedStream(t, 20)
	stream := bytes.Join(outers, nil)

	r := NewReader(bytes.NewReader(append(bytes.Clone(stream), "trailing bytes are not read"...)), NewVerifier(testCreds, "us-east-1", "bedrock", testSeed))
	var f eventstream.Frame
	for i, want := range inners {
		inner, err := r.Next()
		if err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
		if !bytes.Equal(inner, want) {
			t.Fatalf("frame %d: inner frame differs", i)
		}
		if _, err := eventstream.DecodeFrame(inner, &f); err != nil {
			t.Fatalf("frame %d: inner frame: %v", i, err)
		}
	}
	for range 2 {
		if _, err := r.Next(); err != io.EOF {
			t.Fatalf("after the end frame: %v, want io.EOF", err)
		}
	}

	// The decoder's limits apply to outer frames.
	r = NewReader(bytes.NewReader(stream), NewVerifier(testCreds, "us-east-1", "bedrock", testSeed))
	r.Decoder().MaxFrameLen = int64(len(outers[0]) - 1)
	if _, err := r.Next(); !errors.Is(err, eventstream.ErrTooLarge) {
		t.Errorf("outer frame over MaxFrameLen: %v, want ErrTooLarge", err)
	}

	// Cut inside a frame: the codec's truncation error.
	r = NewReader(bytes.NewReader(stream[:len(stream)-3]), NewVerifier(testCreds, "us-east-1", "bedrock", testSeed))
	var err error
	for err == nil {
		_, err = r.Next()
	}
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("stream cut inside its end frame: %v, want io.ErrUnexpectedEOF", err)
	}

	// A bad signature surfaces as the verifier's error, and sticks.
	bad := append(bytes.Join(outers[:2], nil), bytes.Join(outers[3:], nil)...)
	r = NewReader(bytes.NewReader(bad), NewVerifier(testCreds, "us-east-1", "bedrock", testSeed))
	for err = nil; err == nil; {
		_, err = r.Next()
	}
	if _, err2 := r.Next(); !errors.Is(err, ErrSignature) || err2 != err {
		t.Errorf("dropped frame: %v then %v, want ErrSignature twice", err, err2)
	}
}

func TestClock(t *testing.T) {
	_, outers := signedStream(t, 3) // :date from streamStart to streamStart+3s

	// No clock by default: a stream from years ago verifies.
	if _, err := verifyAll(NewVerifier(testCreds, "us-east-1", "bedrock", testSeed), outers); err != nil {
		t.Fatalf("default verifier: %v", err)
	}
	for _, tc := range []struct {
		now     time.Time
		skew    time.Duration
		wantErr bool
		frame   int64
	}{
		{streamStart.Add(5 * time.Minute), 5 * time.Minute, false, 0},
		{streamStart.Add(-5*time.Minute + 3*time.Second), 5 * time.Minute, false, 0},
		{streamStart.Add(5*time.Minute + time.Millisecond), 5 * time.Minute, true, 0},
		{streamStart.Add(-5*time.Minute + 2*time.Second), 5 * time.Minute, true, 3},
		{time.Now(), 15 * time.Minute, true, 0},
	} {
		v := NewVerifier(testCreds, "us-east-1", "bedrock", testSeed)
		v.SetClock(func() time.Time { return tc.now }, tc.skew)
		_, err := verifyAll(v, outers)
		if !tc.wantErr {
			if err != nil {
				t.Errorf("clock %v, skew %v: %v", tc.now, tc.skew, err)
			}
			continue
		}
		var e *Error
		if !errors.Is(err, ErrClockSkew) || !errors.As(err, &e) || e.Frame != tc.frame {
			t.Errorf("clock %v, skew %v: %v, want ErrClockSkew at frame %d", tc.now, tc.skew, err, tc.frame)
		}
	}
	// SetClock(nil, 0) turns the check off again.
	v := NewVerifier(testCreds, "us-east-1", "bedrock", testSeed)
	v.SetClock(time.Now, time.Second)
	v.SetClock(nil, 0)
	if _, err := verifyAll(v, outers); err != nil {
		t.Errorf("after SetClock(nil, 0): %v", err)
	}
}

// countingWriter records each Write.
type countingWriter struct {
	bytes.Buffer
	writes [][]byte
}

func (w *countingWriter) Write(p []byte) (int, error) {
	w.writes = append(w.writes, bytes.Clone(p))
	return w.Buffer.Write(p)
}

func TestWriter(t *testing.T) {
	inners, outers := signedStream(t, 10)
	var out countingWriter
	w := NewWriter(&out, NewSigner(testCreds, "us-east-1", "bedrock", testSeed))
	i := 0
	w.Now = func() time.Time { i++; return streamStart.Add(time.Duration(i-1)*time.Second + 999*time.Millisecond) }
	for k, inner := range inners {
		if k%2 == 0 {
			if n, err := w.Write(inner); err != nil || n != len(inner) {
				t.Fatalf("Write = %d, %v", n, err)
			}
			continue
		}
		var f eventstream.Frame
		if err := f.UnmarshalBinary(inner); err != nil {
			t.Fatal(err)
		}
		if err := w.Encode(&f); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if len(out.writes) != len(outers) {
		t.Fatalf("%d writes, want one per frame (%d)", len(out.writes), len(outers))
	}
	for k := range outers {
		if !bytes.Equal(out.writes[k], outers[k]) {
			t.Fatalf("write %d differs from Signer.Sign's outer frame", k)
		}
	}
	if _, err := w.Write(inners[0]); !errors.Is(err, ErrAfterEnd) {
		t.Errorf("Write after Close: %v, want ErrAfterEnd", err)
	}
	if err := w.Close(); !errors.Is(err, ErrAfterEnd) {
		t.Errorf("second Close: %v, want ErrAfterEnd", err)
	}
	if _, err := w.Write(nil); err == nil {
		t.Error("Write of an empty frame succeeded")
	}
}

// shortWriter accepts one byte less than it is given.
type shortWriter struct{}

func (shortWriter) Write(p []byte) (int, error) { return len(p) - 1, nil }

func TestWriterShortWrite(t *testing.T) {
	w := NewWriter(shortWriter{}, NewSigner(testCreds, "us-east-1", "bedrock", testSeed))
	if _, err := w.Write([]byte("frame")); err != io.ErrShortWrite {
		t.Errorf("short write: %v, want io.ErrShortWrite", err)
	}
}

// TestAllowBackwards checks that a :date may step back within the tolerance, measured from
// the latest :date seen, and no further.
func TestAllowBackwards(t *testing.T) {
	at := func(ms int) time.Time { return streamStart.Add(time.Duration(ms) * time.Millisecond) }
	stream := func(dates ...time.Time) [][]byte {
		var out [][]byte
		prev := testSeed
		for i, d := range dates {
			b, sig := refFrame(t, testCreds.SecretAccessKey, "us-east-1", "bedrock", prev, d, []byte{byte(i + 1)})
			out = append(out, b)
			prev = sig
		}
		return out
	}
	for _, tc := range []struct {
		name  string
		dates []time.Time
		ok    bool
	}{
		{"one second back", []time.Time{at(0), at(5000), at(4000)}, true},
		{"back twice, each within the tolerance of the latest", []time.Time{at(5000), at(4000), at(4200), at(6000)}, true},
		{"back further than the tolerance", []time.Time{at(0), at(5000), at(3999)}, false},
		{"back in two steps past the tolerance from the latest", []time.Time{at(5000), at(4500), at(3900)}, false},
	} {
		v := NewVerifier(testCreds, "us-east-1", "bedrock", testSeed)
		v.AllowBackwards(time.Second)
		_, err := verifyAll(v, stream(tc.dates...))
		if tc.ok && err != nil {
			t.Errorf("%s: %v", tc.name, err)
		}
		if !tc.ok && !errors.Is(err, ErrDateBackwards) {
			t.Errorf("%s: %v, want ErrDateBackwards", tc.name, err)
		}
	}
}
