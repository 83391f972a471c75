package sigv4

import (
	"encoding/hex"
	"errors"
	"strings"
	"time"

	"github.com/framewire/eventstream"
)

var errEmptyInner = errors.New("sigv4: empty inner frame (End writes the end frame)")

// A Signer signs the frames of one client-to-server stream. It is not safe for concurrent
// use: the signatures form a chain, so frames must be signed in the order they are sent.
type Signer struct {
	c       chain
	started bool
	ended   bool
	lastMs  int64 // the previous frame's :date

	frame eventstream.Frame
	hdrs  [2]eventstream.Header
}

// NewSigner returns a Signer for a stream opened by an HTTP request signed for region and
// service with credentials c. The seed is that request's signature, as raw bytes (32 for a
// SigV4 signature; see [SeedFromAuthorization]).
func NewSigner(c Credentials, region, service string, seed []byte) *Signer {
	s := &Signer{c: newChain(c, region, service, seed)}
	s.hdrs[0].Name = DateHeader
	s.hdrs[1].Name = SignatureHeader
	s.frame.Headers = s.hdrs[:]
	return s
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
	sig := s.c.sign(ms, payload)
	s.hdrs[0].Value = eventstream.TimestampValue(time.UnixMilli(ms))
	s.hdrs[1].Value = eventstream.BytesValue(sig[:])
	s.frame.Payload = payload
	b, err := s.frame.AppendBinary(dst)
	s.frame.Payload = nil
	if err != nil {
		return dst, err
	}
	s.c.commit(sig[:])
	s.started = true
	s.lastMs = ms
	return b, nil
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
