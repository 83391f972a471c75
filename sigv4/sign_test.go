package sigv4

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/framewire/eventstream"
)

// The published values of TestStreamSigner_GetSignature in the AWS SDK for Go v2,
// aws/signer/v4/stream_test.go (module github.com/aws/aws-sdk-go-v2, checked against
// v1.47.7): credentials AKID/SECRET, service transcribestreaming, region us-east-1, seed
// "foobarbazqux", and for each message the raw header bytes and payload that its
// GetSignature hashes, the signing time and the expected signature. The SDK's test passes
// arbitrary bytes as the header block, so this test drives the chain below the frame
// layer; TestSignMatchesReference and the nested module internal/sigv4check cover real
// :date headers.
var sdkVectors = []struct {
	name             string
	headers, payload string
	time             time.Time
	want             string
}{
	{"first message", "foo", "foo", time.Unix(10, 0), "e3a136405ec1152f62136742efd41f8639cd647a1cf21fab12aedb22cccd8999"},
	{"second message", "bar", "bar", time.Unix(20, 0), "92a6ad677e839d3003672cb2cefc71ef80d42e8cb300fefce0807e8398c74068"},
	{"third message", "baz", "baz", time.Unix(30, 0), "46d6660bd40f2ff5d6246a347895cabe7f4e89d9e1f4c6dad6dabdc801923be1"},
	{"end of stream", "", "", time.Unix(30, 0), "492bcb3e21de447c85f8a9bef6c0eb833e992e405b9b3584be84edaccc5aad18"},
}

func TestSDKVectors(t *testing.T) {
	c := newChain(Credentials{AccessKeyID: "AKID", SecretAccessKey: "SECRET"}, "us-east-1", "transcribestreaming", []byte("foobarbazqux"))
	prev := []byte("foobarbazqux")
	for _, v := range sdkVectors {
		sig := c.signHeaders(v.time.UnixMilli(), []byte(v.headers), []byte(v.payload))
		if got := hex.EncodeToString(sig[:]); got != v.want {
			t.Errorf("%s: signature %s, want %s", v.name, got, v.want)
		}
		// The reference implementation of the tests must agree with the SDK too.
		ref := refSignature("SECRET", "us-east-1", "transcribestreaming", prev, v.time, []byte(v.headers), []byte(v.payload))
		if got := hex.EncodeToString(ref); got != v.want {
			t.Errorf("%s: reference signature %s, want %s", v.name, got, v.want)
		}
		c.commit((*[SignatureLen]byte)(sig))
		prev = ref
	}
}

// TestSignMatchesReference signs random frames, some a few hours apart so that the stream
// crosses midnight UTC, and checks every outer frame against the reference signature.
func TestSignMatchesReference(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	start := time.Date(2026, 11, 21, 22, 59, 58, 999_000_000, time.UTC)
	s := NewSigner(testCreds, "us-west-2", "bedrock", testSeed)
	prev := testSeed
	at := start
	var days []string
	for i := range 200 {
		last := i == 199
		var inner []byte
		var b []byte
		var err error
		if last {
			b, err = s.End(nil, at)
		} else {
			inner = randomInner(t, r)
			b, err = s.Sign(nil, inner, at)
		}
		if err != nil {
			t.Fatal(err)
		}
		var f eventstream.Frame
		if n, err := eventstream.DecodeFrame(b, &f); err != nil || n != len(b) {
			t.Fatalf("frame %d: DecodeFrame = %d, %v; want %d, nil", i, n, err, len(b))
		}
		if len(f.Headers) != 2 || f.Headers[0].Name != DateHeader || f.Headers[1].Name != SignatureHeader {
			t.Fatalf("frame %d: headers %v, want :date then :chunk-signature", i, f.Headers)
		}
		date := f.Headers[0].Value
		want := at.Truncate(time.Second)
		if date.Type() != eventstream.TypeTimestamp || !date.Time().Equal(want) {
			t.Fatalf("frame %d: :date %v, want %v", i, date, want)
		}
		if !bytes.Equal(f.Payload, inner) {
			t.Fatalf("frame %d: payload differs from the inner frame", i)
		}
		ref := refSignature(testCreds.SecretAccessKey, "us-west-2", "bedrock", prev, want, dateBlock(t, want), inner)
		if got := f.Headers[1].Value; got.Type() != eventstream.TypeBytes || !bytes.Equal(got.Bytes(), ref) {
			t.Fatalf("frame %d at %v: signature %x, want %x", i, at, got.Bytes(), ref)
		}
		prev = ref
		if d := want.Format("20060102"); len(days) == 0 || days[len(days)-1] != d {
			days = append(days, d)
		}
		at = at.Add(time.Duration(r.IntN(200_000)) * time.Millisecond)
	}
	if len(days) < 2 {
		t.Fatalf("stream stayed within %v: the test must cross midnight", days)
	}
	if s.c.derivations != len(days) {
		t.Errorf("derived %d signing keys over days %v, want one per day", s.c.derivations, days)
	}
}

func TestKeyDerivedOncePerDay(t *testing.T) {
	s := NewSigner(testCreds, "us-east-1", "bedrock", testSeed)
	v := NewVerifier(testCreds, "us-east-1", "bedrock", testSeed)
	inner := randomInner(t, rand.New(rand.NewPCG(3, 4)))
	at := time.Date(2026, 3, 1, 23, 59, 50, 0, time.UTC)
	var f eventstream.Frame
	for i := range 20 {
		b, err := s.Sign(nil, inner, at.Add(time.Duration(i)*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := eventstream.DecodeFrame(b, &f); err != nil {
			t.Fatal(err)
		}
		if _, err := v.Verify(&f); err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
		wantKeys := 1
		if i >= 10 { // 00:00:00 of the next day
			wantKeys = 2
		}
		if s.c.derivations != wantKeys || v.c.derivations != wantKeys {
			t.Fatalf("frame %d: signer derived %d keys, verifier %d, want %d", i, s.c.derivations, v.c.derivations, wantKeys)
		}
	}
}

func TestSignDateNeverGoesBackwards(t *testing.T) {
	s := NewSigner(testCreds, "us-east-1", "bedrock", testSeed)
	v := NewVerifier(testCreds, "us-east-1", "bedrock", testSeed)
	inner := randomInner(t, rand.New(rand.NewPCG(5, 6)))
	t1 := time.Date(2026, 5, 5, 12, 0, 30, 0, time.UTC)
	times := []time.Time{t1, t1.Add(-time.Hour), t1.Add(-time.Second), t1.Add(2 * time.Second)}
	wants := []time.Time{t1, t1, t1, t1.Add(2 * time.Second)}
	var f eventstream.Frame
	for i, at := range times {
		b, err := s.Sign(nil, inner, at)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := eventstream.DecodeFrame(b, &f); err != nil {
			t.Fatal(err)
		}
		if got, _ := f.Header(DateHeader); !got.Time().Equal(wants[i]) {
			t.Errorf("frame %d signed at %v: :date %v, want %v", i, at, got, wants[i])
		}
		if _, err := v.Verify(&f); err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
	}
}

func TestSignRefusals(t *testing.T) {
	at := time.Date(2026, 5, 5, 12, 0, 0, 0, time.UTC)
	s := NewSigner(testCreds, "us-east-1", "bedrock", testSeed)
	v := NewVerifier(testCreds, "us-east-1", "bedrock", testSeed)
	prefix := []byte("prefix")

	check := func(name string, b []byte, err, want error) {
		t.Helper()
		if !errors.Is(err, want) {
			t.Errorf("%s: error %v, want %v", name, err, want)
		}
		if string(b) != "prefix" {
			t.Errorf("%s: dst changed to %q", name, b)
		}
	}
	b, err := s.Sign(prefix, nil, at)
	check("empty inner", b, err, errEmptyInner)
	b, err = s.Sign(prefix, make([]byte, eventstream.DefaultMaxFrameLen), at)
	check("oversized inner", b, err, eventstream.ErrTooLarge)
	// One byte over the limit: the codec's own error, as Frame.AppendBinary gives it.
	over := make([]byte, eventstream.DefaultMaxFrameLen-outerPrefixLen-4+1)
	b, err = s.Sign(prefix, over, at)
	check("inner one byte too large", b, err, eventstream.ErrTooLarge)
	_, want := (&eventstream.Frame{Headers: []eventstream.Header{
		{Name: DateHeader, Value: eventstream.TimestampValue(at)},
		{Name: SignatureHeader, Value: eventstream.BytesValue(make([]byte, SignatureLen))},
	}, Payload: over}).AppendBinary(nil)
	if err == nil || want == nil || err.Error() != want.Error() {
		t.Errorf("inner one byte too large: error %v, want the codec's %v", err, want)
	}

	// The refusals did not advance the chain: the next frames verify from the seed.
	var f eventstream.Frame
	for i, inner := range [][]byte{randomInner(t, rand.New(rand.NewPCG(7, 8))), nil} {
		var err error
		if inner == nil {
			b, err = s.End(nil, at)
		} else {
			b, err = s.Sign(nil, inner, at)
		}
		if err != nil {
			t.Fatal(err)
		}
		if _, err := eventstream.DecodeFrame(b, &f); err != nil {
			t.Fatal(err)
		}
		if _, err := v.Verify(&f); err != nil {
			t.Fatalf("frame %d after refusals: %v", i, err)
		}
	}
	if !v.Complete() {
		t.Error("stream not complete after End")
	}
	b, err = s.Sign(prefix, []byte("x"), at)
	check("Sign after End", b, err, ErrAfterEnd)
	b, err = s.End(prefix, at)
	check("End after End", b, err, ErrAfterEnd)
}

func TestSeedFromAuthorization(t *testing.T) {
	const sig = "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7"
	for _, tc := range []struct {
		auth string
		ok   bool
	}{
		{"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=" + sig, true},
		{"AWS4-HMAC-SHA256 Credential=A/20150830/us-east-1/iam/aws4_request,Signature=" + sig + ",SignedHeaders=host", true},
		{"AWS4-HMAC-SHA256 Credential=A/20150830/us-east-1/iam/aws4_request, SignedHeaders=host", false},
		{"AWS4-HMAC-SHA256 Signature=", false},
		{"Signature=" + sig[:62], false},
		{"Signature=" + sig[:62] + "zz", false},
		{"", false},
	} {
		got, err := SeedFromAuthorization(tc.auth)
		if !tc.ok {
			if err == nil {
				t.Errorf("SeedFromAuthorization(%q) = %x, want an error", tc.auth, got)
			}
			continue
		}
		if err != nil || hex.EncodeToString(got) != sig {
			t.Errorf("SeedFromAuthorization(%q) = %x, %v; want %s", tc.auth, got, err, sig)
		}
	}
}

// TestHexDigest checks the digest hex encoder against encoding/hex, for every byte value at
// every position and on random digests.
func TestHexDigest(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	var inputs [][sha256.Size]byte
	// Every byte value at each position of a 4-byte step.
	for v := range 256 {
		var in [sha256.Size]byte
		for i := range in {
			in[i] = byte(v + i/4)
		}
		inputs = append(inputs, in)
	}
	for range 100 {
		var in [sha256.Size]byte
		for i := range in {
			in[i] = byte(r.Uint32())
		}
		inputs = append(inputs, in)
	}
	for _, in := range inputs {
		var out [2 * sha256.Size]byte
		hexDigest(&out, &in)
		if got, want := string(out[:]), hex.EncodeToString(in[:]); got != want {
			t.Fatalf("hexDigest(% x) = %s, want %s", in, got, want)
		}
	}
}

// TestSignTimes checks the signing time formatted without the time package, against the
// reference signature, at times around midnight, before 1970, at the ends of years 0 and
// 9999 and beyond them (where the formatting falls back to the time package), and at random.
func TestSignTimes(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 7))
	times := []int64{0, -1, 1, 999, 1000, -999, -1000, -1001, msPerDay - 1, msPerDay, -msPerDay, -msPerDay - 1,
		time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli(), time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli() - 1,
		time.Date(9999, 12, 31, 23, 59, 59, 999e6, time.UTC).UnixMilli(), time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli(),
		time.Date(2026, 11, 29, 23, 59, 59, 999e6, time.UTC).UnixMilli(), time.Date(2026, 11, 29, 0, 0, 0, 0, time.UTC).UnixMilli(),
		time.Date(2026, 11, 29, 12, 34, 56, 0, time.UTC).UnixMilli(), time.Date(2026, 11, 29, 12, 34, 57, 0, time.UTC).UnixMilli()}
	for range 200 {
		times = append(times, r.Int64N(1<<45)-1<<44)
	}
	headers, payload := []byte("headers"), []byte("payload")
	// Each time signed by a new chain, and all of them, in turn, by one chain that keeps its
	// string to sign from one time to the next (within a day, or across days and the years
	// formatted by the time package).
	shared := newChain(testCreds, "eu-west-3", "transcribe", testSeed)
	for _, ms := range times {
		c := newChain(testCreds, "eu-west-3", "transcribe", testSeed)
		want := refSignature(testCreds.SecretAccessKey, "eu-west-3", "transcribe", testSeed, time.UnixMilli(ms), headers, payload)
		for _, c := range []*chain{&c, &shared} {
			got := c.signHeaders(ms, headers, payload)
			if !bytes.Equal(got[:], want) {
				t.Errorf("%d ms (%s): signature %x, want %x", ms, time.UnixMilli(ms).UTC().Format(time.RFC3339Nano), got[:], want)
			}
		}
	}
}

// TestSignMatchesAppendBinary checks that the outer frames Sign and End write directly are
// byte for byte those Frame.AppendBinary encodes from the same headers and payload, after
// random prefixes, for random inner frames, times (before 1970 too) and sizes up to the
// largest frame the codec accepts.
func TestSignMatchesAppendBinary(t *testing.T) {
	r := rand.New(rand.NewPCG(12, 12))
	s := NewSigner(testCreds, "eu-west-3", "transcribe", testSeed)
	ms := r.Int64N(1<<45) - 1<<44
	for i := range 300 {
		inner := randomInner(t, r)
		if i == 0 {
			inner = make([]byte, eventstream.DefaultMaxFrameLen-outerPrefixLen-4)
		}
		prefix := strings.Repeat("p", r.IntN(20))
		ms += r.Int64N(3 * msPerDay / 2)
		ms -= ms % 1000 // Sign keeps whole seconds
		b, err := s.Sign([]byte(prefix), inner, time.UnixMilli(ms))
		if err != nil {
			t.Fatal(err)
		}
		checkOuter(t, b, prefix, inner, ms)
	}
	b, err := s.End([]byte("end"), time.UnixMilli(ms))
	if err != nil {
		t.Fatal(err)
	}
	checkOuter(t, b, "end", nil, ms)
}

// checkOuter checks that b is prefix followed by the frame Frame.AppendBinary encodes from a
// :date of ms, a 32-byte :chunk-signature (the one in b) and payload inner.
func checkOuter(t *testing.T, b []byte, prefix string, inner []byte, ms int64) {
	t.Helper()
	var f eventstream.Frame
	if !strings.HasPrefix(string(b), prefix) {
		t.Fatalf("prefix %q overwritten: %q", prefix, b[:len(prefix)])
	}
	if _, err := eventstream.DecodeFrame(b[len(prefix):], &f); err != nil {
		t.Fatal(err)
	}
	sig, _ := f.Header(SignatureHeader)
	want, err := (&eventstream.Frame{Headers: []eventstream.Header{
		{Name: DateHeader, Value: eventstream.TimestampValue(time.UnixMilli(ms))},
		{Name: SignatureHeader, Value: eventstream.BytesValue(sig.Bytes())},
	}, Payload: inner}).AppendBinary([]byte(prefix))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b, want) || len(sig.Bytes()) != SignatureLen {
		t.Fatalf("%d-byte inner at %d ms: Sign wrote\n% x\nwant\n% x", len(inner), ms, b, want)
	}
}

// signHeaders is chain.sign for a header block of any content: the SDK's test vectors sign
// header blocks other than a :date header.
func (c *chain) signHeaders(ms int64, headers, payload []byte) *[sha256.Size]byte {
	var hexSum [2 * sha256.Size]byte
	sum := sha256.Sum256(headers)
	hexDigest(&hexSum, &sum)
	return c.signBlock(ms, &hexSum, payload)
}

// TestSignWithinSeconds signs frames 20 ms apart, so that most share their :date with the
// frame before (whose digest the chain keeps), and checks each signature and :date against
// the reference, and the stream against a Verifier.
func TestSignWithinSeconds(t *testing.T) {
	s := NewSigner(testCreds, "us-east-1", "bedrock", testSeed)
	v := NewVerifier(testCreds, "us-east-1", "bedrock", testSeed)
	prev := testSeed
	at := time.Date(2026, 11, 29, 23, 59, 58, 900e6, time.UTC) // crosses a day, too
	for i := range 200 {
		ts := at.Add(time.Duration(i) * 20 * time.Millisecond)
		inner := []byte(fmt.Sprintf("inner frame %d", i))
		out, err := s.Sign(nil, inner, ts)
		if err != nil {
			t.Fatal(err)
		}
		var f eventstream.Frame
		if err := f.UnmarshalBinary(out); err != nil {
			t.Fatal(err)
		}
		sec := ts.Truncate(time.Second)
		if got := f.Headers[0].Value.Time(); !got.Equal(sec) {
			t.Fatalf("frame %d: :date %v, want %v", i, got, sec)
		}
		hb := append([]byte{byte(len(DateHeader))}, DateHeader...)
		hb = append(hb, byte(eventstream.TypeTimestamp))
		hb = binary.BigEndian.AppendUint64(hb, uint64(sec.UnixMilli()))
		want := refSignature(testCreds.SecretAccessKey, "us-east-1", "bedrock", prev, sec, hb, inner)
		if got := f.Headers[1].Value.Bytes(); !bytes.Equal(got, want) {
			t.Fatalf("frame %d at %v: signature %x, want %x", i, ts, got, want)
		}
		if _, err := v.Verify(&f); err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
		prev = want
	}
}
