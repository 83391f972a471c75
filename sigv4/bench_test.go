package sigv4

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"testing"
	"time"

	"github.com/framewire/eventstream"
	"github.com/framewire/eventstream/internal/shapes"
)

// benchInners returns the inner frames the signing benchmarks carry: a Bedrock chunk
// (~270 bytes), the ~150-byte audio event of the signed shape, and a 4 KiB frame.
func benchInners(b *testing.B) []struct {
	name  string
	inner []byte
} {
	var out []struct {
		name  string
		inner []byte
	}
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
		out = append(out, struct {
			name  string
			inner []byte
		}{name, inner})
	}
	return out
}

// signedOuters signs n frames carrying inner, one second apart, and returns them.
func signedOuters(b *testing.B, inner []byte, n int) [][]byte {
	s := NewSigner(testCreds, "us-east-1", "bedrock", testSeed)
	outers := make([][]byte, n)
	for i := range outers {
		var err error
		if outers[i], err = s.Sign(nil, inner, streamStart.Add(time.Duration(i)*time.Second)); err != nil {
			b.Fatal(err)
		}
	}
	return outers
}

// BenchmarkSign measures one frame's signature three ways, per inner frame (bytes per second
// count the inner frame):
//
//   - impl=floor: the work a signature needs and nothing else: SHA-256 of the :date header
//     block and of the payload (with one digest reused, which costs less than sha256.Sum256),
//     and HMAC-SHA256 (with the key derived beforehand) of a string to sign as long as the
//     real one;
//   - impl=signer: Signer.Sign, one second apart, into a reused buffer: the signature and the
//     outer frame;
//   - impl=verifier: Verifier.Verify on outer frames decoded beforehand.
func BenchmarkSign(b *testing.B) {
	for _, in := range benchInners(b) {
		b.Run("impl=floor/inner="+in.name, func(b *testing.B) {
			c := newChain(testCreds, "us-east-1", "bedrock", testSeed)
			c.sign(streamStart.UnixMilli(), in.inner)
			headers := bytes.Clone(c.dateHB[:])
			sts := bytes.Clone(c.sts)
			mac := hmac.New(sha256.New, signingKey(testCreds.SecretAccessKey, []byte("20260601"), "us-east-1", "bedrock"))
			d := sha256.New()
			var h, p, sum [sha256.Size]byte
			b.SetBytes(int64(len(in.inner)))
			b.ReportAllocs()
			defer shapes.CPUMeter(b)()
			for b.Loop() {
				d.Reset()
				d.Write(headers)
				d.Sum(h[:0])
				d.Reset()
				d.Write(in.inner)
				d.Sum(p[:0])
				mac.Reset()
				mac.Write(sts)
				mac.Sum(sum[:0])
				sum[0] ^= h[0] ^ p[0]
			}
		})
		b.Run("impl=signer/inner="+in.name, func(b *testing.B) {
			s := NewSigner(testCreds, "us-east-1", "bedrock", testSeed)
			dst := make([]byte, 0, len(in.inner)+100)
			at := streamStart
			b.SetBytes(int64(len(in.inner)))
			b.ReportAllocs()
			defer shapes.CPUMeter(b)()
			for b.Loop() {
				at = at.Add(time.Second)
				if _, err := s.Sign(dst, in.inner, at); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("impl=verifier/inner="+in.name, func(b *testing.B) {
			n := min(4096, (64<<20)/len(in.inner))
			frames := make([]eventstream.Frame, n)
			for i, o := range signedOuters(b, in.inner, n) {
				if err := frames[i].UnmarshalBinary(o); err != nil {
					b.Fatal(err)
				}
			}
			var v *Verifier
			i := n
			b.SetBytes(int64(len(in.inner)))
			b.ReportAllocs()
			defer shapes.CPUMeter(b)()
			for b.Loop() {
				if i == n {
					v, i = NewVerifier(testCreds, "us-east-1", "bedrock", testSeed), 0
				}
				if _, err := v.Verify(&frames[i]); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}

// BenchmarkSignCadence measures Signer.Sign on the audio event frame at two cadences: a frame
// every second (every :date new, as in BenchmarkSign) and a frame every 32 ms (an audio stream
// sending 32 ms of 16 kHz, 16-bit mono per event), where about 30 frames in 31 carry the
// :date of the frame before and its digest is not computed again.
func BenchmarkSignCadence(b *testing.B) {
	var inner []byte
	for _, in := range benchInners(b) {
		if in.name == "event" {
			inner = in.inner
		}
	}
	for _, every := range []time.Duration{time.Second, 32 * time.Millisecond} {
		b.Run("every="+every.String(), func(b *testing.B) {
			s := NewSigner(testCreds, "us-east-1", "bedrock", testSeed)
			dst := make([]byte, 0, len(inner)+100)
			at := streamStart
			b.SetBytes(int64(len(inner)))
			b.ReportAllocs()
			defer shapes.CPUMeter(b)()
			for b.Loop() {
				at = at.Add(every)
				if _, err := s.Sign(dst, inner, at); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkReader reads a signed stream end to end (impl=reader: Reader.Next, decoding and
// verifying each outer frame) and, for comparison, its two halves apart: impl=decode decodes
// the same outer frames with an eventstream.Decoder without verifying them; the verification
// alone is BenchmarkSign's impl=verifier. The stream starts over, with a new Reader, when it
// runs out.
func BenchmarkReader(b *testing.B) {
	for _, in := range benchInners(b) {
		n := min(4096, (64<<20)/len(in.inner))
		var stream []byte
		for _, o := range signedOuters(b, in.inner, n) {
			stream = append(stream, o...)
		}
		b.Run("impl=decode/inner="+in.name, func(b *testing.B) {
			r := bytes.NewReader(stream)
			d := eventstream.NewDecoder(r)
			var f eventstream.Frame
			b.SetBytes(int64(len(in.inner)))
			b.ReportAllocs()
			defer shapes.CPUMeter(b)()
			for b.Loop() {
				err := d.Decode(&f)
				if err == io.EOF {
					r.Reset(stream)
					d.Reset(r)
					err = d.Decode(&f)
				}
				if err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("impl=reader/inner="+in.name, func(b *testing.B) {
			src := bytes.NewReader(stream)
			var r *Reader
			i := n
			b.SetBytes(int64(len(in.inner)))
			b.ReportAllocs()
			defer shapes.CPUMeter(b)()
			for b.Loop() {
				if i == n {
					src.Reset(stream)
					r, i = NewReader(src, NewVerifier(testCreds, "us-east-1", "bedrock", testSeed)), 0
				}
				if _, err := r.Next(); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}

// BenchmarkHex encodes a 32-byte digest in lowercase hex, as a signature does three times:
// impl=hexDigest is the signer's encoder, impl=stdlib is encoding/hex.
func BenchmarkHex(b *testing.B) {
	src := sha256.Sum256([]byte("digest"))
	dst := make([]byte, 0, 2*len(src))
	b.Run("impl=hexDigest", func(b *testing.B) {
		for b.Loop() {
			hexDigest((*[2 * sha256.Size]byte)(dst[:2*sha256.Size]), &src)
		}
	})
	b.Run("impl=stdlib", func(b *testing.B) {
		for b.Loop() {
			dst = hex.AppendEncode(dst[:0], src[:])
		}
	})
}
