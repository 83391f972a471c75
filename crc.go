package eventstream

import (
	"encoding/binary"
	"hash/crc32"

	"github.com/framewire/eventstream/internal/framecrc"
)

// The frame's two checksums are CRC-32 (IEEE). They are computed here and nowhere else, so the
// implementation can be swapped after measuring.
//
// The paths (BenchmarkPreludeCRC and BenchmarkMessageCRC in crc_test.go; times are the
// minimum and median of 10 runs alternating with the previous version's binary on a shared
// 2-core AMD EPYC (Zen 3: AVX2, PCLMULQDQ, VPCLMULQDQ) with Go 1.26, `go test -c` then
// `-test.bench 'MessageCRC|PreludeCRC' -test.benchtime 0.1s` ten times each):
//   - The prelude CRC covers 8 bytes, where hash/crc32 goes a byte at a time: 14.7 (15.4) ns.
//     One slicing-by-8 step (crcPreludeWords), small enough to inline into its callers, takes
//     3.6 (3.6) ns; as a call, 4.4 (4.7) ns. The same Barrett step as below, on the 8 bytes
//     without tables, took 4.1 (4.2) ns as a call, but decoding was no faster with it (16
//     alternating rounds of Decode and DecodeFrame: every shape within 3%, none significant),
//     so the tables stay; inlining them took 5.2% off the geometric mean of the same
//     benchmarks in 20 rounds (DecodeFrame Bedrock 68.3 to 63.2 ns, 64 B 62.9 to 56.9, signed
//     57.4 to 56.0, p <= 0.033 each; no shape slower).
//   - On amd64, crcUpdate runs crc_amd64.s on inputs of 16 bytes or more: carry-less
//     multiplication folds every 16-byte block directly to 4 bytes past the end of the input,
//     so the blocks do not wait for each other and their sum needs one Barrett step, and the
//     last 1-16 bytes are a masked block, not a byte loop. On this CPU the multiplications'
//     throughput, not their latency, bounds long inputs, so where CPUID reports AVX2 and
//     VPCLMULQDQ, 32-byte registers fold two blocks per instruction. Minimum (median) ns,
//     hash/crc32 against crcUpdate: 60 bytes 38.5 (41.9) against 12.6 (13.1); 150 bytes 38.6
//     (39.5) against 16 (16.5); 254 bytes 65 (68) against 17.5 (17.8); 4187 bytes 360 (378)
//     against 168 (172); 1 MiB 83 (86) us against 41.2 (42.4) us. The 128-bit path alone
//     (impl=clmul): 12.5, 17.6, 24.8, 329 ns and 83 us. The previous version, which folded
//     to the end of the input and then reduced the 128-bit sum with four more products before
//     the Barrett step, and which was called through a Go function: 13.3 (14.1), 16.5 (17.2)
//     and 19.9 (20.3) ns for 60, 150 and 254 bytes; at 16 bytes both take about 11 ns.
//   - Elsewhere (and with the purego build tag, or on a CPU without PCLMULQDQ and SSE4.1),
//     crcGeneric leaves hash/crc32 the 16-byte blocks and finishes the last 0-15 bytes with
//     slicing steps of independent lookups, where hash/crc32 goes a byte at a time, each byte
//     waiting for the last: 254 bytes in 49 ns against 65. hash/crc32 against
//     github.com/klauspost/crc32 v1.3.0, measured earlier: equal within noise or the standard
//     library faster, so the fallback needs no dependency.
//
// On the codec (`go test -run X -bench '^Benchmark(Decode|Encode)$' .`, the same alternation,
// CPU ns per frame, median of 10, previous version against this one): decode signed 115
// against 102, Bedrock 100 against 76, all types changing 222 against 181, 4 KiB 594 against
// 392, 1 MiB 123 us against 81 us; encode signed 117 against 80, Bedrock 94 against 75, 4 KiB
// 457 against 278, 1 MiB 129 us against 81 us. The single Barrett step, the prelude without
// tables and the dispatch in assembly then took, in three runs of 12 alternating rounds
// (`-test.bench '^Benchmark(Decode|DecodeFrame|Encode)$'`, the first without Encode; CPU ns
// per frame, median), 3.6% to 4.7% off the geometric mean of the shapes, with no shape
// significantly slower; in the first, decode Bedrock from 76.4 to 72.6, 64 B from 60.1 to
// 56.9, all types changing from 172 to 163 and signed from 88.8 to 81.3 (p <= 0.045 each).
//
// A decoder runs the message CRC on one frame after another, none waiting for the last, so
// its throughput on independent inputs (BenchmarkMessageCRCStream) counts more than its
// latency (BenchmarkMessageCRC). On the 256-bit path a 16-byte block left over after the
// pairs makes a pair with the tail: two 256-bit carry-less multiplies where the two blocks took
// four 128-bit ones, which on this CPU raises that throughput: 223 bytes (a signed
// frame's) in 16.5 ns instead of 22.0, 254 bytes in 18.8 instead of 20.5 (12 alternating
// rounds, medians, p <= 0.028); 150 bytes 13.8 against 16.5 (p = 0.06).

// crcTables are the slicing-by-8 tables for the IEEE polynomial: crcTables[0] is the classic
// byte-wise table and crcTables[k][i] is the CRC of byte i followed by k zero bytes.
var crcTables = func() (t [8][256]uint32) {
	t[0] = *crc32.IEEETable
	for i := range 256 {
		c := t[0][i]
		for k := 1; k < 8; k++ {
			c = t[0][c&0xff] ^ c>>8
			t[k][i] = c
		}
	}
	return t
}()

// crcPreludeWords returns the CRC-32 of the prelude's first 8 bytes, total_length and
// headers_length (big-endian), from their values, in one slicing-by-8 step: callers have
// the values, and need not read the bytes (back). It is written to stay within the
// compiler's inlining budget.
func crcPreludeWords(total, hlen uint32) uint32 {
	// Byte i of the 8 is followed by 7-i more, so it contributes crcTables[7-i] of itself,
	// xored with the register's byte i for i < 4. The tables are linear, so the register's
	// initial ^0 and the final inversion are the constant crcPreludeInit.
	return crcPreludeInit ^ crcTab[7][total>>24] ^ crcTab[6][byte(total>>16)] ^
		crcTab[5][byte(total>>8)] ^ crcTab[4][byte(total)] ^ crcTab[3][hlen>>24] ^
		crcTab[2][byte(hlen>>16)] ^ crcTab[1][byte(hlen>>8)] ^ crcTab[0][byte(hlen)]
}

// crcTab points to crcTables, so that crcPreludeWords loads the tables' address once, not
// once per table.
var crcTab = &crcTables

// crcPreludeInit is what the register's initial value and the final inversion add to the
// prelude CRC: ^(crcTables[7][0xff] ^ crcTables[6][0xff] ^ crcTables[5][0xff] ^
// crcTables[4][0xff]), a constant so that crcPreludeWords fits the inlining budget
// (TestCRCPrelude holds it to hash/crc32).
const crcPreludeInit = 0x6522df69

func init() { framecrc.Seal = sealFrame }

// sealFrame writes both checksums of frame, whose other bytes are in place (see
// [framecrc.Seal]).
func sealFrame(frame []byte) {
	pcrc := crcPreludeWords(binary.BigEndian.Uint32(frame), binary.BigEndian.Uint32(frame[4:]))
	binary.BigEndian.PutUint32(frame[8:], pcrc)
	end := len(frame) - crcLen
	binary.BigEndian.PutUint32(frame[end:], crcUpdate(pcrc, frame[8:end]))
}

// crcGeneric continues crc over p: hash/crc32 for the 16-byte blocks of a long enough p, and
// slicing steps for the rest.
func crcGeneric(crc uint32, p []byte) uint32 {
	if len(p) >= 64 {
		n := len(p) &^ 15
		crc = crc32.Update(crc, crc32.IEEETable, p[:n])
		p = p[n:]
	}
	return crcSlicing8(crc, p)
}

// crcSlicing8 continues crc over p, 8 bytes per step.
func crcSlicing8(crc uint32, p []byte) uint32 {
	t := &crcTables
	crc = ^crc
	for len(p) >= 8 {
		crc ^= uint32(p[0]) | uint32(p[1])<<8 | uint32(p[2])<<16 | uint32(p[3])<<24
		crc = t[0][p[7]] ^ t[1][p[6]] ^ t[2][p[5]] ^ t[3][p[4]] ^
			t[4][crc>>24] ^ t[5][crc>>16&0xff] ^ t[6][crc>>8&0xff] ^ t[7][crc&0xff]
		p = p[8:]
	}
	if k := len(p); k > 0 {
		// The last k < 8 bytes in one step as well: byte i (xored with the register's byte i)
		// is followed by k-1-i more bytes, so its contribution is crcTables[k-1-i]. The k
		// lookups are independent, unlike a byte-at-a-time loop, where each waits for the last.
		next := uint32(0)
		if k < 4 {
			next = crc >> (8 * k)
		}
		for i, v := range p {
			if i < 4 {
				v ^= byte(crc >> (8 * i))
			}
			next ^= t[k-1-i][v]
		}
		crc = next
	}
	return ^crc
}
