package sigv4check

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	sdkes "github.com/aws/smithy-go/eventstream"

	"github.com/framewire/eventstream"
	"github.com/framewire/eventstream/sigv4"
)

// sdkSigner builds outer frames the way the SDK's event stream writer does (smithy-go
// eventstream.SigningWriter): a :date header, the encoded header block of :date alone and
// the payload handed to StreamSigner.GetSignature, then :chunk-signature, encoded with the
// SDK's encoder. Unlike SigningWriter it takes the signing time from the caller.
type sdkSigner struct {
	s   *v4.StreamSigner
	enc *sdkes.Encoder
}

func newSDKSigner(c sigv4.Credentials, region, service string, seed []byte) *sdkSigner {
	creds := aws.Credentials{AccessKeyID: c.AccessKeyID, SecretAccessKey: c.SecretAccessKey, SessionToken: c.SessionToken}
	// Note the SDK's argument order: service before region.
	return &sdkSigner{s: v4.NewStreamSigner(creds, service, region, seed), enc: sdkes.NewEncoder()}
}

func (s *sdkSigner) sign(t testing.TB, payload []byte, at time.Time) []byte {
	t.Helper()
	var msg sdkes.Message
	msg.Headers.Set(sigv4.DateHeader, sdkes.TimestampValue(at))
	var hb bytes.Buffer
	if err := sdkes.EncodeHeaders(&hb, msg.Headers); err != nil {
		t.Fatal(err)
	}
	sig, err := s.s.GetSignature(context.Background(), hb.Bytes(), payload, at)
	if err != nil {
		t.Fatal(err)
	}
	msg.Headers.Set(sigv4.SignatureHeader, sdkes.BytesValue(sig))
	msg.Payload = payload
	var out bytes.Buffer
	if err := s.enc.Encode(&out, msg); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

func randomInner(t testing.TB, r *rand.Rand) []byte {
	t.Helper()
	f := eventstream.Frame{
		Headers: []eventstream.Header{
			{Name: ":message-type", Value: eventstream.StringValue("event")},
			{Name: ":event-type", Value: eventstream.StringValue(fmt.Sprintf("chunk%d", r.IntN(4)))},
			{Name: ":content-type", Value: eventstream.StringValue("application/json")},
		},
		Payload: make([]byte, r.IntN(3000)),
	}
	for i := range f.Payload {
		f.Payload[i] = byte(r.Uint32())
	}
	b, err := f.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func randomString(r *rand.Rand, alphabet string, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[r.IntN(len(alphabet))]
	}
	return string(b)
}

type streamParams struct {
	creds           sigv4.Credentials
	region, service string
	seed            []byte
}

func randomParams(r *rand.Rand) streamParams {
	seed := make([]byte, 32)
	if r.IntN(10) == 0 {
		seed = make([]byte, r.IntN(40)) // the SDK accepts any seed; so must we
	}
	for i := range seed {
		seed[i] = byte(r.Uint32())
	}
	regions := []string{"us-east-1", "us-west-2", "eu-central-1", "ap-southeast-2"}
	services := []string{"bedrock", "transcribe", "transcribestreaming", "lex"}
	return streamParams{
		creds: sigv4.Credentials{
			AccessKeyID:     "AKIA" + randomString(r, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16),
			SecretAccessKey: randomString(r, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+/", 40),
		},
		region:  regions[r.IntN(len(regions))],
		service: services[r.IntN(len(services))],
		seed:    seed,
	}
}

// TestSignMatchesSDK signs random streams with both signers and compares every outer frame,
// the end frame included, byte for byte. Signing times advance by random steps from just
// before midnight UTC, so most streams cross into the next day and change signing key.
func TestSignMatchesSDK(t *testing.T) {
	r := rand.New(rand.NewPCG(2026, 11))
	frames, crossings := 0, 0
	for stream := range 100 {
		p := randomParams(r)
		ours := sigv4.NewSigner(p.creds, p.region, p.service, p.seed)
		sdk := newSDKSigner(p.creds, p.region, p.service, p.seed)
		day := time.Date(2020+r.IntN(10), time.Month(1+r.IntN(12)), 1+r.IntN(28), 0, 0, 0, 0, time.UTC)
		at := day.Add(24*time.Hour - time.Duration(r.IntN(120_000))*time.Millisecond)
		n := 1 + r.IntN(60)
		for i := 0; i <= n; i++ {
			// Our Signer truncates the signing time to whole seconds (the :date header and the
			// string to sign then agree); give the SDK that same time.
			sec := at.Truncate(time.Second)
			var inner, got []byte
			var err error
			if i == n {
				got, err = ours.End(nil, at)
			} else {
				inner = randomInner(t, r)
				got, err = ours.Sign(nil, inner, at)
			}
			if err != nil {
				t.Fatal(err)
			}
			want := sdk.sign(t, inner, sec)
			if !bytes.Equal(got, want) {
				t.Fatalf("stream %d frame %d at %v (%s/%s): outer frames differ\n ours %x\n sdk  %x", stream, i, at, p.region, p.service, got, want)
			}
			frames++
			next := at.Add(time.Duration(r.IntN(5000)) * time.Millisecond)
			if next.YearDay() != at.YearDay() {
				crossings++
			}
			at = next
		}
	}
	if crossings < 10 {
		t.Fatalf("only %d streams crossed midnight UTC", crossings)
	}
	t.Logf("%d frames identical, %d midnight crossings", frames, crossings)
}

// TestVerifySDKStreams verifies streams signed by the SDK with millisecond :date values (as
// its writer sends them) crossing midnight UTC.
func TestVerifySDKStreams(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 7))
	crossings := 0
	for stream := range 30 {
		p := randomParams(r)
		sdk := newSDKSigner(p.creds, p.region, p.service, p.seed)
		at := time.Date(2026, 12, 31, 23, 59, 0, 0, time.UTC).Add(time.Duration(r.IntN(60_000)) * time.Millisecond)
		var inners [][]byte
		var buf bytes.Buffer
		n := r.IntN(40)
		for i := 0; i <= n; i++ {
			var inner []byte
			if i < n {
				inner = randomInner(t, r)
				inners = append(inners, inner)
			}
			buf.Write(sdk.sign(t, inner, at))
			next := at.Add(time.Duration(r.IntN(3000)) * time.Millisecond)
			if next.Year() != at.Year() {
				crossings++
			}
			at = next
		}
		rd := sigv4.NewReader(bytes.NewReader(buf.Bytes()), sigv4.NewVerifier(p.creds, p.region, p.service, p.seed))
		for i := 0; ; i++ {
			inner, err := rd.Next()
			if err == io.EOF {
				if i != len(inners) {
					t.Fatalf("stream %d: io.EOF after %d frames, want %d", stream, i, len(inners))
				}
				break
			}
			if err != nil {
				t.Fatalf("stream %d frame %d: %v", stream, i, err)
			}
			if !bytes.Equal(inner, inners[i]) {
				t.Fatalf("stream %d frame %d: inner frame differs", stream, i)
			}
		}
	}
	if crossings < 10 {
		t.Fatalf("only %d streams crossed midnight UTC", crossings)
	}
}

// messageSigner adapts the SDK's StreamSigner to smithy-go's MessageSigner, as the SDK's own
// event-stream auth adapter does.
type messageSigner struct{ s *v4.StreamSigner }

func (m messageSigner) SignMessage(headers, payload []byte, at time.Time) ([]byte, error) {
	return m.s.GetSignature(context.Background(), headers, payload, at)
}

type nopCloser struct{ io.Writer }

func (nopCloser) Close() error { return nil }

// TestVerifySDKSigningWriter verifies a stream written by the SDK's own client path,
// smithy-go's SigningWriter, which signs at the wall clock's time.
func TestVerifySDKSigningWriter(t *testing.T) {
	r := rand.New(rand.NewPCG(8, 8))
	p := randomParams(r)
	creds := aws.Credentials{AccessKeyID: p.creds.AccessKeyID, SecretAccessKey: p.creds.SecretAccessKey}
	var buf bytes.Buffer
	w := sdkes.NewSigningWriter(nopCloser{&buf}, messageSigner{v4.NewStreamSigner(creds, p.service, p.region, p.seed)})
	var inners [][]byte
	for range 25 {
		inner := randomInner(t, r)
		inners = append(inners, inner)
		if _, err := w.Write(inner); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}

	v := sigv4.NewVerifier(p.creds, p.region, p.service, p.seed)
	v.SetClock(time.Now, 5*time.Minute)
	rd := sigv4.NewReader(bytes.NewReader(buf.Bytes()), v)
	for i := 0; ; i++ {
		inner, err := rd.Next()
		if err == io.EOF {
			if i != len(inners) || !v.Complete() {
				t.Fatalf("io.EOF after %d frames (complete %v), want %d", i, v.Complete(), len(inners))
			}
			break
		}
		if err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
		if !bytes.Equal(inner, inners[i]) {
			t.Fatalf("frame %d: inner frame differs", i)
		}
	}

	// The same stream with the wrong seed, the wrong secret, or cut before its end frame.
	wrongSeed := append([]byte{p.seed[0] ^ 0x80}, p.seed[1:]...)
	wrongCreds := p.creds
	wrongCreds.SecretAccessKey += "x"
	for _, tc := range []struct {
		name  string
		creds sigv4.Credentials
		seed  []byte
	}{{"wrong seed", p.creds, wrongSeed}, {"wrong secret", wrongCreds, p.seed}} {
		rd := sigv4.NewReader(bytes.NewReader(buf.Bytes()), sigv4.NewVerifier(tc.creds, p.region, p.service, tc.seed))
		if _, err := rd.Next(); !errors.Is(err, sigv4.ErrSignature) {
			t.Errorf("%s: %v, want ErrSignature", tc.name, err)
		}
	}
	last := bytes.LastIndex(buf.Bytes(), inners[len(inners)-1]) + len(inners[len(inners)-1]) + 4 // after its outer CRC
	rd = sigv4.NewReader(bytes.NewReader(buf.Bytes()[:last]), sigv4.NewVerifier(p.creds, p.region, p.service, p.seed))
	var err error
	for err == nil {
		_, err = rd.Next()
	}
	if !errors.Is(err, sigv4.ErrIncomplete) {
		t.Errorf("stream cut before its end frame: %v, want ErrIncomplete", err)
	}
}

// TestVerifySDKDateBackwards: the SDK signs whatever time it is given; a stream whose :date
// steps back (a clock stepped back mid-stream) carries valid signatures and is refused with
// ErrDateBackwards at the frame that steps back.
func TestVerifySDKDateBackwards(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 9))
	p := randomParams(r)
	sdk := newSDKSigner(p.creds, p.region, p.service, p.seed)
	at := time.Date(2026, 2, 3, 4, 5, 6, 0, time.UTC)
	var buf bytes.Buffer
	for _, d := range []time.Duration{0, 2 * time.Second, 1 * time.Second} {
		buf.Write(sdk.sign(t, randomInner(t, r), at.Add(d)))
	}
	v := sigv4.NewVerifier(p.creds, p.region, p.service, p.seed)
	rd := sigv4.NewReader(&buf, v)
	var err error
	for err == nil {
		_, err = rd.Next()
	}
	var e *sigv4.Error
	if !errors.Is(err, sigv4.ErrDateBackwards) || !errors.As(err, &e) || e.Frame != 2 {
		t.Errorf("%v, want ErrDateBackwards at frame 2", err)
	}
}

// TestSeedFromAuthorizationMatchesSDK signs HTTP requests with the SDK and checks that the
// seed taken from the Authorization header is the one the SDK seeds its stream signer with.
func TestSeedFromAuthorizationMatchesSDK(t *testing.T) {
	r := rand.New(rand.NewPCG(10, 10))
	signer := v4.NewSigner()
	for range 20 {
		p := randomParams(r)
		creds := aws.Credentials{AccessKeyID: p.creds.AccessKeyID, SecretAccessKey: p.creds.SecretAccessKey}
		if r.IntN(2) == 0 {
			creds.SessionToken = randomString(r, "abcdef0123456789", 32)
		}
		req, err := http.NewRequest(http.MethodPost, "https://bedrock-runtime."+p.region+".amazonaws.com/model/m/invoke-with-bidirectional-stream", strings.NewReader(""))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/vnd.amazon.eventstream")
		if err := signer.SignHTTP(context.Background(), creds, req, "STREAMING-AWS4-HMAC-SHA256-EVENTS", p.service, p.region, time.Now()); err != nil {
			t.Fatal(err)
		}
		want, err := v4.GetSignedRequestSignature(req)
		if err != nil {
			t.Fatal(err)
		}
		got, err := sigv4.SeedFromAuthorization(req.Header.Get("Authorization"))
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("SeedFromAuthorization(%q) = %x, %v; want %x", req.Header.Get("Authorization"), got, err, want)
		}
	}
}
