package eventstream

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/framewire/eventstream/internal/framecrc"
)

// TestCRCPrelude compares crcPreludeWords with hash/crc32 on edge values, single bits and
// random values.
func TestCRCPrelude(t *testing.T) {
	check := func(total, hlen uint32) {
		var p [8]byte
		binary.BigEndian.PutUint32(p[:], total)
		binary.BigEndian.PutUint32(p[4:], hlen)
		if got, want := crcPreludeWords(total, hlen), crc32.ChecksumIEEE(p[:]); got != want {
			t.Fatalf("crcPreludeWords(%#x, %#x) = %08x, want %08x", total, hlen, got, want)
		}
	}
	edges := []uint32{0, 1, 0x80, 0xff, 0x100, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff}
	for _, a := range edges {
		for _, b := range edges {
			check(a, b)
		}
	}
	for i := range 32 {
		check(1<<i, 0)
		check(0, 1<<i)
	}
	r := rand.New(rand.NewPCG(1, 1))
	for range 100000 {
		check(r.Uint32(), r.Uint32())
	}
}

func TestCRCUpdateChains(t *testing.T) {
	b := make([]byte, 3000)
	for i := range b {
		b[i] = byte(i * 7)
	}
	for _, cut := range []int{8, 9, 100, 2999} {
		if got, want := crcUpdate(preludeCRC(b), b[8:cut]), crc32.ChecksumIEEE(b[:cut]); got != want {
			t.Errorf("cut %d: %08x, want %08x", cut, got, want)
		}
	}
}

// preludeCRC is crcPreludeWords over the first 8 bytes of p.
func preludeCRC(p []byte) uint32 {
	return crcPreludeWords(binary.BigEndian.Uint32(p), binary.BigEndian.Uint32(p[4:]))
}

// BenchmarkPreludeCRC compares the 8-byte prelude CRC of the standard library with
// crcPreludeWords.
func BenchmarkPreludeCRC(b *testing.B) {
	p := []byte("\x00\x00\x01\x0a\x00\x00\x00\x3c")
	var sink uint32
	b.Run("impl=stdlib", func(b *testing.B) {
		b.SetBytes(8)
		for b.Loop() {
			sink += crc32.ChecksumIEEE(p)
		}
	})
	b.Run("impl=slicing8", func(b *testing.B) {
		b.SetBytes(8)
		for b.Loop() {
			sink += preludeCRC(p)
		}
	})
	_ = sink
}

func TestCRCUpdateLengths(t *testing.T) {
	b := make([]byte, 300)
	for i := range b {
		b[i] = byte(i*31 + 7)
	}
	for n := range len(b) {
		for _, seed := range []uint32{0, 0xdeadbeef} {
			if got, want := crcUpdate(seed, b[:n]), crc32.Update(seed, crc32.IEEETable, b[:n]); got != want {
				t.Fatalf("crcUpdate(%08x, %d bytes) = %08x, want %08x", seed, n, got, want)
			}
		}
	}
}

// BenchmarkMessageCRC compares hash/crc32 with crcUpdate's paths: generic (hash/crc32's
// blocks and slicing steps for the last 0-15 bytes), clmul (the 128-bit carry-less
// multiplication path alone) and crcUpdate (what the CPU runs: with the 256-bit loop where it
// has one).
func BenchmarkMessageCRC(b *testing.B) {
	p := make([]byte, 1<<20)
	for i := range p {
		p[i] = byte(i * 13)
	}
	clmul, vpclmul := useCLMUL, useVPCLMUL
	defer func() { useCLMUL, useVPCLMUL = clmul, vpclmul }()
	var sink uint32
	for _, n := range []int{16, 48, 60, 150, 254, 300, 4187, 1 << 20} {
		b.Run("impl=stdlib/size="+strconv.Itoa(n), func(b *testing.B) {
			b.SetBytes(int64(n))
			for b.Loop() {
				sink += crc32.Update(sink, crc32.IEEETable, p[:n])
			}
		})
		for _, impl := range []struct {
			name           string
			clmul, vpclmul bool
		}{{"generic", false, false}, {"clmul", clmul, false}, {"crcUpdate", clmul, vpclmul}} {
			b.Run("impl="+impl.name+"/size="+strconv.Itoa(n), func(b *testing.B) {
				useCLMUL, useVPCLMUL = impl.clmul, impl.vpclmul
				b.SetBytes(int64(n))
				for b.Loop() {
					sink += crcUpdate(sink, p[:n])
				}
			})
		}
	}
}

// BenchmarkMessageCRCStream runs crcUpdate as a decoder does, over inputs one after the other
// in a 16 KiB buffer, none waiting for the one before (BenchmarkMessageCRC chains them, and so
// measures latency). 223 bytes is the message CRC's input of a signed shape frame.
func BenchmarkMessageCRCStream(b *testing.B) {
	p := make([]byte, 16<<10)
	for i := range p {
		p[i] = byte(i * 13)
	}
	for _, n := range []int{60, 150, 223, 254, 300} {
		b.Run("size="+strconv.Itoa(n), func(b *testing.B) {
			b.SetBytes(int64(n))
			off := 0
			for b.Loop() {
				if off+n > len(p) {
					off = 0
				}
				crcSink ^= crcUpdate(uint32(off), p[off:off+n])
				off += n
			}
		})
	}
}

// crcSink keeps the benchmarks' results.
var crcSink uint32

// crcPaths runs f once for each crcUpdate path this machine has: the slicing fallback, the
// 128-bit carry-less multiplication path and the 256-bit one, forcing each in turn.
func crcPaths(t *testing.T, f func(t *testing.T)) {
	clmul, vpclmul := useCLMUL, useVPCLMUL
	defer func() { useCLMUL, useVPCLMUL = clmul, vpclmul }()
	paths := []struct {
		name           string
		clmul, vpclmul bool
	}{{"generic", false, false}, {"clmul", true, false}, {"vpclmul", true, true}}
	ran := 0
	for _, p := range paths {
		if p.clmul && !clmul || p.vpclmul && !vpclmul {
			continue
		}
		useCLMUL, useVPCLMUL = p.clmul, p.vpclmul
		t.Run(p.name, f)
		ran++
	}
	t.Logf("%d paths", ran)
}

// TestCRCUpdateAll compares crcUpdate with hash/crc32 on every length up to 4096 at several
// alignments and start values, and on random long inputs, on every path.
func TestCRCUpdateAll(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	buf := make([]byte, 4096+64)
	for i := range buf {
		buf[i] = byte(r.Uint32())
	}
	crcPaths(t, func(t *testing.T) {
		for _, off := range []int{0, 1, 7, 15, 33} {
			for n := 0; n <= 4096; n++ {
				p := buf[off : off+n]
				for _, seed := range []uint32{0, 0xffffffff, 0x12345678} {
					if got, want := crcUpdate(seed, p), crc32.Update(seed, crc32.IEEETable, p); got != want {
						t.Fatalf("offset %d, %d bytes, seed %08x: %08x, want %08x", off, n, seed, got, want)
					}
				}
			}
		}
		big := make([]byte, 3<<20)
		for i := range big {
			big[i] = byte(r.Uint32())
		}
		for range 20 {
			off := r.IntN(64)
			n := r.IntN(len(big) - off)
			seed := r.Uint32()
			p := big[off : off+n]
			if got, want := crcUpdate(seed, p), crc32.Update(seed, crc32.IEEETable, p); got != want {
				t.Fatalf("offset %d, %d bytes, seed %08x: %08x, want %08x", off, n, seed, got, want)
			}
		}
	})
}

// FuzzCRC compares crcUpdate on every path, and crcPreludeWords on the first 8 bytes, with
// hash/crc32.
func FuzzCRC(f *testing.F) {
	f.Add(uint32(0), []byte("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0"), uint8(3))
	f.Add(uint32(0xffffffff), make([]byte, 300), uint8(0))
	clmul, vpclmul := useCLMUL, useVPCLMUL
	f.Fuzz(func(t *testing.T, seed uint32, p []byte, off uint8) {
		defer func() { useCLMUL, useVPCLMUL = clmul, vpclmul }()
		p = p[min(int(off&15), len(p)):]
		if len(p) >= 8 {
			if got, want := preludeCRC(p), crc32.ChecksumIEEE(p[:8]); got != want {
				t.Fatalf("prelude % x: %08x, want %08x", p[:8], got, want)
			}
		}
		want := crc32.Update(seed, crc32.IEEETable, p)
		for _, path := range [][2]bool{{false, false}, {true, false}, {true, true}} {
			if path[0] && !clmul || path[1] && !vpclmul {
				continue
			}
			useCLMUL, useVPCLMUL = path[0], path[1]
			if got := crcUpdate(seed, p); got != want {
				t.Fatalf("clmul %v, vpclmul %v, %d bytes, seed %08x: %08x, want %08x", path[0], path[1], len(p), seed, got, want)
			}
		}
	})
}

// TestSealFrame checks that framecrc.Seal, which package sigv4 uses to write its frames,
// writes the checksums AppendBinary does, on frames from the prelude alone to over 64 KiB.
func TestSealFrame(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 11))
	for _, n := range []int{0, 1, 3, 15, 16, 17, 100, 223, 4096, 70000} {
		payload := make([]byte, n)
		for i := range payload {
			payload[i] = byte(r.Uint32())
		}
		for _, hs := range [][]Header{nil, {{Name: ":date", Value: Int64Value(r.Int64())}}} {
			f := Frame{Headers: hs, Payload: payload}
			want, err := f.MarshalBinary()
			if err != nil {
				t.Fatal(err)
			}
			got := bytes.Clone(want)
			clear(got[8:12])
			clear(got[len(got)-4:])
			framecrc.Seal(got)
			if !bytes.Equal(got, want) {
				t.Fatalf("%d-byte payload, %d headers: sealed % x, want % x", n, len(hs), got[8:12], want[8:12])
			}
		}
	}
}
