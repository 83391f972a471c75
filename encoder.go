package eventstream

import "io"

// An Encoder writes frames to a stream.
type Encoder struct {
	w   io.Writer
	buf []byte
}

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
	b, err := f.AppendBinary(e.buf[:0])
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
