package sigv4

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// FuzzVerifyRequest feeds arbitrary Authorization, X-Amz-Date and Host values and paths to
// RequestVerifier.Verify: it must never panic, refuse only with a *RequestError, and accept
// only the signature SignRequest makes.
func FuzzVerifyRequest(f *testing.F) {
	at := time.Date(2026, 1, 1, 0, 10, 0, 0, time.UTC)
	c, _ := http.NewRequest("POST", "http://127.0.0.1:8085/model/m%3A0/converse?a=b", nil)
	SignRequest(c, reqCreds, "us-west-2", "bedrock", PayloadHash(nil), at)
	f.Add(c.Header.Get("Authorization"), c.Header.Get("X-Amz-Date"), "127.0.0.1:8085", "/model/m%3A0/converse?a=b")
	f.Add("AWS4-HMAC-SHA256 Credential=a/b/c/d/e, SignedHeaders=host;x-amz-date, Signature=00", "20260101T001000Z", "h", "/")
	f.Add("AWS4-HMAC-SHA256 ,,=,Credential=////, SignedHeaders=, Signature=", "x", "[::1]:80", "/%zz")
	v := &RequestVerifier{Service: "bedrock", Credentials: StaticCredentials(reqCreds), Now: func() time.Time { return at }}
	f.Fuzz(func(t *testing.T, auth, date, host, target string) {
		r := httptest.NewRequest("POST", "/", nil)
		r.RequestURI = target
		r.Host = host
		r.Header.Set("Authorization", auth)
		r.Header.Set("X-Amz-Date", date)
		s, err := v.Verify(r, PayloadHash(nil))
		if err != nil {
			if _, ok := err.(*RequestError); !ok {
				t.Fatalf("error %T %v, want a *RequestError", err, err)
			}
			return
		}
		if len(s.Signature) != 32 {
			t.Fatalf("accepted with a %d-byte signature", len(s.Signature))
		}
	})
}
