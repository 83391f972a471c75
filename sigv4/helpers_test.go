package sigv4

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/framewire/eventstream"
)

// refSignature computes a chunk signature the plain way, straight from the description of the
// algorithm (strings joined by "\n", a key derived every time), as an independent check of
// the allocation-free code under test.
func refSignature(secret, region, service string, prev []byte, t time.Time, headers, payload []byte) []byte {
	mac := func(key []byte, data string) []byte {
		m := hmac.New(sha256.New, key)
		m.Write([]byte(data))
		return m.Sum(nil)
	}
	hexHash := func(b []byte) string {
		h := sha256.Sum256(b)
		return hex.EncodeToString(h[:])
	}
	t = t.UTC()
	day := t.Format("20060102")
	key := mac(mac(mac(mac([]byte("AWS4"+secret), day), region), service), "aws4_request")
	sts := strings.Join([]string{
		"AWS4-HMAC-SHA256-PAYLOAD",
		t.Format("20060102T150405Z"),
		day + "/" + region + "/" + service + "/aws4_request",
		hex.EncodeToString(prev),
		hexHash(headers),
		hexHash(payload),
	}, "\n")
	return mac(key, sts)
}

// dateBlock returns the encoded header block of a frame whose only header is :date = t, as
// the codec encodes it.
func dateBlock(t *testing.T, date time.Time) []byte {
	t.Helper()
	f := eventstream.Frame{Headers: []eventstream.Header{{Name: DateHeader, Value: eventstream.TimestampValue(date)}}}
	b, err := f.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	return b[12 : len(b)-4]
}

// refFrame builds a signed outer frame with the reference signature, with any :date, so that
// tests can make streams the Signer would refuse to make (a :date going backwards).
func refFrame(t *testing.T, secret, region, service string, prev []byte, date time.Time, payload []byte) (frame, sig []byte) {
	t.Helper()
	sig = refSignature(secret, region, service, prev, date, dateBlock(t, date), payload)
	f := eventstream.Frame{
		Headers: []eventstream.Header{
			{Name: DateHeader, Value: eventstream.TimestampValue(date)},
			{Name: SignatureHeader, Value: eventstream.BytesValue(sig)},
		},
		Payload: payload,
	}
	b, err := f.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	return b, sig
}

// randomInner returns an encoded frame with a few random headers and a random payload.
func randomInner(t testing.TB, r *rand.Rand) []byte {
	t.Helper()
	f := eventstream.Frame{
		Headers: []eventstream.Header{
			{Name: ":message-type", Value: eventstream.StringValue("event")},
			{Name: ":event-type", Value: eventstream.StringValue(fmt.Sprintf("e%d", r.IntN(5)))},
		},
		Payload: make([]byte, r.IntN(2000)),
	}
	if r.IntN(3) == 0 {
		f.Headers = append(f.Headers, eventstream.Header{Name: "n", Value: eventstream.Int64Value(r.Int64())})
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

var (
	testCreds = Credentials{AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"}
	testSeed  = mustHex("d5f4cb7a1f6c5e3f0d2e7c8a9b4b1e6f2a3c4d5e6f708192a3b4c5d6e7f80912")
)

func mustHex(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}
