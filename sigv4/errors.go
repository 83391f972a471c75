package sigv4

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors for [errors.Is]. Verification failures are [*Error] values that unwrap to
// exactly one of them.
var (
	// ErrMissingHeader reports an outer frame without a :date or a :chunk-signature header.
	ErrMissingHeader = errors.New("sigv4: missing header")
	// ErrHeaderType reports a :date header that is not a timestamp or a :chunk-signature
	// header that is not a byte array.
	ErrHeaderType = errors.New("sigv4: wrong header type")
	// ErrUnexpectedHeader reports an outer frame with a header other than :date and
	// :chunk-signature, or with one of them twice. Such a header is not covered by the
	// signature, so accepting it would let anyone on the path add unsigned data.
	ErrUnexpectedHeader = errors.New("sigv4: unexpected header")
	// ErrSignature reports a :chunk-signature that is not the signature of the frame chained
	// from the previous one: a wrong seed or secret, a changed payload or :date, a reordered,
	// replayed or dropped frame.
	ErrSignature = errors.New("sigv4: signature mismatch")
	// ErrDateBackwards reports a :date earlier than the previous frame's.
	ErrDateBackwards = errors.New("sigv4: date goes backwards")
	// ErrClockSkew reports a :date further from the verifier's clock than its skew window
	// (see [Verifier.SetClock]).
	ErrClockSkew = errors.New("sigv4: date outside the skew window")
	// ErrAfterEnd reports a frame after the end frame, or a [Signer] used after End.
	ErrAfterEnd = errors.New("sigv4: frame after the end frame")
	// ErrIncomplete reports a stream that ended before its signed end frame.
	ErrIncomplete = errors.New("sigv4: stream ended before its end frame")
)

// Error describes a verification failure.
type Error struct {
	// Frame is the index of the outer frame at fault in its stream, from 0.
	Frame int64
	// Header names the header at fault, if any.
	Header string
	// Detail says what was wrong, for messages; it may be empty.
	Detail string
	// Err is the sentinel this error unwraps to.
	Err error
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "sigv4: frame %d: ", e.Frame)
	if e.Header != "" {
		b.WriteString(e.Header)
		b.WriteString(": ")
	}
	if e.Detail != "" {
		b.WriteString(e.Detail)
		b.WriteString(": ")
	}
	b.WriteString(strings.TrimPrefix(e.Err.Error(), "sigv4: "))
	return b.String()
}

// Unwrap returns the sentinel.
func (e *Error) Unwrap() error { return e.Err }
