package eventstream

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors for [errors.Is]. Every error the codec reports for bad input is an [*Error]
// that unwraps to exactly one of them; truncation is reported as [io.ErrUnexpectedEOF] and a
// clean end of stream as [io.EOF].
var (
	// ErrChecksum reports a prelude or message CRC that does not match the bytes it covers.
	ErrChecksum = errors.New("eventstream: checksum mismatch")
	// ErrMalformed reports any structural defect: inconsistent lengths, an unknown header type,
	// a value running past the header block, an empty, invalid or duplicate name, too many
	// headers, or (on encode) a value the format cannot carry.
	ErrMalformed = errors.New("eventstream: malformed frame")
	// ErrTooLarge reports a declared or encoded length over a limit.
	ErrTooLarge = errors.New("eventstream: frame too large")
)

// Error describes a defect in one frame. It unwraps to [ErrChecksum], [ErrMalformed] or
// [ErrTooLarge].
type Error struct {
	// Offset is the stream offset of the first byte of the frame at fault. For [DecodeFrame],
	// [Frame.UnmarshalBinary] and encoding it is 0.
	Offset int64
	// Field names the part of the frame at fault: "prelude crc", "message crc",
	// "total_length", "headers_length", "header name", "header type", "header value",
	// "header count" or "payload".
	Field string
	// Expected and Computed hold, for checksum errors, the CRC carried by the frame and the
	// CRC computed over its bytes.
	Expected, Computed uint32
	// Detail says what was wrong, for messages; empty for checksum errors.
	Detail string
	// Err is the sentinel this error unwraps to.
	Err error
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "eventstream: frame at offset %d: ", e.Offset)
	if e.Err == ErrChecksum {
		fmt.Fprintf(&b, "%s 0x%08x, computed 0x%08x", e.Field, e.Expected, e.Computed)
	} else {
		b.WriteString(e.Field)
		if e.Detail != "" {
			b.WriteString(" ")
			b.WriteString(e.Detail)
		}
	}
	b.WriteString(": ")
	b.WriteString(strings.TrimPrefix(e.Err.Error(), "eventstream: "))
	return b.String()
}

// Unwrap returns the sentinel: [ErrChecksum], [ErrMalformed] or [ErrTooLarge].
func (e *Error) Unwrap() error { return e.Err }

func malformed(field, format string, args ...any) *Error {
	return &Error{Field: field, Detail: fmt.Sprintf(format, args...), Err: ErrMalformed}
}

func tooLarge(field, format string, args ...any) *Error {
	return &Error{Field: field, Detail: fmt.Sprintf(format, args...), Err: ErrTooLarge}
}

func checksum(field string, expected, computed uint32) *Error {
	return &Error{Field: field, Expected: expected, Computed: computed, Err: ErrChecksum}
}
