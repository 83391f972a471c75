package eventstream

import (
	"bytes"
	"encoding"
	"encoding/binary"
	"io"
	"slices"
	"sync"
	"unicode/utf8"
)

// Limits of the format and the defaults of a [Decoder].
const (
	// DefaultMaxFrameLen is the default limit on total_length: the specification's largest
	// payload (24 MiB) and header block (128 KiB) plus the 16 bytes of framing.
	DefaultMaxFrameLen = 24<<20 + 128<<10 + minFrameLen
	// DefaultMaxHeaderBlockLen is the default limit on headers_length.
	DefaultMaxHeaderBlockLen = 128 << 10
	// DefaultMaxHeaders is the default limit on the number of headers in one frame.
	DefaultMaxHeaders = 1024
	// MaxNameLen is the longest header name the format can carry.
	MaxNameLen = 255
	// MaxValueLen is the longest string or byte-array value the encoder writes, as the
	// specification requires. Decoders accept up to 65,535 bytes, all the u16 length allows.
	MaxValueLen = 32767
)

var (
	_ encoding.BinaryAppender    = (*Frame)(nil)
	_ encoding.BinaryMarshaler   = (*Frame)(nil)
	_ encoding.BinaryUnmarshaler = (*Frame)(nil)
)

// Frame is one frame: its headers, in wire order, and its payload.
//
// Decoding into a Frame reuses its storage: Headers and Payload of a decoded frame, and the
// byte and string values of its headers, stay valid until that same Frame is decoded into
// again. [DecodeFrame] makes them alias the bytes it was given instead. Header names are
// ordinary (interned) strings and stay valid for ever. Use [Frame.Clone] to keep a frame.
//
// A Frame built by hand for encoding may hold any headers; [Frame.AppendBinary] checks them.
// Decoding into such a Frame overwrites the backing array of its Headers slice.
type Frame struct {
	Headers []Header
	Payload []byte

	buf    []byte    // storage owned by the Frame, for frames read by a Decoder or unmarshaled
	intern *interner // header names and repeated values met in this Frame's stream
}

// reset empties f before a decode, so that no failed decode leaves a frame behind.
func (f *Frame) reset() {
	f.Headers = f.Headers[:0]
	f.Payload = nil
}

// Header returns the value of the header called name, and whether there is one. It does not
// allocate.
func (f *Frame) Header(name string) (Value, bool) {
	for i := range f.Headers {
		if f.Headers[i].Name == name {
			return f.Headers[i].Value, true
		}
	}
	return Value{}, false
}

// EncodedLen returns the number of bytes f takes on the wire.
func (f *Frame) EncodedLen() int {
	n := minFrameLen + len(f.Payload)
	for i := range f.Headers {
		h := &f.Headers[i]
		n += 2 + len(h.Name)
		if h.Value.set {
			n += h.Value.wireLen()
		}
	}
	return n
}

// AppendBinary appends the encoded frame to b and returns the extended slice. It implements
// [encoding.BinaryAppender].
//
// It refuses, with an [*Error] and b returned unchanged, any frame a decoder with default
// limits would reject: an empty, over-long, invalid UTF-8 or duplicate name, a zero [Value],
// a string or byte-array value over [MaxValueLen], more than [DefaultMaxHeaders] headers, or a
// header block or frame over the default limits. When b has room for [Frame.EncodedLen] more
// bytes it does not allocate.
func (f *Frame) AppendBinary(b []byte) ([]byte, error) {
	hlen, err := checkHeaders(f.Headers)
	if err != nil {
		return b, err
	}
	return appendFrame(b, f.Headers, nil, hlen, f.Payload)
}

// checkHeaders reports why hs cannot be encoded, or returns the length of its header block.
func checkHeaders(hs []Header) (int, error) {
	if len(hs) > DefaultMaxHeaders {
		return 0, malformed("header count", "%d is over the limit of %d", len(hs), DefaultMaxHeaders)
	}
	hlen := 0
	for i := range hs {
		n, err := checkHeader(&hs[i])
		if err != nil {
			return 0, err
		}
		hlen += n
	}
	if err := checkDuplicates(hs, nil); err != nil {
		return 0, err
	}
	if hlen > DefaultMaxHeaderBlockLen {
		return 0, tooLarge("headers_length", "%d is over the limit of %d", hlen, DefaultMaxHeaderBlockLen)
	}
	return hlen, nil
}

// appendFrame appends a frame with checked headers hs, whose block is hlen bytes long, and the
// payload. If block is not nil it is the encoded header block, copied instead of encoding hs.
func appendFrame(b []byte, hs []Header, block []byte, hlen int, payload []byte) ([]byte, error) {
	total := minFrameLen + hlen + len(payload)
	if total > DefaultMaxFrameLen {
		return b, tooLarge("total_length", "%d is over the limit of %d", total, DefaultMaxFrameLen)
	}
	start := len(b)
	b = slices.Grow(b, total)[:start+total]
	out := b[start:]
	if block != nil {
		copy(out[preludeLen:], block)
	} else {
		p := preludeLen
		for i := range hs {
			p += putHeader(out[p:], &hs[i])
		}
	}
	finishFrame(out, hlen, payload)
	return b, nil
}

// finishFrame completes frame out, which has the length of a frame with an hlen-byte header
// block and the payload, and its header block in place: it writes the prelude, copies the
// payload and writes the message CRC.
func finishFrame(out []byte, hlen int, payload []byte) {
	total := len(out)
	binary.BigEndian.PutUint32(out[0:], uint32(total))
	binary.BigEndian.PutUint32(out[4:], uint32(hlen))
	pcrc := crcPreludeWords(uint32(total), uint32(hlen))
	binary.BigEndian.PutUint32(out[8:], pcrc)
	p := preludeLen + hlen
	end := total - crcLen
	var crc uint32
	if len(payload) <= largeChunk {
		copy(out[p:end], payload)
		crc = crcUpdate(pcrc, out[8:end])
	} else {
		// Copy and checksum a large payload piece by piece, while each piece is in cache.
		crc = crcUpdate(pcrc, out[8:p])
		for q := payload; len(q) > 0; {
			n := copy(out[p:p+min(len(q), largeChunk)], q)
			crc = crcUpdate(crc, out[p:p+n])
			p += n
			q = q[n:]
		}
	}
	binary.BigEndian.PutUint32(out[end:], crc)
}

// MarshalBinary returns the encoded frame in a new slice. It implements
// [encoding.BinaryMarshaler] and fails as [Frame.AppendBinary] does.
func (f *Frame) MarshalBinary() ([]byte, error) {
	b, err := f.AppendBinary(make([]byte, 0, f.EncodedLen()))
	if err != nil {
		return nil, err
	}
	return b, nil
}

// UnmarshalBinary decodes b, which must hold exactly one frame, with default limits. It
// implements [encoding.BinaryUnmarshaler]. It copies b into f's own storage, so b may be
// reused afterwards. A b shorter than its frame gives [io.ErrUnexpectedEOF]; bytes after the
// frame give an error matching [ErrMalformed].
func (f *Frame) UnmarshalBinary(b []byte) error {
	f.buf = append(f.buf[:0], b...)
	n, err := DecodeFrame(f.buf, f)
	if err != nil {
		return err
	}
	if n != len(b) {
		f.reset()
		return malformed("total_length", "%d leaves %d bytes after the frame", n, len(b)-n)
	}
	return nil
}

// Clone returns a deep copy of f that shares no storage with it.
func (f *Frame) Clone() *Frame {
	c := &Frame{Payload: bytes.Clone(f.Payload)}
	if f.Headers != nil {
		c.Headers = make([]Header, len(f.Headers))
		for i, h := range f.Headers {
			if h.Value.b != nil {
				h.Value.b = bytes.Clone(h.Value.b)
			}
			c.Headers[i] = h
		}
	}
	return c
}

// DecodeFrame decodes the first frame in b into f, with default limits, and returns the
// number of bytes it took. It does not copy: f's Headers values and Payload alias b, and stay
// valid as long as b does (and until f is decoded into again).
//
// If b holds less than a whole frame, DecodeFrame returns [io.ErrUnexpectedEOF] (after
// checking the prelude when b holds at least its 12 bytes). Other failures are [*Error]
// values. Once the frame's header names have been seen by f, it does not allocate.
func DecodeFrame(b []byte, f *Frame) (n int, err error) {
	f.reset()
	if len(b) < preludeLen {
		return 0, io.ErrUnexpectedEOF
	}
	total, hlen, pcrc, perr := readPrelude(b, &defaultLimits)
	if perr != nil {
		return 0, perr
	}
	if len(b) < total {
		return 0, io.ErrUnexpectedEOF
	}
	if perr := f.finish(b[:total:total], hlen, pcrc, &defaultLimits); perr != nil {
		return 0, perr
	}
	return total, nil
}

// finish verifies the message CRC of a whole frame and then, and only then, parses it into f.
func (f *Frame) finish(frame []byte, hlen int, pcrc uint32, lim *limits) *Error {
	if err := checkMessageCRC(frame, pcrc); err != nil {
		return err
	}
	return f.parse(frame, hlen, lim, true)
}

// parse fills f from a whole frame whose checksums have been verified. On error f is empty.
// mayRepeat is false when the caller has found that the header block does not repeat the
// last one parsed, so that it is not compared again.
func (f *Frame) parse(frame []byte, hlen int, lim *limits, mayRepeat bool) *Error {
	first := f.intern.layoutFirst(hlen, lim, mayRepeat)
	if first && f.parseValues(frame, hlen, lim) {
		return nil
	}
	return f.parseBlock(frame, hlen, lim, mayRepeat && !first, !first)
}

// layoutFirst reports whether a header block hlen bytes long should go to parseValues before
// anything else: when there is a layout, and a repeat of the last block is not worth looking
// for (see kept). This is the common case of streams whose header values change.
func (t *interner) layoutFirst(hlen int, lim *limits, mayRepeat bool) bool {
	return t != nil && hlen > 0 && t.layoutN > 0 && t.layoutN <= lim.maxHeaders &&
		!(mayRepeat && t.lastN > 0 && t.kept())
}

// parseBlock is parse for the other cases: a header block that may repeat the last one, that
// may have the last layout if tryLayout is set, or that needs parsing in full.
func (f *Frame) parseBlock(frame []byte, hlen int, lim *limits, mayRepeat, tryLayout bool) *Error {
	end := preludeLen + hlen
	payload := frame[end : len(frame)-crcLen : len(frame)-crcLen]
	if hlen > 0 {
		t := f.intern
		if t == nil {
			t = new(interner)
			f.intern = t
		}
		block := frame[preludeLen:end:end]
		switch {
		case mayRepeat && t.repeats(block, lim):
			f.reuseHeaders(block)
		case tryLayout && t.layoutN > 0 && t.layoutN <= lim.maxHeaders && f.parseValues(frame, hlen, lim):
			return nil
		default:
			if err := f.parseHeaderBlock(block, lim); err != nil {
				f.reset()
				return err
			}
		}
	} else {
		f.Headers = f.Headers[:0]
	}
	f.Payload = payload
	return nil
}

// parseValues parses the header block of frame, hlen bytes long, whose names and types are
// those of the last block parsed without error (the layout), as in most streams even when the
// values change with every frame, and fills f. The names were validated and checked for
// duplicates then, so only the values are read. It reports false, with f.Headers (but not the
// elements of its array, which it may have overwritten) and f.Payload unchanged, as soon as
// the block departs from the layout or a value does not fit, leaving the block to
// parseHeaderBlock.
//
// A header with room enough after it in the frame (its entry's reach: the payload and the
// message CRC count) is read with a fixed number of loads: three masked words for its name and
// type, one or two for its value. The bytes these loads take beyond the header are masked away
// or not used, and a header that runs past the block shows at the end, as an offset past hlen.
func (f *Frame) parseValues(frame []byte, hlen int, lim *limits) bool {
	win := frame[preludeLen:]
	t := f.intern
	layout := t.layout[:t.layoutN]
	offs := t.offs[:len(layout)]
	hs := f.Headers
	if cap(hs) < len(layout) {
		hs = make([]Header, len(layout))
	}
	hs = hs[:len(layout)]
	block := win[:hlen:hlen]
	off, i := 0, 0
	// Headers with room after them: no calls, so that the loop keeps its state in registers.
	for ; i < len(layout); i++ {
		e := &layout[i]
		if e.reach > len(win)-off {
			break
		}
		if !e.match((*[24]byte)(win[off : off+24])) {
			return false
		}
		h := &hs[i]
		h.Name = e.name
		h.Value.s = ""
		h.Value.typ, h.Value.set = e.typ, true
		v := (*[16]byte)(win[off+e.n : off+e.n+16])
		if e.bytes {
			l := int(binary.BigEndian.Uint16(v[:]))
			off += e.n + 2
			if off+l > hlen {
				return false
			}
			offs[i] = off
			h.Value.b = block[off : off+l : off+l]
			h.Value.num, h.Value.lo = 0, 0
			off += l
			continue
		}
		h.Value.b = nil
		h.Value.num = int64(binary.BigEndian.Uint64(v[:])) >> (e.shift & 63) & e.hiMask
		h.Value.lo = binary.BigEndian.Uint64(v[8:]) & e.loMask
		off += e.step
	}
	// Headers near the end of the frame, and names too long for three words.
	for ; i < len(layout); i++ {
		e := &layout[i]
		num, lo, b, next, ok := e.read(block, off)
		if !ok {
			return false
		}
		offs[i] = next - len(b)
		off = next
		hs[i].setValue(e, b, num, lo)
	}
	if off != len(block) {
		return false
	}
	if t.layoutStrings {
		for i := range layout {
			if v := &hs[i].Value; v.typ == TypeString {
				if lim.utf8 && !utf8.Valid(v.b) {
					return false
				}
				v.s = t.stringValue(i, v.b)
			}
		}
	}
	f.Headers = hs
	f.Payload = win[hlen : len(win)-crcLen : len(win)-crcLen]
	t.keep(hs, block, lim)
	return true
}

// setValue sets h to the header of layout entry e with value bytes b or number num, lo; the
// string of a string value is left empty.
func (h *Header) setValue(e *layoutEntry, b []byte, num, lo uint64) {
	// Field by field: a Value built whole and then copied is read back in wide loads that
	// stall on its narrow type stores.
	h.Name = e.name
	h.Value.s, h.Value.b, h.Value.num, h.Value.lo = "", b, int64(num), lo
	h.Value.typ, h.Value.set = e.typ, true
}

// read reads the header at off in block, which has e's name and type, as parseValues does but
// checking each read against the block's end: for headers near the end of the frame, and
// names too long for the fast path. It returns the value and the offset of the next header.
func (e *layoutEntry) read(block []byte, off int) (num, lo uint64, b []byte, next int, ok bool) {
	if !e.at(block, off) {
		return 0, 0, nil, 0, false
	}
	off += e.n
	if e.bytes {
		if off+2 > len(block) {
			return 0, 0, nil, 0, false
		}
		l := int(binary.BigEndian.Uint16(block[off:]))
		off += 2
		if off+l > len(block) {
			return 0, 0, nil, 0, false
		}
		return 0, 0, block[off : off+l : off+l], off + l, true
	}
	next = off + e.step - e.n
	if next > len(block) {
		return 0, 0, nil, 0, false
	}
	switch v := block[off:next]; len(v) {
	case 1:
		num = uint64(int8(v[0]))
	case 2:
		num = uint64(int16(binary.BigEndian.Uint16(v)))
	case 4:
		num = uint64(int32(binary.BigEndian.Uint32(v)))
	case 8:
		num = binary.BigEndian.Uint64(v)
	case 16:
		num = binary.BigEndian.Uint64(v)
		lo = binary.BigEndian.Uint64(v[8:])
	}
	return num, lo, nil, next, true
}

// stringValue returns the interned string of the string value b of header i, or "" when the
// interner has not taken it (yet).
func (t *interner) stringValue(i int, b []byte) string {
	if i < len(t.recentValues) && t.recentValues[i] == string(b) {
		return t.recentValues[i]
	}
	s := t.value(b)
	if s != "" && i < len(t.recentValues) {
		t.recentValues[i] = s
	}
	return s
}

// repeats reports whether block is the last header block parsed without error, under limits
// that accept it.
func (t *interner) repeats(block []byte, lim *limits) bool {
	return t.lastN > 0 && t.kept() && string(block) == string(t.lastBlock) && t.lastN <= lim.maxHeaders && (t.lastUTF8 || !lim.utf8)
}

// reuseHeaders fills f with the headers of the last header block parsed, which equals block
// (as in a stream of Bedrock chunks). Byte and string values point into block, or, if block is
// nil, into the interner's copy of it.
func (f *Frame) reuseHeaders(block []byte) {
	t := f.intern
	t.misses = 0
	n := t.lastN
	hs := f.Headers
	if cap(hs) < n {
		hs = make([]Header, n, len(t.last))
	}
	hs = hs[:n]
	for i := range hs {
		h, l := &hs[i], &t.last[i]
		*h = *l
		// What follows reads l, not the h just written: loads of parts of a wide store wait
		// for it to complete.
		if b := l.Value.b; b != nil {
			if block != nil {
				off := t.lastOff[i]
				b = block[off : off+len(b) : off+len(b)]
				h.Value.b = b
			}
			if l.Value.typ == TypeString && l.Value.s == "" {
				// Seen again: intern the value now, if the interner takes it.
				l.Value.s = t.value(b)
				h.Value.s = l.Value.s
			}
		}
	}
	f.Headers = hs
}

// parseHeaderBlock parses a header block, checking every rule of the format.
func (f *Frame) parseHeaderBlock(block []byte, lim *limits) *Error {
	t := f.intern
	whole := block
	hs := f.Headers[:0]
	ok := false
	for len(block) > 0 {
		i := len(hs)
		if i == lim.maxHeaders {
			f.Headers = hs
			return malformed("header count", "over the limit of %d", lim.maxHeaders)
		}
		nl := int(block[0])
		if nl == 0 {
			return malformed("header name", "of header %d is empty", i)
		}
		if 2+nl > len(block) {
			return malformed("header name", "of header %d (%d bytes) and its type run past the header block", i, nl)
		}
		// Streams repeat their header layout frame after frame, so the name at the same index
		// in the previous frame is the first guess; the interner is the second.
		nb := block[1 : 1+nl]
		var name string
		if i < len(t.recent) && t.recent[i] == string(nb) {
			name = t.recent[i]
		} else if name, ok = t.name(nb); !ok {
			return malformed("header name", "%q of header %d is not valid UTF-8", nb, i)
		} else if i < len(t.recent) {
			t.recent[i] = name
		}
		typ := HeaderType(block[1+nl])
		block = block[2+nl:]
		if typ > TypeUUID {
			return malformed("header type", "%d of header %d (%q) is unknown", byte(typ), i, name)
		}
		v := Value{typ: typ, set: true}
		if n := valueLen[typ]; n >= 0 {
			if len(block) < n {
				return malformed("header value", "of header %d (%q, %s) runs past the header block", i, name, typ)
			}
			switch typ {
			case TypeByte:
				v.num = int64(int8(block[0]))
			case TypeInt16:
				v.num = int64(int16(binary.BigEndian.Uint16(block)))
			case TypeInt32:
				v.num = int64(int32(binary.BigEndian.Uint32(block)))
			case TypeInt64, TypeTimestamp:
				v.num = int64(binary.BigEndian.Uint64(block))
			case TypeUUID:
				v.num = int64(binary.BigEndian.Uint64(block))
				v.lo = binary.BigEndian.Uint64(block[8:])
			}
			block = block[n:]
		} else {
			if len(block) < 2 {
				return malformed("header value", "length of header %d (%q, %s) runs past the header block", i, name, typ)
			}
			l := int(binary.BigEndian.Uint16(block))
			if 2+l > len(block) {
				return malformed("header value", "of header %d (%q, %s, %d bytes) runs past the header block", i, name, typ, l)
			}
			v.b = block[2 : 2+l : 2+l]
			if i < len(t.offs) {
				t.offs[i] = len(whole) - len(block) + 2
			}
			if typ == TypeString {
				if lim.utf8 && !utf8.Valid(v.b) {
					return malformed("header value", "of header %d (%q) is not valid UTF-8", i, name)
				}
				v.s = t.stringValue(i, v.b)
			}
			block = block[2+l:]
		}
		if i < cap(hs) {
			hs = hs[:i+1]
			hs[i].Name = name
			hs[i].Value = v
		} else {
			hs = append(hs, Header{Name: name, Value: v})
		}
	}
	f.Headers = hs
	if err := checkDuplicates(hs, t); err != nil {
		return err
	}
	t.layoutN, t.layoutStrings = 0, false
	if len(hs) <= len(t.layout) {
		for i := range hs {
			t.layout[i].set(hs[i].Name, hs[i].Value.typ)
			t.layoutStrings = t.layoutStrings || hs[i].Value.typ == TypeString
		}
		t.layoutN = len(hs)
	}
	t.keep(hs, whole, lim)
	return nil
}

// kept reports whether keep recorded the last block parsed that did not repeat the one
// before. Only then is a repeat worth looking for.
func (t *interner) kept() bool { return t.misses <= 2 || t.misses%keepEvery == 0 }

// keepEvery is how often keep records a block while blocks keep changing.
const keepEvery = 64

// keep records hs, parsed without error from block, as the last header block, for a next
// frame that repeats it. The offsets of byte and string values are in t.offs. While blocks
// keep changing it records only one in keepEvery: the copies, and the comparisons with the
// next block, would cost more than the rare repeat they catch, and reusing an older block is
// as correct as reusing the last one.
func (t *interner) keep(hs []Header, block []byte, lim *limits) {
	t.misses++
	if t.misses <= 2 || t.misses%keepEvery == 0 { // t.kept(), spelled out so that keep inlines
		t.keepBlock(hs, block, lim)
	}
}

// keepBlock is keep's copy, out of line so that keep inlines.
func (t *interner) keepBlock(hs []Header, block []byte, lim *limits) {
	t.lastN = 0
	if len(hs) > len(t.last) || len(block) > maxRecentBlock {
		return
	}
	t.lastBlock = append(t.lastBlock[:0], block...)
	for i, h := range hs {
		if h.Value.b != nil {
			off := t.offs[i]
			t.lastOff[i] = off
			h.Value.b = t.lastBlock[off : off+len(h.Value.b) : off+len(h.Value.b)]
		}
		t.last[i] = h
	}
	t.lastN = len(hs)
	t.lastUTF8 = lim.utf8
}

// checkDuplicates reports a name that appears twice. The specification allows a name once per
// frame; components that keep the first or the last of two duplicates would otherwise read
// different frames from the same bytes. Large header lists use a map (reused from t when
// there is one) so that a hostile frame cannot make the check quadratic.
func checkDuplicates(hs []Header, t *interner) *Error {
	if len(hs) <= 32 {
		for i := 1; i < len(hs); i++ {
			for j := range i {
				if hs[i].Name == hs[j].Name {
					return malformed("header name", "%q of header %d repeats header %d", hs[i].Name, i, j)
				}
			}
		}
		return nil
	}
	var seen map[string]struct{}
	if t != nil {
		if t.seenNames == nil {
			t.seenNames = make(map[string]struct{}, len(hs))
		}
		seen = t.seenNames
		clear(seen)
	} else {
		seen = make(map[string]struct{}, len(hs))
	}
	for i := range hs {
		if _, dup := seen[hs[i].Name]; dup {
			return malformed("header name", "%q of header %d repeats an earlier header", hs[i].Name, i)
		}
		seen[hs[i].Name] = struct{}{}
	}
	return nil
}

// ScanFrames is a [bufio.SplitFunc] that splits a stream into whole frames. Each token is one
// encoded frame that [DecodeFrame] accepts, with default limits: the same checks run, in the
// same order, and a bad frame stops the scan with the same error. A stream that ends inside a
// frame fails with [io.ErrUnexpectedEOF].
//
// [bufio.Scanner] refuses tokens larger than its buffer (64 KiB by default); call its Buffer
// method with a maximum of [DefaultMaxFrameLen] to accept every frame the format allows.
func ScanFrames(data []byte, atEOF bool) (advance int, token []byte, err error) {
	if len(data) < preludeLen {
		if atEOF && len(data) > 0 {
			return 0, nil, io.ErrUnexpectedEOF
		}
		return 0, nil, nil
	}
	total, _, _, perr := readPrelude(data, &defaultLimits)
	if perr != nil {
		return 0, nil, perr
	}
	if len(data) < total {
		if atEOF {
			return 0, nil, io.ErrUnexpectedEOF
		}
		return 0, nil, nil
	}
	f := scratchFrames.Get().(*Frame)
	_, err = DecodeFrame(data[:total], f)
	f.reset()
	scratchFrames.Put(f)
	if err != nil {
		return 0, nil, err
	}
	return total, data[:total:total], nil
}

// scratchFrames hold the frames ScanFrames parses tokens into, with their interned names.
var scratchFrames = sync.Pool{New: func() any { return new(Frame) }}
