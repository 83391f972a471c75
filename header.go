package eventstream

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"math"
	"math/bits"
	"strconv"
	"time"
	"unicode/utf8"
)

// HeaderType is the type byte of a header value on the wire.
type HeaderType uint8

// The ten header types of the format, by their wire value.
const (
	TypeBoolTrue  HeaderType = 0 // no value bytes
	TypeBoolFalse HeaderType = 1 // no value bytes
	TypeByte      HeaderType = 2 // 1 byte, signed
	TypeInt16     HeaderType = 3 // 2 bytes, signed
	TypeInt32     HeaderType = 4 // 4 bytes, signed
	TypeInt64     HeaderType = 5 // 8 bytes, signed
	TypeBytes     HeaderType = 6 // u16 length, then the bytes
	TypeString    HeaderType = 7 // u16 length, then UTF-8 bytes
	TypeTimestamp HeaderType = 8 // 8 bytes, signed milliseconds since the Unix epoch
	TypeUUID      HeaderType = 9 // 16 bytes
)

// typeInvalid is the type of the zero Value, which cannot be encoded.
const typeInvalid HeaderType = 255

var typeNames = [...]string{
	TypeBoolTrue:  "bool_true",
	TypeBoolFalse: "bool_false",
	TypeByte:      "byte",
	TypeInt16:     "int16",
	TypeInt32:     "int32",
	TypeInt64:     "int64",
	TypeBytes:     "bytes",
	TypeString:    "string",
	TypeTimestamp: "timestamp",
	TypeUUID:      "uuid",
}

// String returns the type's name: "bool_true", "bool_false", "byte", "int16", "int32",
// "int64", "bytes", "string", "timestamp" or "uuid"; "invalid(N)" for other values.
func (t HeaderType) String() string {
	if int(t) < len(typeNames) {
		return typeNames[t]
	}
	return "invalid(" + strconv.Itoa(int(t)) + ")"
}

// valueLen gives the fixed value length of each type; -1 marks the u16-prefixed types.
var valueLen = [...]int{
	TypeBoolTrue: 0, TypeBoolFalse: 0, TypeByte: 1, TypeInt16: 2, TypeInt32: 4,
	TypeInt64: 8, TypeBytes: -1, TypeString: -1, TypeTimestamp: 8, TypeUUID: 16,
}

// Value is a header value: one of the ten types, held without interface boxing. The zero
// Value is invalid and cannot be encoded. Values decoded from a frame may alias the frame's
// storage (see [Frame]); values built with the constructors alias what they were given.
type Value struct {
	s   string // TypeString: the string, when built or interned
	b   []byte // TypeBytes, and TypeString when decoded: the raw value bytes
	num int64  // integers and timestamps; the high half of a UUID
	lo  uint64 // the low half of a UUID
	typ HeaderType
	set bool // false only for the zero Value
}

// BoolValue returns a TypeBoolTrue or TypeBoolFalse value.
func BoolValue(v bool) Value {
	if v {
		return Value{typ: TypeBoolTrue, set: true}
	}
	return Value{typ: TypeBoolFalse, set: true}
}

// ByteValue returns a TypeByte value.
func ByteValue(v int8) Value { return Value{typ: TypeByte, num: int64(v), set: true} }

// Int16Value returns a TypeInt16 value.
func Int16Value(v int16) Value { return Value{typ: TypeInt16, num: int64(v), set: true} }

// Int32Value returns a TypeInt32 value.
func Int32Value(v int32) Value { return Value{typ: TypeInt32, num: int64(v), set: true} }

// Int64Value returns a TypeInt64 value.
func Int64Value(v int64) Value { return Value{typ: TypeInt64, num: v, set: true} }

// BytesValue returns a TypeBytes value. The Value aliases b.
func BytesValue(b []byte) Value {
	if b == nil {
		b = []byte{}
	}
	return Value{typ: TypeBytes, b: b, set: true}
}

// StringValue returns a TypeString value.
func StringValue(s string) Value { return Value{typ: TypeString, s: s, set: true} }

// TimestampValue returns a TypeTimestamp value. The wire carries milliseconds since the Unix
// epoch, so t is truncated to whole milliseconds (towards the past for times before 1970).
func TimestampValue(t time.Time) Value {
	ms := t.UnixMilli()
	if t.Before(time.UnixMilli(ms)) { // UnixMilli truncates towards zero
		ms--
	}
	return Value{typ: TypeTimestamp, num: ms, set: true}
}

// UUIDValue returns a TypeUUID value.
func UUIDValue(u [16]byte) Value {
	return Value{typ: TypeUUID, num: int64(binary.BigEndian.Uint64(u[:8])), lo: binary.BigEndian.Uint64(u[8:]), set: true}
}

// Type returns the value's type. The zero Value reports an invalid type (255).
func (v Value) Type() HeaderType {
	if !v.set {
		return typeInvalid
	}
	return v.typ
}

// Bool reports whether v is TypeBoolTrue.
func (v Value) Bool() bool { return v.set && v.typ == TypeBoolTrue }

// Int64 returns the number held by a TypeByte, TypeInt16, TypeInt32 or TypeInt64 value, the
// milliseconds since the Unix epoch of a TypeTimestamp value, and 0 otherwise.
func (v Value) Int64() int64 {
	switch v.typ {
	case TypeByte, TypeInt16, TypeInt32, TypeInt64, TypeTimestamp:
		return v.num
	}
	return 0
}

// Bytes returns the raw value bytes of a TypeBytes, TypeString or TypeUUID value, and nil
// otherwise. For a decoded TypeBytes or TypeString value it aliases the frame's storage and
// does not allocate; for a UUID, or a string built with [StringValue], it returns a new slice.
func (v Value) Bytes() []byte {
	switch v.typ {
	case TypeBytes:
		return v.b
	case TypeString:
		if v.b != nil {
			return v.b
		}
		return []byte(v.s)
	case TypeUUID:
		u := v.UUID()
		return u[:]
	}
	return nil
}

// String returns the string of a TypeString value and a readable rendering of other types:
// "true"/"false", decimal numbers, standard base64 for byte arrays, RFC 3339 with milliseconds
// (UTC) for timestamps and the canonical 8-4-4-4-12 form for UUIDs.
//
// For a decoded TypeString value whose bytes have repeated in the stream (header values such
// as ":event-type" names do), String returns an interned string and does not allocate.
func (v Value) String() string {
	if !v.set {
		return "<invalid>"
	}
	switch v.typ {
	case TypeString:
		if v.b == nil || v.s != "" {
			return v.s
		}
		return string(v.b)
	case TypeBoolTrue:
		return "true"
	case TypeBoolFalse:
		return "false"
	case TypeByte, TypeInt16, TypeInt32, TypeInt64:
		return strconv.FormatInt(v.num, 10)
	case TypeBytes:
		return base64.StdEncoding.EncodeToString(v.b)
	case TypeTimestamp:
		return v.Time().UTC().Format("2006-01-02T15:04:05.000Z07:00")
	case TypeUUID:
		u := v.UUID()
		var buf [36]byte
		hex.Encode(buf[0:8], u[0:4])
		buf[8] = '-'
		hex.Encode(buf[9:13], u[4:6])
		buf[13] = '-'
		hex.Encode(buf[14:18], u[6:8])
		buf[18] = '-'
		hex.Encode(buf[19:23], u[8:10])
		buf[23] = '-'
		hex.Encode(buf[24:], u[10:])
		return string(buf[:])
	}
	return "<invalid>"
}

// Time returns the time of a TypeTimestamp value (in the local zone, as [time.UnixMilli]
// does), and the zero time otherwise.
func (v Value) Time() time.Time {
	if v.typ != TypeTimestamp || !v.set {
		return time.Time{}
	}
	return time.UnixMilli(v.num)
}

// UUID returns the 16 bytes of a TypeUUID value, and zeros otherwise.
func (v Value) UUID() (u [16]byte) {
	if v.typ == TypeUUID && v.set {
		binary.BigEndian.PutUint64(u[:8], uint64(v.num))
		binary.BigEndian.PutUint64(u[8:], v.lo)
	}
	return u
}

// Equal reports whether v and w have the same type and value. A decoded string equals the
// same string built with [StringValue].
func (v Value) Equal(w Value) bool { return v.equal(&w) }

// equal is Equal without copying the values.
func (v *Value) equal(w *Value) bool {
	if v.set != w.set || v.typ != w.typ {
		return false
	}
	switch v.typ {
	case TypeString:
		switch {
		case v.b != nil && w.b != nil:
			return string(v.b) == string(w.b)
		case v.b != nil:
			return string(v.b) == w.s
		case w.b != nil:
			return v.s == string(w.b)
		}
		return v.s == w.s
	case TypeBytes:
		return string(v.b) == string(w.b)
	}
	return v.num == w.num && v.lo == w.lo
}

// wireLen returns the number of bytes the value takes after its type byte.
func (v *Value) wireLen() int {
	if n := valueLen[v.typ]; n >= 0 {
		return n
	}
	if v.typ == TypeString && v.b == nil {
		return 2 + len(v.s)
	}
	return 2 + len(v.b)
}

// Header is one named header value of a frame.
type Header struct {
	Name  string
	Value Value
}

// putHeader writes h at the start of b, which has room for it, and returns its length. The
// caller has checked the header with checkHeader.
func putHeader(b []byte, h *Header) int {
	b[0] = byte(len(h.Name))
	n := 1 + copy(b[1:], h.Name)
	v := &h.Value
	b[n] = byte(v.typ)
	n++
	switch v.typ {
	case TypeByte:
		b[n] = byte(v.num)
		n++
	case TypeInt16:
		binary.BigEndian.PutUint16(b[n:], uint16(v.num))
		n += 2
	case TypeInt32:
		binary.BigEndian.PutUint32(b[n:], uint32(v.num))
		n += 4
	case TypeInt64, TypeTimestamp:
		binary.BigEndian.PutUint64(b[n:], uint64(v.num))
		n += 8
	case TypeUUID:
		binary.BigEndian.PutUint64(b[n:], uint64(v.num))
		binary.BigEndian.PutUint64(b[n+8:], v.lo)
		n += 16
	case TypeString:
		if v.b == nil {
			binary.BigEndian.PutUint16(b[n:], uint16(len(v.s)))
			n += 2 + copy(b[n+2:], v.s)
			break
		}
		fallthrough
	case TypeBytes:
		binary.BigEndian.PutUint16(b[n:], uint16(len(v.b)))
		n += 2 + copy(b[n+2:], v.b)
	}
	return n
}

// checkHeader reports why h cannot be encoded, or nil. It returns the header's encoded length.
func checkHeader(h *Header) (int, *Error) {
	if len(h.Name) == 0 || len(h.Name) > MaxNameLen {
		return 0, malformed("header name", "%q has length %d, outside 1..%d", truncName(h.Name), len(h.Name), MaxNameLen)
	}
	if !validName(h.Name) {
		return 0, malformed("header name", "%q is not valid UTF-8", h.Name)
	}
	if !h.Value.set {
		return 0, malformed("header value", "of %q is the zero Value", h.Name)
	}
	n := h.Value.wireLen()
	if n-2 > MaxValueLen && valueLen[h.Value.typ] < 0 {
		return 0, tooLarge("header value", "of %q has %d bytes, over the limit of %d", h.Name, n-2, MaxValueLen)
	}
	return 1 + len(h.Name) + 1 + n, nil
}

// validName reports whether s is valid UTF-8, with a fast path for ASCII, which header names
// nearly always are: eight bytes at a time.
func validName(s string) bool {
	t := s
	for len(t) >= 8 {
		x := uint64(t[0]) | uint64(t[1])<<8 | uint64(t[2])<<16 | uint64(t[3])<<24 |
			uint64(t[4])<<32 | uint64(t[5])<<40 | uint64(t[6])<<48 | uint64(t[7])<<56
		if x&0x8080808080808080 != 0 {
			return utf8.ValidString(s)
		}
		t = t[8:]
	}
	for i := 0; i < len(t); i++ {
		if t[i] >= utf8.RuneSelf {
			return utf8.ValidString(s)
		}
	}
	return true
}

func truncName(s string) string {
	if len(s) > 32 {
		return s[:32] + "..."
	}
	return s
}

// interner keeps the header names and repeated string values of a stream as strings, so that
// decoding a stream whose names repeat builds no new strings. It is a fixed-size direct-mapped
// cache: memory stays bounded whatever a hostile stream sends, at the price of an allocation
// when two strings in use collide.
type interner struct {
	// names holds only valid UTF-8 header names; values holds string values, which are not
	// validated, so the two never share a table.
	names  [internSlots]string
	values [internSlots]string
	// seen holds hashes of string values met once; a value is interned the second time it is
	// seen, so values that never repeat (identifiers, say) cost no allocation at all.
	seen [internSlots]uint32
	// recent and recentValues hold the names and string values of the first headers of the
	// previous frame, by index: a stream that repeats its header layout finds them there
	// without hashing. Only validated names enter them.
	recent       [16]string
	recentValues [16]string
	// lastBlock is a copy of a header block parsed without error (up to maxRecentBlock bytes
	// and len(last) headers): the last one, or while blocks keep changing a recent one (see
	// keep). last holds its lastN headers with values pointing into lastBlock, and lastOff the
	// offsets of their byte and string values in the block. A frame with the same block reuses
	// them instead of parsing again. lastUTF8 records whether string values were UTF-8
	// validated.
	lastBlock []byte
	last      [16]Header
	lastOff   [16]int
	lastN     int
	lastUTF8  bool
	// layout holds the names and types of the last header block parsed without error, when it
	// had at most len(layout) headers (layoutN of them; 0 when there is none). A block with
	// the same names and types needs only its values parsed.
	layout        [16]layoutEntry
	layoutN       int
	layoutStrings bool // whether the layout has string values
	// offs holds the offsets in its block of the byte and string values of the block being
	// parsed; keep copies them to lastOff. misses counts the blocks parsed since the last
	// one that repeated.
	offs   [16]int
	misses uint
	// seenNames is reused for duplicate detection in frames with many headers.
	seenNames map[string]struct{}
}

const internSlots = 512

// A layoutEntry is the name and type of one header of a layout, with words of their
// encoding (name length, name, type byte), so that a header up to 24 bytes long (a name up to
// 22) matches with three masked loads, and what parseValues needs to read its value without a
// switch on types.
type layoutEntry struct {
	name  string
	typ   HeaderType
	bytes bool  // byte arrays and strings: a u16 length, then the bytes
	shift uint8 // numbers: 64 - 8 * the value's length, to sign-extend a big-endian word
	n     int   // the encoding's length: 2 + len(name)
	step  int   // n plus the value's length, for fixed-length types
	reach int   // bytes parseValues loads from the header's start (math.MaxInt: none)
	// hiMask and loMask keep the bits of the first and second value words that a fixed-length
	// type has: none for the bools, the first for numbers, both for UUIDs.
	hiMask int64
	loMask uint64
	w, m   [3]uint64 // the encoding's first 24 bytes, little-endian, and which bytes count
}

func (e *layoutEntry) set(name string, typ HeaderType) {
	e.name, e.typ, e.n = name, typ, 2+len(name)
	e.w, e.m = [3]uint64{}, [3]uint64{}
	for j := range min(24, e.n) {
		var c byte
		switch {
		case j == 0:
			c = byte(len(name))
		case j <= len(name):
			c = name[j-1]
		default:
			c = byte(typ)
		}
		e.w[j/8] |= uint64(c) << (8 * (j % 8))
		e.m[j/8] |= 0xff << (8 * (j % 8))
	}
	vlen := valueLen[typ]
	e.bytes, e.shift, e.hiMask, e.loMask = false, 0, 0, 0
	switch {
	case typ == TypeUUID:
		e.hiMask, e.loMask = -1, ^uint64(0)
	case vlen < 0:
		e.bytes, vlen = true, 0
	case vlen > 0:
		e.shift, e.hiMask = uint8(64-8*vlen), -1
	}
	e.step = e.n + vlen
	e.reach = math.MaxInt
	if e.n <= 24 {
		e.reach = max(24, e.n+16)
	}
}

// match reports whether w starts with e's encoding, which is no longer.
func (e *layoutEntry) match(w *[24]byte) bool {
	return (binary.LittleEndian.Uint64(w[0:])^e.w[0])&e.m[0]|
		(binary.LittleEndian.Uint64(w[8:])^e.w[1])&e.m[1]|
		(binary.LittleEndian.Uint64(w[16:])^e.w[2])&e.m[2] == 0
}

// at reports whether block holds e's name and type at off.
func (e *layoutEntry) at(block []byte, off int) bool {
	if e.n <= 24 && off <= len(block)-24 {
		return e.match((*[24]byte)(block[off:]))
	}
	p := off + e.n - 1 // the type byte
	return p < len(block) && block[off] == byte(len(e.name)) && HeaderType(block[p]) == e.typ && string(block[off+1:p]) == e.name
}

// maxRecentBlock bounds the header block an interner keeps a copy of.
const maxRecentBlock = 512

// hashBytes hashes the length and the first and last 8 bytes of b: enough to tell header
// names and values apart, cheaper than hashing every byte. Collisions only cost an allocation.
func hashBytes(b []byte) uint32 {
	n := len(b)
	var x uint64
	switch {
	case n >= 8:
		x = binary.LittleEndian.Uint64(b) ^ bits.RotateLeft64(binary.LittleEndian.Uint64(b[n-8:]), 29)
	case n >= 4:
		x = uint64(binary.LittleEndian.Uint32(b))<<32 | uint64(binary.LittleEndian.Uint32(b[n-4:]))
	case n > 0:
		x = uint64(b[0])<<16 | uint64(b[n/2])<<8 | uint64(b[n-1])
	}
	x = (x ^ uint64(n)<<56) * 0x9e3779b97f4a7c15
	return uint32(x >> 32)
}

// name returns b as an interned string and reports whether it is valid UTF-8.
func (t *interner) name(b []byte) (string, bool) {
	h := hashBytes(b)
	slot := &t.names[h%internSlots]
	if *slot == string(b) {
		return *slot, true
	}
	if !utf8.Valid(b) {
		return "", false
	}
	*slot = string(b)
	return *slot, true
}

// value returns b as an interned string if it has been seen before, and "" otherwise.
func (t *interner) value(b []byte) string {
	if len(b) == 0 || len(b) > 256 {
		return ""
	}
	h := hashBytes(b)
	i := h % internSlots
	if t.values[i] == string(b) {
		return t.values[i]
	}
	if t.seen[i] == h {
		t.values[i] = string(b)
		return t.values[i]
	}
	t.seen[i] = h
	return ""
}
