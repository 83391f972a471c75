package sigv4check

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/framewire/eventstream/sigv4"
)

// BenchmarkSign signs the same ~300-byte inner frame with the SDK's path (smithy-go header
// encoding, StreamSigner, smithy-go encoder) and with sigv4.Signer, one second apart.
// Compare the two in one run: go test -run '^$' -bench . -count 10 | go tool benchstat.
func BenchmarkSign(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 1))
	var inner []byte
	for len(inner) < 250 || len(inner) > 400 {
		inner = randomInner(b, r)
	}
	p := randomParams(r)
	start := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)

	b.Run("sdk", func(b *testing.B) {
		s := newSDKSigner(p.creds, p.region, p.service, p.seed)
		at := start
		b.SetBytes(int64(len(inner)))
		b.ReportAllocs()
		for b.Loop() {
			at = at.Add(time.Second)
			s.sign(b, inner, at)
		}
	})
	b.Run("sigv4", func(b *testing.B) {
		s := sigv4.NewSigner(p.creds, p.region, p.service, p.seed)
		dst := make([]byte, 0, len(inner)+100)
		at := start
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
