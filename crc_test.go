package eventstream

import (
	"encoding/binary"
	"hash/crc32"
	"math/rand/v2"
	"strconv"
	"testing"
)

func TestCRCPrelude(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 1))
	var p [8]byte
	for i := range 100000 {
		if i < 256 {
			p = [8]byte{byte(i), 0, 0, 0, 0, 0, 0, byte(i)}
		} else {
			for j := range p {
				p[j] = byte(r.Uint32())
			}
		}
		if got, want := preludeCRC(p[:]), crc32.ChecksumIEEE(p[:]); got != want {
			t.Fatalf("crcPreludeWords(% x) = %08x, want %08x", p, got, want)
		}
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

// BenchmarkMessageCRC compares hash/crc32 with crcUpdate, which finishes the last 0-15 bytes
// with slicing-by-8, on message lengths whose tails are long (300 = 18*16 + 12).
func BenchmarkMessageCRC(b *testing.B) {
	p := make([]byte, 1<<20)
	for i := range p {
		p[i] = byte(i * 13)
	}
	var sink uint32
	for _, n := range []int{60, 254, 300, 4187, 1 << 20} {
		b.Run("impl=stdlib/size="+strconv.Itoa(n), func(b *testing.B) {
			b.SetBytes(int64(n))
			for b.Loop() {
				sink += crc32.Update(sink, crc32.IEEETable, p[:n])
			}
		})
		b.Run("impl=crcUpdate/size="+strconv.Itoa(n), func(b *testing.B) {
			b.SetBytes(int64(n))
			for b.Loop() {
				sink += crcUpdate(sink, p[:n])
			}
		})
	}
}
