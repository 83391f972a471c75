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

// fit reports whether a prelude with a good CRC, total_length t and headers_length h passes
// the checks that follow the CRC's, for Decode's common case; readPrelude makes the same
// checks one by one to say which fails (TestPreludeFit holds the two together).
func (l *limits) fit(t, h uint32) bool {
	return t >= minFrameLen && h <= t-minFrameLen && (h == 0 || h >= minHeaderLen) &&
		int64(t) <= l.maxFrame && int64(h) <= int64(l.maxBlock)
}

// checkMessageCRC verifies the trailing CRC of a whole frame whose prelude CRC is pcrc.
func checkMessageCRC(frame []byte, pcrc uint32) *Error {
	if got, want := messageCRC(frame, pcrc); got != want {
		return checksum("message crc", want, got)
	}
	return nil
}

// messageCRC returns the CRC of a whole frame whose prelude CRC is pcrc, and the CRC it
// carries.
func messageCRC(frame []byte, pcrc uint32) (got, want uint32) {
	end := len(frame) - crcLen
	return crcUpdate(pcrc, frame[8:end]), binary.BigEndian.Uint32(frame[end:])
}
