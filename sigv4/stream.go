package sigv4

import (
	"io"
	"time"

	"github.com/framewire/eventstream"
)

// A Writer signs frames onto an [io.Writer]: each frame becomes one signed outer frame,
// written with exactly one Write call.
type Writer struct {
	// Now is the signing clock; nil means [time.Now].
	Now func() time.Time

	s     *Signer
	w     io.Writer
	buf   []byte
	inner []byte
}

// NewWriter returns a Writer that signs with s and writes to w.
func NewWriter(w io.Writer, s *Signer) *Writer {
	return &Writer{s: s, w: w}
}

func (w *Writer) now() time.Time {
	if w.Now != nil {
		return w.Now()
	}
	return time.Now()
}

// Write signs frame, which must be exactly one encoded frame, and writes the outer frame. It
// returns len(frame) on success. The outer frame is built in a buffer that Write reuses, so
// the underlying writer must not retain it; once that buffer has grown to the stream's
// frames, Write does not allocate.
func (w *Writer) Write(frame []byte) (int, error) {
	if err := w.sign(frame, false); err != nil {
		return 0, err
	}
	return len(frame), nil
}

// Encode encodes f, signs it and writes the outer frame, as [Writer.Write] does.
func (w *Writer) Encode(f *eventstream.Frame) error {
	b, err := f.AppendBinary(w.inner[:0])
	if err != nil {
		return err
	}
	w.inner = b
	return w.sign(b, false)
}

// Close writes the signed end frame. It does not close the underlying writer. Frames written
// after Close fail with [ErrAfterEnd].
func (w *Writer) Close() error {
	return w.sign(nil, true)
}

func (w *Writer) sign(frame []byte, end bool) error {
	var (
		b   []byte
		err error
	)
	if end {
		b, err = w.s.End(w.buf[:0], w.now())
	} else {
		b, err = w.s.Sign(w.buf[:0], frame, w.now())
	}
	if err != nil {
		return err
	}
	w.buf = b
	n, err := w.w.Write(b)
	if err == nil && n != len(b) {
		err = io.ErrShortWrite
	}
	return err
}

// A Reader decodes and verifies a signed stream.
type Reader struct {
	d   *eventstream.Decoder
	v   *Verifier
	f   eventstream.Frame
	err error
}

// NewReader returns a Reader that decodes outer frames from r and verifies them with v.
func NewReader(r io.Reader, v *Verifier) *Reader {
	return &Reader{d: eventstream.NewDecoder(r), v: v}
}

// Decoder returns the decoder of the outer frames, to set its limits before the first call
// to Next.
func (r *Reader) Decoder() *eventstream.Decoder { return r.d }

// Next reads the next outer frame, verifies it and returns the encoded inner frame it
// carries. The bytes stay valid until the next call to Next; decode them with
// [eventstream.DecodeFrame].
//
// After the verified end frame Next returns [io.EOF] and reads nothing more. A stream that
// ends at a frame boundary before its end frame gives an [*Error] matching [ErrIncomplete];
// one that ends inside a frame gives [io.ErrUnexpectedEOF]. Decoding errors
// ([eventstream.Error]) and verification errors ([Verifier.Verify]) are returned as they are.
// Errors are sticky.
func (r *Reader) Next() ([]byte, error) {
	if r.err != nil {
		return nil, r.err
	}
	if r.v.Complete() {
		return nil, io.EOF
	}
	inner, err := r.next()
	if err != nil {
		r.err = err
		return nil, err
	}
	if r.v.Complete() {
		r.err = io.EOF
		return nil, io.EOF
	}
	return inner, nil
}

func (r *Reader) next() ([]byte, error) {
	if err := r.d.Decode(&r.f); err != nil {
		if err == io.EOF {
			return nil, &Error{Frame: r.v.Frames(), Err: ErrIncomplete}
		}
		return nil, err
	}
	return r.v.Verify(&r.f)
}
