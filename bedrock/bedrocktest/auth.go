package bedrocktest

import (
	"crypto/hmac"
	"net/http"
	"strings"

	"github.com/framewire/eventstream/bedrock"
	"github.com/framewire/eventstream/sigv4"
)

// authenticate accepts r if the server asks for no authentication, if r carries the
// configured bearer token, or if it carries a SigV4 signature for service "bedrock" made
// with configured credentials over the payload hash that payloadHash returns (the body's
// sigv4.PayloadHash, or sigv4.StreamingEventsPayload for an event-stream body; called only
// when a signature is checked). It returns the verified signature, nil when none was
// checked, or the 403 answer.
func (h *handler) authenticate(r *http.Request, payloadHash func() string) (*sigv4.RequestSignature, *bedrock.APIError) {
	cfg := &h.cfg
	if len(cfg.Credentials) == 0 && cfg.BearerToken == "" {
		return nil, nil
	}
	auth := r.Header.Get("Authorization")
	if tok, ok := strings.CutPrefix(auth, "Bearer "); ok && cfg.BearerToken != "" {
		if hmac.Equal([]byte(tok), []byte(cfg.BearerToken)) {
			return nil, nil
		}
		return nil, forbidden(sigv4.UnrecognizedClient, "The security token included in the request is invalid.")
	}
	if len(cfg.Credentials) == 0 {
		return nil, forbidden(bedrock.ErrAccessDenied, "Authentication failed: a bearer token is required.")
	}
	s, err := h.verifier.Verify(r, payloadHash())
	if err != nil {
		if re, ok := err.(*sigv4.RequestError); ok {
			return nil, forbidden(re.Code, re.Message)
		}
		return nil, forbidden(sigv4.InvalidSignature, err.Error())
	}
	return s, nil
}

func forbidden(name, message string) *bedrock.APIError {
	return &bedrock.APIError{Name: name, Message: message, StatusCode: http.StatusForbidden}
}
