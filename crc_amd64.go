//go:build !purego

package eventstream

import "math/bits"

// The carry-less multiplication path of crcUpdate, in crc_amd64.s. Its constants are derived
// here from the polynomial when the package starts; TestCRCConstants checks them against
// hash/crc32 independently.
//
// Representation. A polynomial over GF(2) is written with bit i holding the coefficient of
// x^i. The assembly works on bit-reflected data, as the CRC is defined: in a 128-bit block
// loaded from memory, bit k (bit k%8 of byte k/8) is the coefficient of x^(127-k), and in a
// 64-bit operand bit k is the coefficient of x^(63-k), so that a multiplier m is stored as
// bits.Reverse64(m). PCLMULQDQ of two such operands a and b yields the 127-bit product whose
// bit k is the coefficient of x^(126-k): read as a 128-bit block, it is a*b*x.
//
// Folding. A block V = L*x^64 + H (L its first 8 bytes, H its last 8) that ends d bytes before
// the end of the input contributes V*x^(8d) to the message polynomial, and
// V*x^(8d) = L*x^(8d+64) + H*x^(8d) ≡ L*(x^(8d+63) mod P)*x + H*(x^(8d-1) mod P)*x, which is
// two PCLMULQDQs with the multipliers in crcDist[d]: a sum of degree at most 95, so it fits
// one block again. Every 16-byte block of an input shorter than 256 bytes is folded this way
// directly to the end of the input, all independent of each other, so the dependency chain is
// short; longer inputs first run a loop of four accumulators (16 or 32 bytes each) folded
// forward by 64 or 128 bytes per step, which then go to the end the same way.
//
// Reduction. The CRC of the folded 128-bit block X is X*x^32 mod P. With X's four 32-bit
// words d0..d3 (d0 the first), X*x^32 ≡ W = d0*(x^128 mod P) + d1*(x^96 mod P) +
// d2*(x^64 mod P) + d3*(x^32 mod P), of degree at most 62: four independent products whose
// multipliers carry a factor x^31 so that W lands in the first 8 bytes of the block. Barrett
// reduction then gives W mod P: with mu = floor(x^64 / P), the quotient is
// Q = floor(floor(W / x^32) * mu / x^32) and the remainder W - Q*P.

// crcPoly is the CRC-32 (IEEE) polynomial P, x^32 + x^26 + ... + 1.
const crcPoly = 1<<32 | 0x04c11db7

// crcMaxDist is the longest distance, in bytes, from the end of a block folded directly to the
// end of the input: loops run only on inputs of 256 bytes or more, and leave at most 255.
const crcMaxDist = 255

var (
	// crcDist[d] folds a block forward by d bytes: its multipliers for the block's first and
	// last 8 bytes. crcDist[0] is not used; crcDist[64] also drives the 4-block loop.
	crcDist [crcMaxDist + 1][2]uint64
	// crcPair[d] folds a 32-byte register whose second half ends d bytes before the end of
	// the input: crcDist[d+16] for its first half and crcDist[d] for its second.
	crcPair [crcMaxDist - 16 + 1][4]uint64
	// crcFold256 folds each half of a 32-byte register forward by 128 bytes (the 256-bit loop).
	crcFold256 [4]uint64
	// crcReduce holds the multipliers of d0, d1, d2 and d3 (see Reduction above).
	crcReduce [4]uint64
	// crcBarrett holds mu and P, each times x^31.
	crcBarrett [2]uint64
	// crcKeep[t:t+16] masks all but the last t bytes of a block.
	crcKeep [32]byte
)

// crcXPows returns x^e mod P for e from 0 to n-1.
func crcXPows(n int) []uint64 {
	pow := make([]uint64, n)
	r := uint64(1)
	for e := range pow {
		pow[e] = r
		r <<= 1
		if r&(1<<32) != 0 {
			r ^= crcPoly
		}
	}
	return pow
}

// crcMu returns floor(x^64 / P), of degree 32.
func crcMu() uint64 {
	// Long division of x^64: hi holds the coefficients of x^64 and up, lo the rest.
	var q, lo uint64
	hi := uint64(1)
	for deg := 64; deg >= 32; deg-- {
		var bit uint64
		if deg == 64 {
			bit = hi & 1
		} else {
			bit = lo >> deg & 1
		}
		if bit != 0 {
			q |= 1 << (deg - 32)
			// Subtract P*x^(deg-32): P's x^32 term cancels the leading bit.
			if deg == 64 {
				hi = 0
			}
			lo ^= (crcPoly &^ (1 << 32)) << (deg - 32)
		}
	}
	return q
}

func init() {
	pow := crcXPows(8*crcMaxDist + 64)
	// fold is the multiplier that folds an 8-byte half e bits forward: x^(e-1) mod P, reflected.
	fold := func(e int) uint64 { return bits.Reverse64(pow[e-1]) }
	for d := 1; d <= crcMaxDist; d++ {
		crcDist[d] = [2]uint64{fold(8*d + 64), fold(8 * d)}
	}
	for d := 1; d+16 <= crcMaxDist; d++ {
		crcPair[d] = [4]uint64{crcDist[d+16][0], crcDist[d+16][1], crcDist[d][0], crcDist[d][1]}
	}
	crcFold256 = [4]uint64{fold(1024 + 64), fold(1024), fold(1024 + 64), fold(1024)}
	for i := range crcReduce {
		crcReduce[i] = bits.Reverse64(pow[128-32*i] << 31)
	}
	crcBarrett = [2]uint64{bits.Reverse64(crcMu() << 31), bits.Reverse64(crcPoly << 31)}
	for i := 16; i < 32; i++ {
		crcKeep[i] = 0xff
	}
}

// useCLMUL and useVPCLMUL report whether the CPU and OS support the instructions of the
// 128-bit path (PCLMULQDQ, SSE4.1) and of the 256-bit loop (AVX2, VPCLMULQDQ).
var useCLMUL, useVPCLMUL = cpuCLMUL()

// cpuCLMUL checks CPUID and XGETBV.
func cpuCLMUL() (clmul, vpclmul bool)

// crcCLMUL continues crc over p, which is at least 16 bytes long. It uses the 256-bit loop
// for long inputs if useVPCLMUL is set.
//
//go:noescape
func crcCLMUL(crc uint32, p []byte, vpclmul bool) uint32
