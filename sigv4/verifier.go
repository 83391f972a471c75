package sigv4

import (
	"crypto/hmac"
	"fmt"
	"time"

	"github.com/framewire/eventstream"
)

// A Verifier checks the frames of one signed stream, in order. It is not safe for concurrent
// use.
type Verifier struct {
	c       chain
	n       int64 // index of the next frame
	started bool
	ended   bool
	lastMs  int64
	err     error

	now  func() time.Time
	skew time.Duration
	back int64 // how far, in milliseconds, :date may step back
}

// NewVerifier returns a Verifier for a stream opened by an HTTP request signed for region and
// service with credentials c; seed is that request's signature, as raw bytes (see
// [SeedFromAuthorization]).
func NewVerifier(c Credentials, region, service string, seed []byte) *Verifier {
	return &Verifier{c: newChain(c, region, service, seed)}
}

// SetClock makes v refuse, with [ErrClockSkew], frames whose :date is more than skew away
// from now(), as a live server should. A nil now turns the check off again, which is the
// default: recorded streams must verify later.
func (v *Verifier) SetClock(now func() time.Time, skew time.Duration) {
	v.now, v.skew = now, skew
}

// AllowBackwards lets a :date be up to d earlier than the latest :date verified before it,
// instead of failing with [ErrDateBackwards]. The AWS SDK for JavaScript moves its signing
// clock back by up to about a second once it has read the server's Date header, so a live
// server should allow it; [Verifier.SetClock]'s window still applies to every frame. The
// chained signature, not the date, is what stops a replayed or reordered frame. The default
// is 0: dates never go back.
func (v *Verifier) AllowBackwards(d time.Duration) {
	v.back = max(d.Milliseconds(), 0)
}

// Verify checks the next outer frame f of the stream and returns the encoded inner frame it
// carries: f's payload, which aliases f and stays valid as long as f's payload does. The end
// frame returns an empty inner frame and makes [Verifier.Complete] report true.
//
// f must hold exactly two headers, a timestamp :date and a byte-array :chunk-signature; the
// signature must be the one chained from the previous frame's (compared in constant time),
// and :date must not be earlier than the latest one before it (see [Verifier.AllowBackwards]
// for a tolerance). Failures are [*Error] values
// matching [ErrMissingHeader], [ErrHeaderType], [ErrUnexpectedHeader], [ErrSignature],
// [ErrDateBackwards], [ErrClockSkew] or [ErrAfterEnd]. They are sticky: once a frame fails,
// every later call returns the same error, since no later frame can chain from it. In
// steady state (a stream within one UTC day) Verify does not allocate.
func (v *Verifier) Verify(f *eventstream.Frame) (inner []byte, err error) {
	if v.err != nil {
		return nil, v.err
	}
	if err := v.verify(f); err != nil {
		v.err = err
		return nil, err
	}
	v.n++
	return f.Payload, nil
}

func (v *Verifier) fail(header string, sentinel error, format string, args ...any) *Error {
	return &Error{Frame: v.n, Header: header, Detail: fmt.Sprintf(format, args...), Err: sentinel}
}

func (v *Verifier) verify(f *eventstream.Frame) *Error {
	if v.ended {
		return v.fail("", ErrAfterEnd, "")
	}
	if f == nil {
		return v.fail(DateHeader, ErrMissingHeader, "no frame")
	}
	var (
		date, sig         eventstream.Value
		haveDate, haveSig bool
	)
	for i := range f.Headers {
		h := &f.Headers[i]
		switch {
		case h.Name == DateHeader && !haveDate:
			if h.Value.Type() != eventstream.TypeTimestamp {
				return v.fail(DateHeader, ErrHeaderType, "%s, want timestamp", h.Value.Type())
			}
			date, haveDate = h.Value, true
		case h.Name == SignatureHeader && !haveSig:
			if h.Value.Type() != eventstream.TypeBytes {
				return v.fail(SignatureHeader, ErrHeaderType, "%s, want byte array", h.Value.Type())
			}
			sig, haveSig = h.Value, true
		default:
			return v.fail(truncName(h.Name), ErrUnexpectedHeader, "")
		}
	}
	if !haveDate {
		return v.fail(DateHeader, ErrMissingHeader, "")
	}
	if !haveSig {
		return v.fail(SignatureHeader, ErrMissingHeader, "")
	}

	ms := date.Int64()
	want := v.c.sign(ms, f.Payload)
	got := sig.Bytes()
	if !hmac.Equal(got, want[:]) {
		if len(got) != SignatureLen {
			return v.fail(SignatureHeader, ErrSignature, "%d bytes, want %d", len(got), SignatureLen)
		}
		return v.fail(SignatureHeader, ErrSignature, "")
	}
	// Checked once the frame is known to be authentic: an unsigned :date says nothing.
	if v.started && ms < v.lastMs-v.back {
		return v.fail(DateHeader, ErrDateBackwards, "%s before %s", fmtMs(ms), fmtMs(v.lastMs))
	}
	if v.now != nil {
		now := v.now()
		if d := time.UnixMilli(ms).Sub(now); d > v.skew || d < -v.skew {
			return v.fail(DateHeader, ErrClockSkew, "%s is %v from the clock's %s, window %v",
				fmtMs(ms), d, now.UTC().Format(time.RFC3339), v.skew)
		}
	}
	v.c.commit(want) // equal to got
	if !v.started || ms > v.lastMs {
		v.lastMs = ms
	}
	v.started = true
	if len(f.Payload) == 0 {
		v.ended = true
	}
	return nil
}

// Complete reports whether the signed end frame has been verified, with no failure since (a
// frame after the end frame is one). A stream that ends, even at a frame boundary, while
// Complete is false was cut short.
func (v *Verifier) Complete() bool { return v.ended && v.err == nil }

// Frames returns the number of frames verified so far, the end frame included.
func (v *Verifier) Frames() int64 { return v.n }

func fmtMs(ms int64) string {
	return time.UnixMilli(ms).UTC().Format("2006-01-02T15:04:05.000Z")
}

// truncName keeps hostile header names short in messages.
func truncName(s string) string {
	if len(s) > 64 {
		return fmt.Sprintf("%q...", s[:64])
	}
	return s
}
