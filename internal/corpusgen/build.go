// Package corpusgen builds the conformance vectors of testdata/corpus byte by byte.
//
// It deliberately does not use the codec it tests: every frame is laid out field by field with
// encoding/binary and hash/crc32, so that a bug in the encoder cannot hide the same bug in the
// decoder, and so that the negative vectors, which the encoder refuses to write, can be built
// with checksums that are valid wherever a vector means to exercise a later check.
package corpusgen

import (
	"encoding/binary"
	"hash/crc32"
)

// Header type bytes, as on the wire.
const (
	tBoolTrue  = 0
	tBoolFalse = 1
	tByte      = 2
	tInt16     = 3
	tInt32     = 4
	tInt64     = 5
	tBytes     = 6
	tString    = 7
	tTimestamp = 8
	tUUID      = 9
)

// hdr lays out one header: name length, name, type, value bytes.
func hdr(name string, typ byte, value []byte) []byte {
	b := []byte{byte(len(name))}
	b = append(b, name...)
	b = append(b, typ)
	return append(b, value...)
}

// u16v prefixes v with its u16 length, as byte-array and string values are.
func u16v(v []byte) []byte {
	return append(binary.BigEndian.AppendUint16(nil, uint16(len(v))), v...)
}

func hString(name, v string) []byte       { return hdr(name, tString, u16v([]byte(v))) }
func hBytes(name string, v []byte) []byte { return hdr(name, tBytes, u16v(v)) }
func hByte(name string, v int8) []byte    { return hdr(name, tByte, []byte{byte(v)}) }
func hInt16(name string, v int16) []byte {
	return hdr(name, tInt16, binary.BigEndian.AppendUint16(nil, uint16(v)))
}
func hInt32(name string, v int32) []byte {
	return hdr(name, tInt32, binary.BigEndian.AppendUint32(nil, uint32(v)))
}
func hInt64(name string, v int64) []byte {
	return hdr(name, tInt64, binary.BigEndian.AppendUint64(nil, uint64(v)))
}
func hTime(name string, ms int64) []byte {
	return hdr(name, tTimestamp, binary.BigEndian.AppendUint64(nil, uint64(ms)))
}
func hUUID(name string, u [16]byte) []byte { return hdr(name, tUUID, u[:]) }
func hBool(name string, v bool) []byte {
	if v {
		return hdr(name, tBoolTrue, nil)
	}
	return hdr(name, tBoolFalse, nil)
}

func cat(parts ...[]byte) []byte {
	var b []byte
	for _, p := range parts {
		b = append(b, p...)
	}
	return b
}

// prelude returns total_length, headers_length and a correct prelude CRC.
func prelude(total, hlen uint32) []byte {
	b := binary.BigEndian.AppendUint32(nil, total)
	b = binary.BigEndian.AppendUint32(b, hlen)
	return binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(b))
}

// sealed appends the message CRC of b to b.
func sealed(b []byte) []byte {
	return binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(b))
}

// frame lays out a well-formed frame: the prelude with lengths computed from the header block
// and payload, both CRCs correct.
func frame(headers []byte, payload []byte) []byte {
	total := 16 + len(headers) + len(payload)
	return sealed(cat(prelude(uint32(total), uint32(len(headers))), headers, payload))
}

// rawFrame lays out a frame whose prelude declares the lengths given, whatever the block and
// payload really are, with both CRCs correct: the decoder gets past both checksums and must
// find the inconsistency itself.
func rawFrame(total, hlen uint32, body []byte) []byte {
	return sealed(cat(prelude(total, hlen), body))
}

// flip returns a copy of b with bit bit of byte i inverted.
func flip(b []byte, i int, bit uint) []byte {
	c := append([]byte(nil), b...)
	c[i] ^= 1 << bit
	return c
}
