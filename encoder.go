package eventstream

import "io"

// An Encoder writes frames to a stream.
type Encoder struct {
	w   io.Writer
	buf []byte

	// The last frame's headers and their encoded block. Events of a stream mostly repeat
	// their headers, and a frame whose headers equal these reuses the block without checking
	// or encoding them again. Names and string values are the caller's (immutable) strings;
	// byte values point into block, never into the caller's memory.
	last  []Header
	block []byte
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
	if e.block != nil && sameHeaders(f.Headers, e.last) {
		b, err = appendFrame(e.buf[:0], nil, e.block, len(e.block), f.Payload)
	} else {
		var hlen int
		if hlen, err = checkHeaders(f.Headers); err == nil {
			b, err = appendFrame(e.buf[:0], f.Headers, nil, hlen, f.Payload)
		}
		if err == nil {
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

// sameHeaders reports whether hs equals the cached list, name by name and value by value.
func sameHeaders(hs, last []Header) bool {
	if len(hs) != len(last) {
		return false
	}
	for i := range hs {
		if hs[i].Name != last[i].Name || !hs[i].Value.Equal(last[i].Value) {
			return false
		}
	}
	return true
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
