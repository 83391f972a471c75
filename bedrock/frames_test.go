package bedrock

import (
	"encoding/base64"
	"encoding/binary"
	"hash/crc32"
)

// Helpers that build frames byte by byte, independently of the eventstream encoder, the way
// the service lays them out.

type hdr struct {
	name string
	typ  byte // 7 string, 6 bytes, 4 int32
	val  string
}

func str(name, val string) hdr { return hdr{name, 7, val} }

// rawFrame lays out one frame: prelude, prelude CRC, headers, payload, message CRC.
func rawFrame(hs []hdr, payload string) []byte {
	var block []byte
	for _, h := range hs {
		block = append(block, byte(len(h.name)))
		block = append(block, h.name...)
		block = append(block, h.typ)
		switch h.typ {
		case 6, 7:
			block = binary.BigEndian.AppendUint16(block, uint16(len(h.val)))
			block = append(block, h.val...)
		case 4:
			block = append(block, h.val...) // 4 raw bytes
		}
	}
	total := 12 + len(block) + len(payload) + 4
	b := binary.BigEndian.AppendUint32(nil, uint32(total))
	b = binary.BigEndian.AppendUint32(b, uint32(len(block)))
	b = binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(b))
	b = append(b, block...)
	b = append(b, payload...)
	return binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(b))
}

// serviceChunk is a chunk frame as the service sends it.
func serviceChunk(modelJSON, pad string) []byte {
	return rawFrame([]hdr{
		str(":event-type", "chunk"),
		str(":content-type", "application/json"),
		str(":message-type", "event"),
	}, `{"bytes":"`+base64.StdEncoding.EncodeToString([]byte(modelJSON))+`","p":"`+pad+`"}`)
}

// serviceEvent is a ConverseStream event frame as the service sends it.
func serviceEvent(eventType, json string) []byte {
	return rawFrame([]hdr{
		str(":event-type", eventType),
		str(":content-type", "application/json"),
		str(":message-type", "event"),
	}, json)
}

// serviceException is an exception frame as the service sends it.
func serviceException(typ, json string) []byte {
	return rawFrame([]hdr{
		str(":exception-type", typ),
		str(":content-type", "application/json"),
		str(":message-type", "exception"),
	}, json)
}

func cat(frames ...[]byte) []byte {
	var b []byte
	for _, f := range frames {
		b = append(b, f...)
	}
	return b
}
