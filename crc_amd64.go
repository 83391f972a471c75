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
// Folding. The CRC of an input M (the register's initial value added to its first 4 bytes)
// is M*x^32 mod P. A block V = L*x^64 + H (L its first 8 bytes, H its last 8) that ends d
// bytes before the end of the input contributes V*x^(8d) to M, so V*x^(8(d+4)) to M*x^32, and
// V*x^(8(d+4)) = L*x^(8(d+4)+64) + H*x^(8(d+4)) ≡ L*(x^(8(d+4)+63) mod P)*x +
// H*(x^(8(d+4)-1) mod P)*x, which is two PCLMULQDQs with the multipliers in crcDist[d+4]: a
// sum of degree at most 95, so it fits one block again. Every 16-byte block of an input
// shorter than 256 bytes (the last one, of 1-16 bytes, masked) is folded this way directly,
// all independent of each other, so the dependency chain is short; longer inputs first run a
// loop of four accumulators (16 or 32 bytes each) folded forward by 64 or 128 bytes per step,
// which then go to the end the same way. The sum R ≡ M*x^32 has degree at most 95.
//
// Reduction. Barrett reduction with mu = floor(x^96 / P) = x^64 + mu' (mu' of degree 58)
// takes R to R mod P, the CRC, in two dependent products: with A = floor(R / x^32) (bytes
// 4-11 of the block), the quotient floor(R / P) is Q = A + floor(A*mu' / x^64), and R mod P is
// the sum of R's and Q*P's terms below x^32 (R's are bytes 12-15). The product A*mu' lands
// one bit short of where Q's 64-bit operand reads it, so a shift by one bit precedes the
// addition of A; P's multiplier carries a factor x^31 so that Q*P's terms below x^32 land in
// the third 32-bit word, where a 4-byte shift of the block has put R's.

// crcPoly is the CRC-32 (IEEE) polynomial P, x^32 + x^26 + ... + 1.
const crcPoly = 1<<32 | 0x04c11db7

// crcMaxDist is the longest distance, in bytes, from the end of a block folded directly to the
// end of the input: loops run only on inputs of 256 bytes or more, and leave at most 255.
const crcMaxDist = 255

var (
	// crcDist[d] folds a block forward by d bytes: its multipliers for the block's first and
	// last 8 bytes. crcDist[0] is not used; crcDist[64] also drives the 4-block loop, and a
	// block that ends d bytes before the end of the input takes crcDist[d+4].
	crcDist [crcMaxDist + 4 + 1][2]uint64
	// crcPair[d] is crcDist[d+16] and crcDist[d] side by side, for a 32-byte register whose
	// second half ends d-4 bytes before the end of the input.
	crcPair [crcMaxDist + 4 - 16 + 1][4]uint64
	// crcFold256 folds each half of a 32-byte register forward by 128 bytes (the 256-bit loop).
	crcFold256 [4]uint64
	// crcBarrett holds the multipliers of the Barrett reduction (see Reduction above): mu',
	// and P times x^31.
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

// crcQuot returns floor(x^n / P) without its terms of degree 64 and up.
func crcQuot(n int) (q uint64) {
	// Long division of x^n, one dividend coefficient at a time from x^n down: bit j of r is
	// the running remainder's x^(e+j) term, and subtracting P*x^e sets the quotient's x^e term.
	var r uint64
	for e := n; e >= 0; e-- {
		r <<= 1
		if e == n {
			r |= 1
		}
		if r>>32&1 != 0 {
			r ^= crcPoly
			if e < 64 {
				q |= 1 << e
			}
		}
	}
	return q
}

func init() {
	pow := crcXPows(8*(crcMaxDist+4) + 64)
	// fold is the multiplier that folds an 8-byte half e bits forward: x^(e-1) mod P, reflected.
	fold := func(e int) uint64 { return bits.Reverse64(pow[e-1]) }
	for d := 1; d < len(crcDist); d++ {
		crcDist[d] = [2]uint64{fold(8*d + 64), fold(8 * d)}
	}
	for d := 1; d < len(crcPair); d++ {
		crcPair[d] = [4]uint64{crcDist[d+16][0], crcDist[d+16][1], crcDist[d][0], crcDist[d][1]}
	}
	crcFold256 = [4]uint64{fold(1024 + 64), fold(1024), fold(1024 + 64), fold(1024)}
	crcBarrett = [2]uint64{bits.Reverse64(crcQuot(96)), bits.Reverse64(crcPoly << 31)}
	for i := 16; i < 32; i++ {
		crcKeep[i] = 0xff
	}
}

// useCLMUL and useVPCLMUL report whether the CPU and OS support the instructions of the
// 128-bit path (PCLMULQDQ, SSE4.1) and of the 256-bit loop (AVX2, VPCLMULQDQ).
var useCLMUL, useVPCLMUL = cpuCLMUL()

// cpuCLMUL checks CPUID and XGETBV.
func cpuCLMUL() (clmul, vpclmul bool)

// crcUpdate continues crc over p. If useCLMUL is set and p is at least 16 bytes long, it folds
// by carry-less multiplication, with the 256-bit loop for long inputs if useVPCLMUL is set;
// otherwise it runs crcGeneric.
//
//go:noescape
func crcUpdate(crc uint32, p []byte) uint32
