package sigv4

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/framewire/eventstream"
	"github.com/framewire/eventstream/internal/framecrc"
)

var errEmptyInner = errors.New("sigv4: empty inner frame (End writes the end frame)")

// A Signer signs the frames of one client-to-server stream. It is not safe for concurrent
// use: the signatures form a chain, so frames must be signed in the order they are sent.
type Signer struct {
	c       chain
	started bool
	ended   bool
	lastMs  int64 // the previous frame's :date
}

// NewSigner returns a Signer for a stream opened by an HTTP request signed for region and
// service with credentials c. The seed is that request's signature, as raw bytes (32 for a
// SigV4 signature; see [SeedFromAuthorization]).
func NewSigner(c Credentials, region, service string, seed []byte) *Signer {
	return &Signer{c: newChain(c, region, service, seed)}
}

// Sign appends to dst the signed outer frame whose payload is inner, an encoded frame, and
// returns the extended slice. The signing time is t truncated to whole seconds, or the
// previous frame's time if that is later, so that :date never goes backwards.
//
// An empty inner (which would read as the end frame), a Sign after [Signer.End]
// ([ErrAfterEnd]) and an outer frame over the codec's limits (an [*eventstream.Error]) are
// refused with dst returned unchanged and the chain not advanced. In steady state (the same
// UTC day as the previous frame, and room in dst) Sign does not allocate.
func (s *Signer) Sign(dst, inner []byte, t time.Time) ([]byte, error) {
	if len(inner) == 0 {
		return dst, errEmptyInner
	}
	return s.append(dst, inner, t)
}

// End appends to dst the signed end frame, whose payload is empty, and returns the extended
// slice. Signing time is chosen as in [Signer.Sign]. After End, Sign and End fail with
// [ErrAfterEnd].
func (s *Signer) End(dst []byte, t time.Time) ([]byte, error) {
	b, err := s.append(dst, nil, t)
	if err == nil {
		s.ended = true
	}
	return b, err
}

func (s *Signer) append(dst, payload []byte, t time.Time) ([]byte, error) {
	if s.ended {
		return dst, ErrAfterEnd
	}
	ms := t.Unix() * 1000 // whole seconds, rounded towards the past
	if s.started && ms < s.lastMs {
		ms = s.lastMs
	}
	total := outerPrefixLen + len(payload) + 4
	if total > eventstream.DefaultMaxFrameLen {
		return dst, tooLarge(ms, payload)
	}
	sig := s.c.sign(ms, payload)
	b := slices.Grow(dst, total)[:len(dst)+total]
	out := b[len(dst):]
	// The outer frame's layout is fixed: the prelude (its CRC left to framecrc.Seal), the
	// :date header as it was hashed, the :chunk-signature header, then the payload and the
	// message CRC.
	binary.BigEndian.PutUint32(out, uint32(total))
	binary.BigEndian.PutUint32(out[4:], uint32(outerHeadersLen))
	p := 12 + copy(out[12:], s.c.dateHB[:])
	p += copy(out[p:], sigHeaderPrefix)
	p += copy(out[p:], sig[:])
	copy(out[p:], payload)
	framecrc.Seal(out)
	s.c.commit(sig)
	s.started = true
	s.lastMs = ms
	return b, nil
}

// The header block of a signed frame: :date (the chain's dateHB) and :chunk-signature, whose
// encoding up to the signature is sigHeaderPrefix.
const (
	sigHeaderPrefix = "\x10" + SignatureHeader + "\x06\x00\x20" // name length 16, type bytes, length 32
	outerHeadersLen = len(chain{}.dateHB) + len(sigHeaderPrefix) + SignatureLen
	outerPrefixLen  = 12 + outerHeadersLen // prelude and header block
)

// tooLarge returns the codec's error for a signed frame over its limits, from the generic
// encoder (which checks the size before anything is signed or copied).
func tooLarge(ms int64, payload []byte) error {
	f := eventstream.Frame{
		Headers: []eventstream.Header{
			{Name: DateHeader, Value: eventstream.TimestampValue(time.UnixMilli(ms))},
			{Name: SignatureHeader, Value: eventstream.BytesValue(make([]byte, SignatureLen))},
		},
		Payload: payload,
	}
	if _, err := f.AppendBinary(nil); err != nil {
		return err
	}
	// Unreachable while the codec's limit is DefaultMaxFrameLen; an error, not a panic, if
	// the two ever drift apart.
	return fmt.Errorf("sigv4: signed frame of %d bytes over the limit of %d", outerPrefixLen+len(payload)+4, eventstream.DefaultMaxFrameLen)
}

// SeedFromAuthorization returns the signature carried by a SigV4 Authorization header
// ("AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=<64 hex digits>"): the seed
// of the stream that the request opens.
func SeedFromAuthorization(authorization string) ([]byte, error) {
	const key = "Signature="
	for p := range strings.SplitSeq(authorization, ",") {
		p = strings.TrimSpace(p)
		if !strings.HasPrefix(p, key) {
			continue
		}
		sig := p[len(key):]
		if len(sig) != 2*SignatureLen {
			return nil, errors.New("sigv4: authorization signature is not 64 hex digits")
		}
		b, err := hex.DecodeString(sig)
		if err != nil {
			return nil, errors.New("sigv4: authorization signature is not 64 hex digits")
		}
		return b, nil
	}
	return nil, errors.New("sigv4: authorization header has no signature")
}
