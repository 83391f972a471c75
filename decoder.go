package eventstream

import (
	"encoding/binary"
	"errors"
	"io"
)

const (
	// readBufLen is the Decoder's read buffer. Frames up to this size less align, and any
	// frame a Read has already brought in whole, are decoded in it, many per Read, and the
	// Frame decoded aliases it; larger frames are read straight into the Frame's storage.
	readBufLen = 32 << 10
	// largeChunk bounds each Read into a large frame's storage, so that the CRC runs over bytes
	// that the Read has just brought into cache.
	largeChunk = 32 << 10
	// maxEmptyReads bounds the Reads in a row that return no bytes and no error.
	maxEmptyReads = 100
	// align is the alignment the decoder keeps between a byte's stream offset, its place in
	// the read buffer and its place in a frame's storage. Copies between buffers that agree on
	// alignment run several times faster on CPUs whose block copy is slow from a misaligned
	// source (seen here: 4 KiB in about 240 ns instead of 40-50 ns; BenchmarkCopyAlignment).
	// Such copies remain for large frames and for a Frame decoded while another aliases the
	// read buffer.
	align = 64
)

// A Decoder reads frames from a stream.
//
// It reads in large blocks (about one Read per 32 KiB of small frames), checks each frame as
// the specification's decoding rules require, and keeps no goroutines. Memory it holds for one
// frame never exceeds MaxFrameLen, and for a large declared length grows with the bytes that
// actually arrive.
//
// Errors are sticky: after [io.EOF], [io.ErrUnexpectedEOF] or a bad frame, every later call
// returns the same error; the Decoder never skips ahead to guess where the next frame starts.
// The one exception is an error from the underlying reader while the frame in progress is
// still held in the read buffer (frames up to 32 KiB): it is returned unchanged and Decode may
// be called again, for example after a read deadline.
type Decoder struct {
	// MaxFrameLen limits total_length; a frame declaring more fails with [ErrTooLarge] before
	// its body is read. Zero means [DefaultMaxFrameLen]; a value of 1<<32 or more removes the
	// limit (every total_length fits).
	MaxFrameLen int64
	// MaxHeaderBlockLen limits headers_length. Zero means [DefaultMaxHeaderBlockLen].
	MaxHeaderBlockLen int
	// MaxHeaders limits the number of headers in a frame ([ErrMalformed] beyond it). Zero
	// means [DefaultMaxHeaders].
	MaxHeaders int
	// ValidateUTF8 makes string header values that are not valid UTF-8 an [ErrMalformed]
	// error. Header names are always validated.
	ValidateUTF8 bool

	r          io.Reader
	buf        []byte // read buffer; buf[start:end] holds bytes read but not yet decoded
	start, end int
	off        int64 // stream offset of buf[start]
	err        error // sticky error
	pending    error // an error a Read returned with bytes that were enough; returned next

	// A frame decoded in the read buffer is not copied: the Frame it goes to aliases the
	// buffer, and becomes lent. Bytes before start that lent aliases are not overwritten until
	// lent is decoded into again; if the buffer must be compacted before that, its unread
	// bytes move to spare instead, and the old buffer is left to lent (then spareLent). While
	// a Frame is lent or spareLent, frames decoded into other Frames are copied into their own
	// storage, as large frames are: at most one Frame aliases the two buffers, so compaction
	// always finds spare free. So a stream decoded into one Frame, or into any number of
	// Frames taken in turn, allocates nothing once warm.
	lent, spareLent *Frame
	spare           []byte
}

// NewDecoder returns a Decoder that reads from r with default limits.
func NewDecoder(r io.Reader) *Decoder {
	return &Decoder{r: r}
}

// Reset makes d read from r as a new stream, keeping its buffer and limits and clearing any
// error. Frames decoded before stay valid, as ever, until they are decoded into again.
func (d *Decoder) Reset(r io.Reader) {
	d.r = r
	// Bytes before end may be lent: the next frame starts after them, at a place that agrees
	// with its stream offset (0) modulo align.
	d.end = (d.end + align - 1) &^ (align - 1)
	d.start, d.off = d.end, 0
	d.err, d.pending = nil, nil
}

// InputOffset returns the stream offset of the next frame: the number of bytes taken by the
// frames decoded so far.
func (d *Decoder) InputOffset() int64 { return d.off }

func (d *Decoder) limits() limits {
	l := defaultLimits
	if d.MaxFrameLen > 0 {
		l.maxFrame = d.MaxFrameLen
	}
	if d.MaxHeaderBlockLen > 0 {
		l.maxBlock = d.MaxHeaderBlockLen
	}
	if d.MaxHeaders > 0 {
		l.maxHeaders = d.MaxHeaders
	}
	l.utf8 = d.ValidateUTF8
	return l
}

// Decode reads the next frame into f, reusing f's storage: the previous contents of f are
// overwritten, and what Decode puts in f stays valid until f is decoded into again (see
// [Frame]), whatever else is decoded in between, with d or any other Decoder. f may alias
// d's read buffer, which d then leaves alone until f is decoded into again. In steady state
// (the same f, or Frames taken in turn, and a stream whose header names repeat) Decode does
// not allocate.
//
// Decode returns [io.EOF] only when the stream ends exactly at a frame boundary, and
// [io.ErrUnexpectedEOF] when it ends inside a frame. A bad frame gives an [*Error] with its
// stream offset. Errors from the underlying reader are returned unchanged. On any error f is
// left empty.
func (d *Decoder) Decode(f *Frame) error {
	// The common case, in as few instructions as can be: the next frame is whole in the read
	// buffer and checks out, and no Frame but f aliases either buffer, so f does (again).
	if p := d.buf[d.start:d.end]; len(p) >= preludeLen && d.err == nil && (d.lent == f || d.lent == nil) && d.spareLent == nil {
		lim := d.limits()
		t, h, pcrc := binary.BigEndian.Uint32(p[0:]), binary.BigEndian.Uint32(p[4:]), binary.BigEndian.Uint32(p[8:])
		if crcPreludeWords(t, h) == pcrc && lim.fit(t, h) && int64(t) <= int64(len(p)) {
			frame := p[:t:t]
			if got, want := messageCRC(frame, pcrc); got == want {
				// parse, with its common case called directly.
				first := f.intern.layoutFirst(int(h), &lim, true)
				if !first || !f.parseValues(frame, int(h), &lim) {
					if perr := f.parseBlock(frame, int(h), &lim, !first, !first); perr != nil {
						d.lent = nil
						return d.fail(perr)
					}
				}
				if d.lent == nil {
					d.lent = f
				}
				d.start += int(t)
				d.off += int64(t)
				return nil
			}
		}
	}
	f.reset()
	// f's last frame need not be kept any longer, even if this call fails.
	if d.lent == f {
		d.lent = nil
	}
	if d.spareLent == f {
		d.spareLent = nil
	}
	return d.decode(f)
}

// decode is Decode for every case but the common one, which it also handles; it reports
// what is wrong.
func (d *Decoder) decode(f *Frame) error {
	if d.err != nil {
		return d.err
	}
	if d.buf == nil {
		d.buf = make([]byte, readBufLen)
	}
	if d.end-d.start < preludeLen {
		if err := d.fill(preludeLen); err != nil {
			return err
		}
	}
	lim := d.limits()
	total, hlen, pcrc, perr := readPrelude(d.buf[d.start:d.end], &lim)
	if perr != nil {
		return d.fail(perr)
	}
	if total > len(d.buf)-align {
		return d.decodeLarge(f, total, hlen, pcrc, &lim)
	}
	if d.end-d.start < total {
		if err := d.fill(total); err != nil {
			return err
		}
	}
	src := d.buf[d.start : d.start+total : d.start+total]
	if perr := checkMessageCRC(src, pcrc); perr != nil {
		return d.fail(perr)
	}
	if d.lent == nil && d.spareLent == nil {
		// No other Frame aliases either buffer: f does.
		if perr := f.parse(src, hlen, &lim, true); perr != nil {
			return d.fail(perr)
		}
		d.lent = f
		d.start += total
		d.off += int64(total)
		return nil
	}
	if t := f.intern; t != nil && hlen > 0 && t.repeats(src[preludeLen:preludeLen+hlen], &lim) {
		d.decodeRepeat(f, src, hlen, &lim)
		return nil
	}
	pad, size := d.start%align, total+align
	if int64(size) > lim.maxFrame {
		pad, size = 0, total // no room for alignment within the limit
	}
	st := f.buf[:cap(f.buf)]
	if len(st) < pad+total {
		st = make([]byte, size)
		st = st[:cap(st)]
	}
	f.buf = st
	frame := st[pad : pad+total]
	copy(frame, src)
	if perr := f.parse(frame, hlen, &lim, false); perr != nil { // not a repeat: checked above
		return d.fail(perr)
	}
	d.start += total
	d.off += int64(total)
	return nil
}

// decodeRepeat fills f from a checked frame in the read buffer whose header block repeats the
// last one f parsed, as the frames of a Bedrock stream do: the headers are reused, pointing
// into f's copy of that block, and only the payload is copied into f's storage.
func (d *Decoder) decodeRepeat(f *Frame, src []byte, hlen int, lim *limits) {
	total := len(src)
	start, end := preludeLen+hlen, total-crcLen
	n := end - start
	pad, size := (d.start+start)%align, n+align
	if int64(size) > lim.maxFrame {
		pad, size = 0, n
	}
	st := f.buf[:cap(f.buf)]
	if len(st) < pad+n {
		st = make([]byte, size)
		st = st[:cap(st)]
	}
	f.buf = st
	f.Payload = st[pad : pad+n : pad+n]
	copy(f.Payload, src[start:end])
	f.reuseHeaders(nil)
	d.start += total
	d.off += int64(total)
}

// fill reads until the buffer holds n bytes (n <= len(d.buf)-align), moving the bytes it holds
// to the front first (keeping their alignment) so that each Read gets as much room as possible.
func (d *Decoder) fill(n int) error {
	empty := 0
	for d.end-d.start < n {
		if d.start >= align {
			d.compact(d.start % align)
		}
		m, err := d.read(d.buf[d.end:])
		if m < 0 || m > len(d.buf)-d.end {
			return d.fail(errBadRead)
		}
		d.end += m
		if d.end-d.start >= n {
			d.pending = err // returned by the next read, once these bytes are used
			return nil
		}
		if err != nil {
			return d.readError(err)
		}
		if m == 0 {
			if empty++; empty == maxEmptyReads {
				return d.fail(io.ErrNoProgress)
			}
		}
	}
	return nil
}

// compact moves the unread bytes to offset a (below align) of a read buffer that no Frame
// aliases: the same buffer if none does, or else the spare buffer (allocated if it is missing,
// or lent as well, which Decode does not let happen), leaving the aliased one to the Frame.
func (d *Decoder) compact(a int) {
	from := d.buf
	if d.lent != nil {
		if d.spare == nil || d.spareLent != nil {
			d.spare = make([]byte, readBufLen)
		}
		d.buf, d.spare = d.spare, d.buf
		d.lent, d.spareLent = nil, d.lent
	}
	d.end = a + copy(d.buf[a:], from[d.start:d.end])
	d.start = a
}

// read reads into p, or returns the error a previous Read returned along with its last bytes.
func (d *Decoder) read(p []byte) (int, error) {
	if err := d.pending; err != nil {
		d.pending = nil
		return 0, err
	}
	return d.r.Read(p)
}

var errBadRead = errors.New("eventstream: reader returned an impossible count")

// readError turns a reader error met before the frame in progress was whole into what Decode
// returns: io.EOF at a frame boundary, io.ErrUnexpectedEOF inside a frame (both sticky), and
// any other error unchanged and not sticky, since the bytes read so far are still buffered.
func (d *Decoder) readError(err error) error {
	if err == io.EOF {
		if d.end == d.start {
			return d.fail(io.EOF)
		}
		return d.fail(io.ErrUnexpectedEOF)
	}
	return err
}

// fail records err as the sticky error and returns it, with the frame's stream offset filled
// in for frame errors.
func (d *Decoder) fail(err error) error {
	if e, ok := err.(*Error); ok {
		e.Offset = d.off
	}
	d.err = err
	return err
}

// decodeLarge reads a frame larger than the read buffer straight into f's storage, in chunks
// whose CRC is computed while they are in cache. The storage grows with the bytes that arrive,
// never beyond total, so a prelude that declares a large frame and then stops costs little.
func (d *Decoder) decodeLarge(f *Frame, total, hlen int, pcrc uint32, lim *limits) error {
	// The frame goes at st[pad:end], aligned as it was in the read buffer and the stream.
	// Storage grows to at most total+align, enough for the frame at any alignment, so that a
	// stream of large frames at varying alignments does not allocate again; or to total, when
	// that would pass the frame limit.
	pad, limit := d.start%align, total+align
	if int64(limit) > lim.maxFrame {
		pad, limit = 0, total
	}
	end := pad + total
	st := f.buf[:0]
	if cap(st) < end {
		st = make([]byte, 0, min(limit, max(cap(st), 2*len(d.buf))))
	}
	// The buffer may hold the whole frame and the next frame's first bytes: a frame only just
	// larger than the limit of the read buffer path, near the buffer's start after a long Read.
	n := min(d.end-d.start, total)
	st = append(st[:pad], d.buf[d.start:d.start+n]...)
	// What is left of the buffer (nothing if the frame goes on) is the next frame's; it goes,
	// and what follows is read, where it keeps its alignment.
	next := (d.start%align + total) % align
	d.start += n
	d.compact(next)
	crcEnd := end - crcLen
	done := min(len(st), crcEnd)
	crc := crcUpdate(pcrc, st[pad+8:done])
	empty := 0
	for len(st) < end {
		if len(st) == cap(st) {
			grown := make([]byte, len(st), min(limit, 2*cap(st)))
			copy(grown, st)
			st = grown
		}
		m, err := d.read(st[len(st):min(cap(st), end, len(st)+largeChunk)])
		if m < 0 || len(st)+m > cap(st) {
			return d.fail(errBadRead)
		}
		st = st[:len(st)+m]
		if hi := min(len(st), crcEnd); hi > done {
			crc = crcUpdate(crc, st[done:hi])
			done = hi
		}
		if len(st) == end {
			d.pending = err
			break
		}
		if err != nil {
			f.buf = st[:0]
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			// Part of the frame has left the read buffer: the stream cannot be resumed.
			return d.fail(err)
		}
		if m == 0 {
			if empty++; empty == maxEmptyReads {
				return d.fail(io.ErrNoProgress)
			}
		}
	}
	f.buf = st
	if want := binary.BigEndian.Uint32(st[crcEnd:]); want != crc {
		return d.fail(checksum("message crc", want, crc))
	}
	if perr := f.parse(st[pad:end], hlen, lim, true); perr != nil {
		return d.fail(perr)
	}
	d.off += int64(total)
	return nil
}
