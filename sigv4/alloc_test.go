//go:build !race

package sigv4

import (
	"io"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/framewire/eventstream"
)

// TestSignAllocs checks that Sign allocates nothing per frame once the signing key of the day
// is derived and dst has room.
func TestSignAllocs(t *testing.T) {
	inner := randomInner(t, rand.New(rand.NewPCG(9, 9)))
	s := NewSigner(testCreds, "us-east-1", "bedrock", testSeed)
	dst := make([]byte, 0, len(inner)+200)
	at := streamStart
	if _, err := s.Sign(dst, inner, at); err != nil {
		t.Fatal(err)
	}
	allocs := testing.AllocsPerRun(100, func() {
		at = at.Add(time.Second)
		if _, err := s.Sign(dst, inner, at); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("Sign: %v allocations per frame, want 0", allocs)
	}
}

// TestVerifyAllocs checks that Verify allocates nothing per frame within one UTC day.
func TestVerifyAllocs(t *testing.T) {
	_, outers := signedStream(t, 120)
	v := NewVerifier(testCreds, "us-east-1", "bedrock", testSeed)
	var f eventstream.Frame
	next := 0
	verify := func() {
		if _, err := eventstream.DecodeFrame(outers[next], &f); err != nil {
			t.Fatal(err)
		}
		if _, err := v.Verify(&f); err != nil {
			t.Fatal(err)
		}
		next++
	}
	verify()
	if allocs := testing.AllocsPerRun(100, verify); allocs != 0 {
		t.Errorf("DecodeFrame and Verify: %v allocations per frame, want 0", allocs)
	}
}

// TestWriterAllocs checks that Writer.Write allocates nothing per frame once its buffer has
// grown.
func TestWriterAllocs(t *testing.T) {
	inner := randomInner(t, rand.New(rand.NewPCG(10, 10)))
	w := NewWriter(io.Discard, NewSigner(testCreds, "us-east-1", "bedrock", testSeed))
	at := streamStart
	w.Now = func() time.Time { at = at.Add(time.Second); return at }
	if _, err := w.Write(inner); err != nil {
		t.Fatal(err)
	}
	allocs := testing.AllocsPerRun(100, func() {
		if _, err := w.Write(inner); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("Writer.Write: %v allocations per frame, want 0", allocs)
	}
}
