package eventstream

import (
	"encoding/binary"
	"hash/crc32"
)

// rawFrame builds a frame field by field with the standard library's CRC, independently of the
// encoder, so tests can check the encoder against it and build frames the encoder refuses.
func rawFrame(headers, payload string) []byte {
	total := 16 + len(headers) + len(payload)
	return rawFrameLens(uint32(total), uint32(len(headers)), headers+payload)
}

// rawFrameLens builds a frame with the given prelude lengths and body, both CRCs valid.
func rawFrameLens(total, hlen uint32, body string) []byte {
	b := binary.BigEndian.AppendUint32(nil, total)
	b = binary.BigEndian.AppendUint32(b, hlen)
	b = binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(b))
	b = append(b, body...)
	return binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(b))
}

// hdr encodes one header on the wire: name length, name, type, value bytes.
func hdr(name string, typ byte, value string) string {
	return string([]byte{byte(len(name))}) + name + string([]byte{typ}) + value
}

// str encodes a u16-length-prefixed value.
func str(s string) string {
	return string(binary.BigEndian.AppendUint16(nil, uint16(len(s)))) + s
}
