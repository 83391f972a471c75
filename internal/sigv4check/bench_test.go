package sigv4check

import (
	"testing"
	"time"

	"github.com/framewire/eventstream"
	"github.com/framewire/eventstream/internal/shapes"
	"github.com/framewire/eventstream/sigv4"
)

// benchInners returns the inner frames the signing benchmark carries, as package sigv4's own
// BenchmarkSign does: a Bedrock chunk (~270 bytes), the ~150-byte audio event of the signed
// shape, and a 4 KiB frame.
func benchInners(b *testing.B) map[string][]byte {
	out := map[string][]byte{}
	for _, sh := range shapes.All() {
		f := sh.Frames[0]
		name := sh.Name
		switch sh.Name {
		case "bedrock", "4KiB":
		case shapes.Signed:
			name, f = "event", &eventstream.Frame{}
			if _, err := eventstream.DecodeFrame(sh.Frames[0].Payload, f); err != nil {
				b.Fatal(err)
			}
		default:
			continue
		}
		inner, err := f.MarshalBinary()
		if err != nil {
			b.Fatal(err)
		}
		out[name] = inner
	}
	return out
}

// BenchmarkSign signs one outer frame per iteration, one second apart, with the SDK's path
// (impl=sdk: smithy-go header encoding, v4.StreamSigner, smithy-go encoder) and with
// sigv4.Signer (impl=sigv4) into a reused buffer; bytes per second count the inner frame.
// Compare the two in one run: go test -run '^$' -bench . -count 10 | go tool benchstat -col
// /impl -; internal/benchcmp/compare.sh runs them in paired rounds.
func BenchmarkSign(b *testing.B) {
	inners := benchInners(b)
	p := streamParams{creds: sigv4.Credentials{AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"},
		region: "us-east-1", service: "bedrock", seed: make([]byte, 32)}
	start := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	for _, name := range []string{"bedrock", "event", "4KiB"} {
		inner := inners[name]
		b.Run("impl=sdk/inner="+name, func(b *testing.B) {
			s := newSDKSigner(p.creds, p.region, p.service, p.seed)
			at := start
			b.SetBytes(int64(len(inner)))
			b.ReportAllocs()
			defer shapes.CPUMeter(b)()
			for b.Loop() {
				at = at.Add(time.Second)
				s.sign(b, inner, at)
			}
		})
		b.Run("impl=sigv4/inner="+name, func(b *testing.B) {
			s := sigv4.NewSigner(p.creds, p.region, p.service, p.seed)
			dst := make([]byte, 0, len(inner)+100)
			at := start
			b.SetBytes(int64(len(inner)))
			b.ReportAllocs()
			defer shapes.CPUMeter(b)()
			for b.Loop() {
				at = at.Add(time.Second)
				if _, err := s.Sign(dst, inner, at); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
