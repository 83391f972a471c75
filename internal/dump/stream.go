package dump

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"

	"github.com/framewire/eventstream"
)

// Summary counts what a stream held.
type Summary struct {
	Frames int   // whole, valid frames
	Bytes  int64 // bytes of those frames
}

// maxLine bounds one line of input to [Encode], which refuses a line once it has read that
// much of it, without reading the rest. It is the longest line [Dump] writes for a frame that a
// default decoder accepts, plus 1 MiB for spacing and hand-written escapes. A frame byte takes
// at most 22/3 bytes of that line: a payload byte 4/3 in base64 in "payload" plus at most 6 as
// a \u00XX escape in "text", a header byte at most 6 (a control character in a name or string
// value, escaped). Beyond that, each header adds at most 24 bytes of JSON punctuation and type
// name, and the frame 80 (TestMaxLineCoversDump checks both on worst-case frames): with
// eventstream.DefaultMaxFrameLen and DefaultMaxHeaders, the longest line Dump writes is under
// 22/3 × 25,296,912 + 24 × 1,024 + 80 bytes, and the bound, 186,559,264 bytes (about 178 MiB),
// leaves 1 MiB less 24 KiB above it. A variable so that tests can lower it.
var maxLine = eventstream.DefaultMaxFrameLen/3*22 + 1<<20

// Dump decodes the stream r and writes the JSON form of each frame to w as one line, frame by
// frame. It stops at the first bad frame or read error: the frames before it have been written,
// and the error says where the stream went wrong (an [*eventstream.Error], or a truncation or
// reader error naming the offset of the frame in progress). A stream that ends at a frame
// boundary, including an empty one, gives a nil error. A header name that is not valid UTF-8
// (which the codec never decodes) is an error rather than a line that would encode back to
// different bytes.
func Dump(w io.Writer, r io.Reader) (Summary, error) {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return each(r, func(off int64, f *eventstream.Frame) error {
		// The codec guarantees UTF-8 names; a name that is not could not be written as JSON
		// without changing it, so it is refused rather than printed wrongly.
		for i := range f.Headers {
			if !utf8.ValidString(f.Headers[i].Name) {
				return fmt.Errorf("frame at offset %d: header %d: name %q is not valid UTF-8", off, i, f.Headers[i].Name)
			}
		}
		j := FromFrame(off, f)
		if err := enc.Encode(&j); err != nil {
			return fmt.Errorf("writing: %w", err)
		}
		return nil
	})
}

// Verify decodes the whole stream r and reports how many frames and bytes it held, or, as
// [Dump] does, the first thing wrong with it.
func Verify(r io.Reader) (Summary, error) {
	return each(r, func(int64, *eventstream.Frame) error { return nil })
}

// each decodes r with default limits and calls fn for each frame and its offset.
func each(r io.Reader, fn func(off int64, f *eventstream.Frame) error) (Summary, error) {
	var (
		s Summary
		f eventstream.Frame
	)
	d := eventstream.NewDecoder(r)
	for {
		off := d.InputOffset()
		err := d.Decode(&f)
		switch {
		case err == io.EOF:
			return s, nil
		case err == io.ErrUnexpectedEOF:
			return s, fmt.Errorf("dump: frame at offset %d: stream ends inside the frame: %w", off, err)
		case err != nil:
			var ferr *eventstream.Error
			if errors.As(err, &ferr) {
				return s, err // its message has the offset, field and cause
			}
			return s, fmt.Errorf("dump: reading frame at offset %d: %w", off, err)
		}
		if err := fn(off, &f); err != nil {
			return s, fmt.Errorf("dump: %w", err)
		}
		s.Frames++
		s.Bytes = d.InputOffset()
	}
}

// Encode reads JSON forms of frames from r, one per line (blank lines are skipped), and writes
// the encoded frames to w, one Write each. The offset field is ignored. It stops at the first
// line that is not a valid frame, with an error naming the line and what is wrong: the frames
// of the lines before it have been written.
//
// A line is refused rather than read into something other than what it says: bytes that are
// not UTF-8, a \u escape of half a UTF-16 surrogate pair, a key given twice in an object, a key
// that is not one of the form's fields exactly (names are case-sensitive), a missing
// "headers" or "payload", a header without "name", "type" or "value", null where a value is
// due, base64 that is not in its one canonical form, and a string value whose "value" and
// "base64" disagree. A line longer than the longest one [Dump] writes for the largest frame
// (about 178 MiB; see maxLine) is refused once that much of it has been read.
func Encode(w io.Writer, r io.Reader) (Summary, error) {
	var s Summary
	br := bufio.NewReaderSize(r, 64<<10)
	enc := eventstream.NewEncoder(w)
	var line []byte
	for n := 1; ; n++ {
		var err error
		line, err = readLine(br, line[:0])
		if err != nil && err != io.EOF {
			return s, fmt.Errorf("dump: line %d: %w", n, err)
		}
		if len(bytes.TrimSpace(line)) > 0 {
			f, perr := parseLine(line)
			if ce, ok := perr.(*columnError); ok {
				return s, fmt.Errorf("dump: line %d, column %d: %s", n, ce.column, ce.msg)
			}
			if perr != nil {
				return s, fmt.Errorf("dump: line %d: %v", n, perr)
			}
			if werr := enc.Encode(f); werr != nil {
				var ferr *eventstream.Error
				if errors.As(werr, &ferr) {
					return s, fmt.Errorf("dump: line %d: cannot encode: %s", n, describe(ferr))
				}
				return s, fmt.Errorf("dump: writing: %w", werr)
			}
			s.Frames++
			s.Bytes += int64(f.EncodedLen())
		}
		if err == io.EOF {
			return s, nil
		}
	}
}

// readLine appends the next line of br, newline included, to buf. At the end of the input it
// returns what is left with io.EOF.
func readLine(br *bufio.Reader, buf []byte) ([]byte, error) {
	for {
		chunk, err := br.ReadSlice('\n')
		if len(buf)+len(chunk) > maxLine {
			return nil, fmt.Errorf("longer than %d bytes, the most that the JSON form of the largest frame takes", maxLine)
		}
		buf = append(buf, chunk...)
		if err != bufio.ErrBufferFull {
			return buf, err
		}
	}
}

// describe renders a codec error met while encoding without its offset, which is always 0
// there and would mislead.
func describe(e *eventstream.Error) string {
	s := e.Field
	if e.Detail != "" {
		s += " " + e.Detail
	}
	return s + ": " + trimPrefix(e.Err.Error())
}

func trimPrefix(s string) string {
	const p = "eventstream: "
	if len(s) >= len(p) && s[:len(p)] == p {
		return s[len(p):]
	}
	return s
}
