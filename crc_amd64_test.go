//go:build !purego

package eventstream

import (
	"hash/crc32"
	"math/bits"
	"testing"
)

// xPowByCRC returns x^e mod P computed by hash/crc32, apart from crcXPows: the CRC register
// over k zero bytes is multiplied by x^(8k) mod P.
func xPowByCRC(e int) uint64 {
	k, r := e/8, e%8
	reg := uint32(1) << (31 - r) // x^r, reflected
	reg = ^crc32.Update(^reg, crc32.IEEETable, make([]byte, k))
	return uint64(bits.Reverse32(reg))
}

// clmul returns the carry-less product of a and b as (high, low) 64-bit halves.
func clmul(a, b uint64) (hi, lo uint64) {
	for i := range 64 {
		if b>>i&1 != 0 {
			lo ^= a << i
			if i > 0 {
				hi ^= a >> (64 - i)
			}
		}
	}
	return hi, lo
}

// TestCRCConstants checks the constants of crc_amd64.s against hash/crc32 and the definitions.
func TestCRCConstants(t *testing.T) {
	fold := func(e int) uint64 { return bits.Reverse64(xPowByCRC(e - 1)) }
	for d := 1; d < len(crcDist); d++ {
		if want := [2]uint64{fold(8*d + 64), fold(8 * d)}; crcDist[d] != want {
			t.Errorf("crcDist[%d] = %x, want %x", d, crcDist[d], want)
		}
	}
	for d := 1; d < len(crcPair); d++ {
		if want := [4]uint64{fold(8*d + 192), fold(8*d + 128), fold(8*d + 64), fold(8 * d)}; crcPair[d] != want {
			t.Errorf("crcPair[%d] = %x, want %x", d, crcPair[d], want)
		}
	}
	if want := [4]uint64{fold(1088), fold(1024), fold(1088), fold(1024)}; crcFold256 != want {
		t.Errorf("crcFold256 = %x, want %x", crcFold256, want)
	}
	// (x^64 + mu')*P = x^96 + a remainder of degree below 32.
	mu, p := bits.Reverse64(crcBarrett[0]), bits.Reverse64(crcBarrett[1])>>31
	if p != crcPoly {
		t.Errorf("P = %x, want %x", p, uint64(crcPoly))
	}
	if hi, lo := clmul(mu, crcPoly); hi^crcPoly != 1<<32 || lo>>32 != 0 {
		t.Errorf("mu' = %x: (x^64 + mu')*P = %x:%016x, want x^96 + less than x^32", mu, hi^crcPoly, lo)
	}
	for i, b := range crcKeep {
		if want := byte(0xff * (i / 16)); b != want {
			t.Errorf("crcKeep[%d] = %x, want %x", i, b, want)
		}
	}
}
