package bedrocktest

import (
	"net/http"
	"strings"
	"time"

	"github.com/framewire/eventstream/sigv4"
)

// authorizeSession checks the request that opens a voice session and returns the verifier
// of its events, or nil when the server asks for no authentication. The request's
// signature covers the headers only (its payload hash is STREAMING-AWS4-HMAC-SHA256-EVENTS)
// and seeds the chain of the events' signatures. Bearer tokens are refused: the operation
// takes SigV4 only.
func authorizeSession(cfg *Config, r *http.Request, now func() time.Time) (*sigv4.Verifier, *authError) {
	if len(cfg.Credentials) == 0 && cfg.BearerToken == "" {
		return nil, nil
	}
	if strings.HasPrefix(r.Header.Get("Authorization"), "Bearer ") || len(cfg.Credentials) == 0 {
		return nil, &authError{AccessDeniedException, "Bearer token authentication is not supported for InvokeModelWithBidirectionalStream; sign the request with SigV4."}
	}
	creds := make([]sigv4.Credentials, len(cfg.Credentials))
	for i, c := range cfg.Credentials {
		creds[i] = sigv4.Credentials{AccessKeyID: c.AccessKeyID, SecretAccessKey: c.SecretAccessKey}
	}
	rv := sigv4.RequestVerifier{Service: "bedrock", Credentials: sigv4.StaticCredentials(creds...), Now: now, MaxSkew: MaxClockSkew}
	sig, err := rv.Verify(r, sigv4.StreamingEventsPayload)
	if err != nil {
		if re, ok := err.(*sigv4.RequestError); ok {
			return nil, &authError{re.Code, re.Message}
		}
		return nil, &authError{InvalidSignatureException, err.Error()}
	}
	v := sig.NewVerifier()
	v.SetClock(now, MaxClockSkew)
	// The JavaScript SDK's signing clock steps back once it has read the response's Date.
	v.AllowBackwards(MaxClockSkew)
	return v, nil
}
