package bedrocktest

import (
	"net/http"
	"strings"

	"github.com/framewire/eventstream/bedrock"
	"github.com/framewire/eventstream/sigv4"
)

// authorizeSession checks the request that opens a voice session and returns the verifier
// of its events, or nil when the server asks for no authentication. The request's
// signature covers the headers only (its payload hash is STREAMING-AWS4-HMAC-SHA256-EVENTS)
// and seeds the chain of the events' signatures. Bearer tokens are refused: the operation
// takes SigV4 only.
func (h *handler) authorizeSession(r *http.Request) (*sigv4.Verifier, *bedrock.APIError) {
	cfg := &h.cfg
	if len(cfg.Credentials) == 0 && cfg.BearerToken == "" {
		return nil, nil
	}
	if strings.HasPrefix(r.Header.Get("Authorization"), "Bearer ") || len(cfg.Credentials) == 0 {
		return nil, forbidden(bedrock.ErrAccessDenied, "Bearer token authentication is not supported for InvokeModelWithBidirectionalStream; sign the request with SigV4.")
	}
	sig, ae := h.authenticate(r, func() string { return sigv4.StreamingEventsPayload })
	if ae != nil {
		return nil, ae
	}
	v := sig.NewVerifier()
	v.SetClock(h.now, sigv4.MaxRequestSkew)
	// The JavaScript SDK's signing clock steps back once it has read the response's Date.
	v.AllowBackwards(sigv4.MaxRequestSkew)
	return v, nil
}
