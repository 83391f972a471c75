package eventstream

import "encoding/binary"

const (
	preludeLen  = 12 // total_length, headers_length, prelude_crc
	crcLen      = 4  // the trailing message CRC
	minFrameLen = preludeLen + crcLen
	// minHeaderLen is the smallest header: a 1-byte name, its length byte and a bool type byte.
	minHeaderLen = 3
)

// limits are the decoding limits in force for one frame.
type limits struct {
	maxFrame   int64
	maxBlock   int
	maxHeaders int
	utf8       bool
}

var defaultLimits = limits{
	maxFrame:   DefaultMaxFrameLen,
	maxBlock:   DefaultMaxHeaderBlockLen,
	maxHeaders: DefaultMaxHeaders,
}

// readPrelude checks the 12-byte prelude at the start of p, in the order the specification
// gives: the prelude CRC first (no length is trusted before it), then the lengths' consistency,
// then the limits. It returns the frame and header block lengths and the prelude CRC, from
// which the message CRC continues.
func readPrelude(p []byte, lim *limits) (total, hlen int, crc uint32, err *Error) {
	_ = p[preludeLen-1]
	t := binary.BigEndian.Uint32(p[0:])
	h := binary.BigEndian.Uint32(p[4:])
	want := binary.BigEndian.Uint32(p[8:])
	if got := crcPreludeWords(t, h); got != want {
		return 0, 0, 0, checksum("prelude crc", want, got)
	}
	switch {
	case t < minFrameLen:
		return 0, 0, 0, malformed("total_length", "%d is below the %d-byte minimum", t, minFrameLen)
	case h > t-minFrameLen:
		return 0, 0, 0, malformed("headers_length", "%d does not fit in a %d-byte frame", h, t)
	case h > 0 && h < minHeaderLen:
		return 0, 0, 0, malformed("headers_length", "%d is shorter than the smallest header (%d bytes)", h, minHeaderLen)
	case int64(t) > lim.maxFrame:
		return 0, 0, 0, tooLarge("total_length", "%d is over the limit of %d", t, lim.maxFrame)
	case int64(h) > int64(lim.maxBlock):
		return 0, 0, 0, tooLarge("headers_length", "%d is over the limit of %d", h, lim.maxBlock)
	}
	return int(t), int(h), want, nil
}

// checkMessageCRC verifies the trailing CRC of a whole frame whose prelude CRC is pcrc.
func checkMessageCRC(frame []byte, pcrc uint32) *Error {
	end := len(frame) - crcLen
	want := binary.BigEndian.Uint32(frame[end:])
	if got := crcUpdate(pcrc, frame[8:end]); got != want {
		return checksum("message crc", want, got)
	}
	return nil
}
