package bedrocktest

import (
	"net/http"
	"strings"
	"time"

	"github.com/framewire/eventstream/bedrock"
	"github.com/framewire/eventstream/sigv4"
)

// authorizeSession checks the request that opens a voice session and returns the verifier
// of its events, or nil when the server asks for no authentication. The request's
// signature covers the headers only (X-Amz-Content-Sha256 is
// STREAMING-AWS4-HMAC-SHA256-EVENTS) and seeds the chain of the events' signatures.
// Bearer tokens are refused: the operation takes SigV4 only.
func authorizeSession(cfg *Config, r *http.Request, now func() time.Time) (*sigv4.Verifier, *authError) {
	if len(cfg.Credentials) == 0 && cfg.BearerToken == "" {
		return nil, nil
	}
	auth := r.Header.Get("Authorization")
	if strings.HasPrefix(auth, "Bearer ") || len(cfg.Credentials) == 0 {
		return nil, &authError{AccessDeniedException, "Bearer token authentication is not supported for InvokeModelWithBidirectionalStream; sign the request with SigV4."}
	}
	if h := r.Header.Get("X-Amz-Content-Sha256"); h != bedrock.StreamingEventsPayload {
		return nil, &authError{InvalidSignatureException, "The x-amz-content-sha256 header of InvokeModelWithBidirectionalStream must be " + bedrock.StreamingEventsPayload + "."}
	}
	if ae := verifySigV4(cfg.Credentials, r, nil, now()); ae != nil {
		return nil, ae
	}
	a, _ := parseSigV4Auth(auth)
	seed, err := sigv4.SeedFromAuthorization(auth)
	if err != nil {
		return nil, &authError{InvalidSignatureException, msgBadSignature}
	}
	var secret string
	for _, c := range cfg.Credentials {
		if c.AccessKeyID == a.keyID {
			secret = c.SecretAccessKey
			break
		}
	}
	v := sigv4.NewVerifier(sigv4.Credentials{AccessKeyID: a.keyID, SecretAccessKey: secret}, a.region, a.service, seed)
	v.SetClock(now, MaxClockSkew)
	// The JavaScript SDK's signing clock steps back once it has read the response's Date.
	v.AllowBackwards(MaxClockSkew)
	return v, nil
}
