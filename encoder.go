package eventstream

import "io"

// An Encoder writes frames to a stream.
type Encoder struct {
	w   io.Writer
	buf []byte

	// last holds the headers of a recent frame, and block their encoded block (nil when there
	// is none). Their names are those of the last frame encoded, and were checked: a frame
	// with the same names needs only its values checked, and a frame whose values are equal
	// too reuses the block. Names and string values are the caller's (immutable) strings;
	// byte values point into block, never into the caller's memory. While header values keep
	// changing only one frame in 16 is copied here (misses counts those frames): a frame that
	// repeats an older frame's headers reuses that frame's block as correctly.
	last   []Header
	block  []byte
	misses int
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
	hlen := -1
	if e.block != nil && e.fresh() && sameHeaders(f.Headers, e.last) {
		e.misses = 0
		b, err = appendFrame(e.buf[:0], nil, e.block, len(e.block), f.Payload)
	} else if hlen = e.sameLayout(f.Headers); hlen >= 0 {
		if b, err = appendFrame(e.buf[:0], f.Headers, nil, hlen, f.Payload); err == nil {
			if e.misses++; e.fresh() {
				e.remember(f.Headers, b[preludeLen:preludeLen+hlen])
			}
		}
	} else {
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

// sameLayout returns the length of the header block of hs if their names are those of the
// cached headers (checked when they were cached) and their values can be encoded, and -1
// otherwise: then the headers need the full check.
func (e *Encoder) sameLayout(hs []Header) int {
	if e.block == nil || len(hs) != len(e.last) {
		return -1
	}
	hlen := 0
	for i := range hs {
		h, l := &hs[i], &e.last[i]
		if !h.Value.set || h.Name != l.Name {
			return -1
		}
		n := h.Value.wireLen()
		if n-2 > MaxValueLen {
			return -1 // refused, with the full check's error
		}
		hlen += 2 + len(h.Name) + n
	}
	if hlen > DefaultMaxHeaderBlockLen {
		return -1
	}
	return hlen
}

// remember caches hs and its encoded block for the next frames.
func (e *Encoder) remember(hs []Header, block []byte) {
	if len(hs) == 0 || len(hs) > maxCachedHeaders || len(block) > maxRecentBlock {
		e.block = nil
		return
	}
	e.block = append(e.block[:0], block...)
	e.last = append(e.last[:0], hs...)
	off := 0
	for i := range e.last {
		v := &e.last[i].Value
		off += 2 + len(e.last[i].Name)
		if v.b != nil {
			// The value follows its u16 length.
			v.b = e.block[off+2 : off+2+len(v.b) : off+2+len(v.b)]
			if v.typ == TypeString {
				v.s = ""
			}
		}
		off += v.wireLen()
	}
}
