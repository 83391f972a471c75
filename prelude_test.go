package eventstream

import (
	"encoding/binary"
	"math"
	"testing"
)

// TestPreludeFit holds limits.fit, which Decode's common case checks, to readPrelude: for a
// prelude with a good CRC, fit must hold exactly when readPrelude accepts the lengths.
func TestPreludeFit(t *testing.T) {
	lims := []limits{defaultLimits, {maxFrame: 100, maxBlock: 10, maxHeaders: 3}, {maxFrame: math.MaxUint32 + 1, maxBlock: math.MaxInt32}}
	var edges []uint32
	for _, v := range []int64{0, 1, 2, 3, 4, 10, 11, 15, 16, 17, 18, 19, 20, 99, 100, 101, 1 << 20,
		DefaultMaxHeaderBlockLen, DefaultMaxFrameLen, math.MaxInt32, math.MaxUint32} {
		for _, d := range []int64{-1, 0, 1} {
			if w := v + d; w >= 0 && w <= math.MaxUint32 {
				edges = append(edges, uint32(w))
			}
		}
	}
	var p [preludeLen]byte
	for _, lim := range lims {
		for _, total := range edges {
			for _, h := range append(edges, total-16, total-15, total-17) {
				binary.BigEndian.PutUint32(p[0:], total)
				binary.BigEndian.PutUint32(p[4:], h)
				binary.BigEndian.PutUint32(p[8:], crcPreludeWords(total, h))
				_, _, _, err := readPrelude(p[:], &lim)
				if fit := lim.fit(total, h); fit != (err == nil) {
					t.Fatalf("total %d, headers %d, limits %+v: fit %v, readPrelude %v", total, h, lim, fit, err)
				}
			}
		}
	}
}
