package sigv4

import (
	"testing"
	"time"

	"github.com/framewire/eventstream"
	"github.com/framewire/eventstream/internal/shapes"
)

// BenchmarkSign signs the first frame of each shape of SPEC.md section 8 into a reused
// buffer, one second apart; bytes per second count the inner frame.
func BenchmarkSign(b *testing.B) {
	for _, sh := range shapes.All() {
		inner, err := sh.Frames[0].MarshalBinary()
		if err != nil {
			b.Fatal(err)
		}
		b.Run(sh.Name, func(b *testing.B) {
			s := NewSigner(testCreds, "us-east-1", "bedrock", testSeed)
			dst := make([]byte, 0, len(inner)+100)
			at := streamStart
			b.SetBytes(int64(len(inner)))
			b.ReportAllocs()
			for b.Loop() {
				at = at.Add(time.Second)
				if _, err := s.Sign(dst, inner, at); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkVerify decodes (zero-copy) and verifies signed outer frames carrying the first
// frame of each shape. A new Verifier starts over the pre-signed chain whenever it runs out.
func BenchmarkVerify(b *testing.B) {
	for _, sh := range shapes.All() {
		inner, err := sh.Frames[0].MarshalBinary()
		if err != nil {
			b.Fatal(err)
		}
		n := min(1000, (64<<20)/len(inner))
		s := NewSigner(testCreds, "us-east-1", "bedrock", testSeed)
		outers := make([][]byte, n)
		for i := range outers {
			if outers[i], err = s.Sign(nil, inner, streamStart.Add(time.Duration(i)*time.Second)); err != nil {
				b.Fatal(err)
			}
		}
		b.Run(sh.Name, func(b *testing.B) {
			var v *Verifier
			var f eventstream.Frame
			i := n
			b.SetBytes(int64(len(inner)))
			b.ReportAllocs()
			for b.Loop() {
				if i == n {
					v, i = NewVerifier(testCreds, "us-east-1", "bedrock", testSeed), 0
				}
				if _, err := eventstream.DecodeFrame(outers[i], &f); err != nil {
					b.Fatal(err)
				}
				if _, err := v.Verify(&f); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}
