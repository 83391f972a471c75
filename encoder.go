package eventstream

import (
	"encoding/binary"
	"io"
	"slices"
)

// An Encoder writes frames to a stream.
type Encoder struct {
	w   io.Writer
	buf []byte

	// last holds the headers of a recent frame, block their encoded block (nil when there is
	// none) and slots where each header lies in block. Their names are those of the last
	// frame encoded, and were checked. A frame whose values are equal too reuses the block;
	// a frame with the same names needs only its values checked, and its block is the cached
	// one with the values written over the old ones, up to the first header whose type or
	// value length differs. Names and string values are the caller's (immutable) strings;
	// byte values point into block, never into the caller's memory. While header values keep
	// changing only one frame in 16 is copied here (misses counts those frames): a frame that
	// repeats an older frame's headers reuses that frame's block as correctly.
	last   []Header
	block  []byte
	slots  []slot
	misses int
}

// A slot says where one header lies in the cached block: it starts at start, and its value
// has n bytes at off (after its u16 length for byte arrays and strings).
type slot struct {
	start, off, n int
}

// maxCachedHeaders bounds the header list an Encoder keeps for reuse.
const maxCachedHeaders = 16

// NewEncoder returns an Encoder that writes to w.
func NewEncoder(w io.Writer) *Encoder {
	return &Encoder{w: w}
}

// Reset makes e write to w, keeping its buffer.
func (e *Encoder) Reset(w io.Writer) { e.w = w }

// Encode writes f to the stream with exactly one Write call. A frame that
// [Frame.AppendBinary] refuses writes nothing. A Write that accepts fewer bytes than the frame
// without an error gives [io.ErrShortWrite]. Once its buffer has grown to the frames of a
// stream, Encode does not allocate; the buffer is reused, so Write must not retain it.
func (e *Encoder) Encode(f *Frame) error {
	var b []byte
	var err error
	if e.block != nil && e.fresh() && sameHeaders(f.Headers, e.last) {
		e.misses = 0
		b, err = appendFrame(e.buf[:0], nil, e.block, len(e.block), f.Payload)
	} else if b = e.appendValues(f.Headers, f.Payload); b != nil {
		if e.misses++; e.fresh() {
			e.remember(f.Headers, b[preludeLen:len(b)-crcLen-len(f.Payload)])
		}
	} else {
		var hlen int
		if hlen, err = checkHeaders(f.Headers); err == nil {
			b, err = appendFrame(e.buf[:0], f.Headers, nil, hlen, f.Payload)
		}
		if err == nil {
			e.misses = 0
			e.remember(f.Headers, b[preludeLen:preludeLen+hlen])
		}
	}
	if err != nil {
		return err
	}
	e.buf = b
	n, err := e.w.Write(b)
	if err == nil && n != len(b) {
		err = io.ErrShortWrite
	}
	return err
}

// fresh reports whether the cached headers are those of the last frame encoded, or of the
// frame before a run of frames that repeated it. Only then is a repeat worth looking for.
func (e *Encoder) fresh() bool { return e.misses <= 2 || e.misses%16 == 0 }

// sameHeaders reports whether hs equals the cached list, name by name and value by value.
func sameHeaders(hs, last []Header) bool {
	if len(hs) != len(last) {
		return false
	}
	for i := range hs {
		if hs[i].Name != last[i].Name || !hs[i].Value.equal(&last[i].Value) {
			return false
		}
	}
	return true
}

// appendValues encodes a frame whose headers hs have the names of the cached headers, and
// returns nil for any other frame, or one that needs the full check. While the headers have
// the cached types and value lengths too (the common case when values change: timestamps,
// fixed-size signatures, ids), the cached block is copied and only the values written over
// the old ones; from the first header whose type or length differs on, appendRest encodes
// them in full.
func (e *Encoder) appendValues(hs []Header, payload []byte) []byte {
	last, slots, block := e.last, e.slots, e.block
	if block == nil || len(hs) != len(last) || len(hs) != len(slots) {
		return nil
	}
	hlen := len(block)
	total := minFrameLen + hlen + len(payload)
	if total > DefaultMaxFrameLen {
		return nil // refused, with the full check's error
	}
	b := e.buf
	if cap(b) < total {
		b = slices.Grow(b[:0], total)
	}
	b = b[:total]
	out := b[preludeLen : preludeLen+hlen]
	copy(out, block)
	for i := range hs {
		h, l, s := &hs[i], &last[i], &slots[i]
		v := &h.Value
		if !v.set || h.Name != l.Name {
			return nil
		}
		if v.typ != l.Value.typ {
			return e.appendRest(b, hs, i, payload)
		}
		w := out[s.off:]
		switch v.typ {
		case TypeByte:
			w[0] = byte(v.num)
		case TypeInt16:
			binary.BigEndian.PutUint16(w, uint16(v.num))
		case TypeInt32:
			binary.BigEndian.PutUint32(w, uint32(v.num))
		case TypeInt64, TypeTimestamp:
			binary.BigEndian.PutUint64(w, uint64(v.num))
		case TypeUUID:
			binary.BigEndian.PutUint64(w, uint64(v.num))
			binary.BigEndian.PutUint64(w[8:], v.lo)
		case TypeString:
			if v.b == nil {
				if len(v.s) != s.n {
					return e.appendRest(b, hs, i, payload)
				}
				copy(w, v.s)
				break
			}
			fallthrough
		case TypeBytes:
			if len(v.b) != s.n {
				return e.appendRest(b, hs, i, payload)
			}
			copy(w, v.b)
		}
	}
	finishFrame(b, hlen, payload)
	return b
}

// appendRest completes the frame b of appendValues, whose headers before hs[i] are in place:
// it checks and encodes the others in full. It returns nil if they need the full check.
func (e *Encoder) appendRest(b []byte, hs []Header, i int, payload []byte) []byte {
	p := e.slots[i].start
	hlen := p
	for j := i; j < len(hs); j++ {
		h := &hs[j]
		if !h.Value.set || h.Name != e.last[j].Name {
			return nil
		}
		n := h.Value.wireLen()
		if n-2 > MaxValueLen {
			return nil // refused, with the full check's error
		}
		hlen += 2 + len(h.Name) + n
	}
	total := minFrameLen + hlen + len(payload)
	if hlen > DefaultMaxHeaderBlockLen || total > DefaultMaxFrameLen {
		return nil
	}
	b = slices.Grow(b[:preludeLen+p], total-preludeLen-p)[:total]
	for j := i; j < len(hs); j++ {
		p += putHeader(b[preludeLen+p:], &hs[j])
	}
	finishFrame(b, hlen, payload)
	return b
}

// remember caches hs and its encoded block for the next frames.
func (e *Encoder) remember(hs []Header, block []byte) {
	if len(hs) == 0 || len(hs) > maxCachedHeaders || len(block) > maxRecentBlock {
		e.block = nil
		return
	}
	e.block = append(e.block[:0], block...)
	e.last = append(e.last[:0], hs...)
	e.slots = e.slots[:0]
	off := 0
	for i := range e.last {
		v := &e.last[i].Value
		start := off
		off += 2 + len(e.last[i].Name)
		n := v.wireLen()
		if valueLen[v.typ] < 0 {
			// The value follows its u16 length.
			off += 2
			n -= 2
			if v.b != nil {
				v.b = e.block[off : off+n : off+n]
				if v.typ == TypeString {
					v.s = ""
				}
			}
		}
		e.slots = append(e.slots, slot{start, off, n})
		off += n
	}
}
