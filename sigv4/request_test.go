package sigv4

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// The "get-vanilla", "get-vanilla-query-order-key-case" and "get-vanilla-query-unreserved"
// cases of the public AWS SigV4 test suite: credentials AKIDEXAMPLE /
// wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY, service "service", region us-east-1,
// 2015-08-30T12:36:00Z.
func TestSignRequestSuiteVectors(t *testing.T) {
	c := Credentials{AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"}
	at := time.Date(2015, 8, 30, 12, 36, 0, 0, time.UTC)
	for _, tc := range []struct{ target, sig string }{
		{"/", "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"},
		{"/?Param2=value2&Param1=value1", "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"},
		{"/?-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz=-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
			"9c3e54bfcdf0b19771a7f523ee5669cdf59bc7cc0884027167c21bb143a40197"},
	} {
		r, err := http.NewRequest("GET", "http://example.amazonaws.com"+tc.target, nil)
		if err != nil {
			t.Fatal(err)
		}
		seed, err := SignRequest(r, c, "us-east-1", "service", PayloadHash(nil), at)
		if err != nil {
			t.Fatal(err)
		}
		want := "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=" + tc.sig
		if got := r.Header.Get("Authorization"); got != want || hex.EncodeToString(seed) != tc.sig {
			t.Errorf("%s: Authorization %q, seed %x\nwant %q", tc.target, got, seed, want)
		}
	}
}

func TestSignRequestRefuses(t *testing.T) {
	r := httptest.NewRequest("POST", "http://localhost/", nil)
	c := Credentials{AccessKeyID: "AKID", SecretAccessKey: "secret"}
	for name, err := range map[string]error{
		"nil request":    second(SignRequest(nil, c, "us-east-1", "bedrock", PayloadHash(nil), time.Now())),
		"no hash":        second(SignRequest(r, c, "us-east-1", "bedrock", "", time.Now())),
		"no credentials": second(SignRequest(r, Credentials{}, "us-east-1", "bedrock", PayloadHash(nil), time.Now())),
	} {
		if err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func second[T any](_ T, err error) error { return err }

var (
	reqCreds = Credentials{AccessKeyID: "AKIDTEST", SecretAccessKey: "s3cr3t"}
	testNow  = time.Date(2026, 1, 1, 0, 10, 0, 0, time.UTC)
	testBody = []byte(`{"messages":[{"role":"user","content":[{"text":"hi"}]}]}`)
)

// serverRequest turns a signed client request into the request a server receives.
func serverRequest(t testing.TB, c *http.Request, body []byte) *http.Request {
	t.Helper()
	r := httptest.NewRequest(c.Method, c.URL.RequestURI(), bytes.NewReader(body))
	r.Host = c.Host
	if r.Host == "" {
		r.Host = c.URL.Host
	}
	r.Header = c.Header.Clone()
	return r
}

// signWith signs like SignRequest but with the signed header list, host and payload hash
// given: for the requests that no SDK makes.
func signWith(r *http.Request, c Credentials, service string, at time.Time, names []string, host, payloadHash string) {
	amz := at.UTC().Format(timeFormat)
	if r.Header.Get("Date") == "" {
		r.Header.Set("X-Amz-Date", amz)
	}
	cr := canonicalRequest{method: r.Method, path: requestPath(r.URL), query: canonicalQuery(r.URL.RawQuery), names: names, payloadHash: payloadHash}
	creq := cr.build(func(name string) []string {
		if name == "host" || name == ":authority" {
			return []string{host}
		}
		return r.Header.Values(name)
	})
	scope := amz[:8] + "/us-west-2/" + service + "/aws4_request"
	sig := requestSignature(c.SecretAccessKey, amz[:8], "us-west-2", service, amz, scope, creq)
	r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential="+c.AccessKeyID+"/"+scope+", SignedHeaders="+
		strings.Join(names, ";")+", Signature="+hex.EncodeToString(sig))
}

func TestVerifyRequest(t *testing.T) {
	withToken := Credentials{AccessKeyID: "ASIATEMP", SecretAccessKey: "tmp-secret", SessionToken: "the-token"}
	v := &RequestVerifier{
		Service:     "bedrock",
		Credentials: StaticCredentials(reqCreds, withToken),
		Now:         func() time.Time { return testNow },
	}
	const (
		invoke = "http://127.0.0.1:8085/model/anthropic.claude-3-haiku-20240307-v1%3A0/converse"
		bidi   = "http://127.0.0.1:8085/model/amazon.nova-sonic-v1%3A0/invoke-with-bidirectional-stream"
	)
	bodyHash := PayloadHash(testBody)
	// sign returns a client request signed by SignRequest, as the Go SDK signs.
	sign := func(target string, c Credentials, at time.Time, payloadHash string) *http.Request {
		r, _ := http.NewRequest("POST", target, bytes.NewReader(testBody))
		r.Header.Set("Content-Type", "application/json")
		if _, err := SignRequest(r, c, "us-west-2", "bedrock", payloadHash, at); err != nil {
			t.Fatal(err)
		}
		return r
	}
	manual := func(target string, names []string, host string, mod func(r *http.Request)) *http.Request {
		r, _ := http.NewRequest("POST", target, bytes.NewReader(testBody))
		r.Header.Set("Content-Type", "application/json")
		if mod != nil {
			mod(r)
		}
		signWith(r, reqCreds, "bedrock", testNow, names, host, bodyHash)
		return r
	}
	tests := []struct {
		name        string
		req         *http.Request
		body        []byte // as received; testBody when nil
		payloadHash string // what the server hashes; bodyHash when empty
		mod         func(r *http.Request)
		code, msg   string // the refusal; none when code is empty
	}{
		{name: "Go SDK", req: sign(invoke, reqCreds, testNow, bodyHash)},
		{name: "any region", req: func() *http.Request {
			r, _ := http.NewRequest("POST", invoke, nil)
			SignRequest(r, reqCreds, "xx-nowhere-9", "bedrock", bodyHash, testNow)
			return r
		}()},
		{name: "session token", req: sign(invoke, withToken, testNow, bodyHash)},
		{name: "wrong session token", req: sign(invoke, withToken, testNow, bodyHash),
			mod:  func(r *http.Request) { r.Header.Set("X-Amz-Security-Token", "other") },
			code: UnrecognizedClient, msg: "The security token included in the request is invalid."},
		{name: "session token for credentials without one",
			req: sign(invoke, Credentials{AccessKeyID: "AKIDTEST", SecretAccessKey: "s3cr3t", SessionToken: "any"}, testNow, bodyHash)},
		{name: "4m59s behind", req: sign(invoke, reqCreds, testNow.Add(-5*time.Minute+time.Second), bodyHash)},
		{name: "5m ahead", req: sign(invoke, reqCreds, testNow.Add(5*time.Minute), bodyHash)},
		{name: "event stream body", req: sign(bidi, reqCreds, testNow, StreamingEventsPayload), payloadHash: StreamingEventsPayload},
		{name: "JS SDK over HTTP/2 (:authority)",
			req: manual(invoke, []string{":authority", "content-type", "x-amz-content-sha256", "x-amz-date"}, "127.0.0.1:8085",
				func(r *http.Request) { r.Header.Set("X-Amz-Content-Sha256", bodyHash) })},
		{name: "host signed without the default port", req: manual("http://localhost:80/model/m/converse", []string{"host", "x-amz-date"}, "localhost", nil)},
		{name: "host signed with the default port", req: manual("http://localhost/model/m/converse", []string{"host", "x-amz-date"}, "localhost:80", nil)},
		{name: "Date header instead of X-Amz-Date", req: manual(invoke, []string{"date", "host"}, "127.0.0.1:8085",
			func(r *http.Request) { r.Header.Set("Date", testNow.Format(http.TimeFormat)) })},

		{name: "no Authorization", req: func() *http.Request { r, _ := http.NewRequest("POST", invoke, nil); return r }(),
			code: MissingAuthenticationToken, msg: "Missing Authentication Token"},
		{name: "unknown key", req: sign(invoke, Credentials{AccessKeyID: "AKIDOTHER", SecretAccessKey: "s3cr3t"}, testNow, bodyHash),
			code: UnrecognizedClient, msg: "The security token included in the request is invalid."},
		{name: "wrong secret", req: sign(invoke, Credentials{AccessKeyID: "AKIDTEST", SecretAccessKey: "wrong"}, testNow, bodyHash),
			code: InvalidSignature, msg: msgBadSignature},
		{name: "host not signed", req: manual(invoke, []string{"content-type", "x-amz-date"}, "", nil),
			code: InvalidSignature, msg: "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."},
		{name: "x-amz-date not signed", req: manual(invoke, []string{"content-type", "host"}, "127.0.0.1:8085", nil),
			code: InvalidSignature, msg: "'X-Amz-Date' must be a 'SignedHeader' in the AWS Authorization."},
		{name: "date not signed", req: manual(invoke, []string{"host"}, "127.0.0.1:8085",
			func(r *http.Request) { r.Header.Set("Date", testNow.Format(http.TimeFormat)) }),
			code: InvalidSignature, msg: "'Date' must be a 'SignedHeader' in the AWS Authorization."},
		{name: "no date", req: sign(invoke, reqCreds, testNow, bodyHash), mod: func(r *http.Request) { r.Header.Del("X-Amz-Date") },
			code: IncompleteSignature, msg: "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization=AWS4-HMAC-SHA256 Credential="},
		{name: "date not ISO 8601", req: sign(invoke, reqCreds, testNow, bodyHash), mod: func(r *http.Request) { r.Header.Set("X-Amz-Date", "2026-01-01T00:10:00Z") },
			code: IncompleteSignature, msg: "Date must be in ISO-8601 'basic format'. Got '2026-01-01T00:10:00Z'. See http://en.wikipedia.org/wiki/ISO_8601"},
		{name: "scope date is not the request's", req: sign(invoke, reqCreds, testNow, bodyHash),
			mod: func(r *http.Request) {
				r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), "/20260101/", "/20251231/", 1))
			},
			code: InvalidSignature, msg: "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '20251231' != '20260101', from '20260101T001000Z'."},
		{name: "scope of another service", req: func() *http.Request {
			r, _ := http.NewRequest("POST", invoke, nil)
			SignRequest(r, reqCreds, "us-west-2", "bedrock-runtime", bodyHash, testNow)
			return r
		}(), code: InvalidSignature, msg: "Credential should be scoped to correct service: 'bedrock'."},
		{name: "5m01s ahead", req: sign(invoke, reqCreds, testNow.Add(5*time.Minute+time.Second), bodyHash),
			code: InvalidSignature, msg: "Signature not yet current: 20260101T001501Z is still later than 20260101T001500Z (20260101T001000Z + 5 min.)"},
		{name: "5m01s behind", req: sign(invoke, reqCreds, testNow.Add(-5*time.Minute-time.Second), bodyHash),
			code: InvalidSignature, msg: "Signature expired: 20260101T000459Z is now earlier than 20260101T000500Z (20260101T001000Z - 5 min.)"},
		{name: "changed body", req: sign(invoke, reqCreds, testNow, bodyHash), body: []byte(`{"messages":[]}`),
			code: InvalidSignature, msg: msgBadSignature},
		{name: "UNSIGNED-PAYLOAD", req: sign(invoke, reqCreds, testNow, UnsignedPayload),
			mod:  func(r *http.Request) { r.Header.Set("X-Amz-Content-Sha256", UnsignedPayload) },
			code: InvalidSignature, msg: msgBadSignature},
		{name: "UNSIGNED-PAYLOAD with a changed body", req: sign(invoke, reqCreds, testNow, UnsignedPayload), body: []byte(`{}`),
			code: InvalidSignature, msg: msgBadSignature},
		{name: "event stream signature on a JSON operation", req: sign(invoke, reqCreds, testNow, StreamingEventsPayload),
			code: InvalidSignature, msg: msgBadSignature},
		{name: "body hash on an event stream operation", req: sign(bidi, reqCreds, testNow, bodyHash), payloadHash: StreamingEventsPayload,
			code: InvalidSignature, msg: msgBadSignature},
		{name: "header changed after signing", req: sign(invoke, reqCreds, testNow, bodyHash),
			mod:  func(r *http.Request) { r.Header.Set("Content-Type", "application/json; charset=utf-8") },
			code: InvalidSignature, msg: msgBadSignature},
		{name: "query added after signing", req: sign(invoke, reqCreds, testNow, bodyHash),
			mod:  func(r *http.Request) { r.URL.RawQuery = "x=1" },
			code: InvalidSignature, msg: msgBadSignature},
		{name: "uppercase hex signature", req: sign(invoke, reqCreds, testNow, bodyHash),
			mod: func(r *http.Request) {
				a := r.Header.Get("Authorization")
				i := strings.LastIndex(a, "=")
				r.Header.Set("Authorization", a[:i+1]+strings.ToUpper(a[i+1:]))
			},
			code: InvalidSignature, msg: msgBadSignature},
		{name: "another algorithm", req: sign(invoke, reqCreds, testNow, bodyHash),
			mod: func(r *http.Request) {
				r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256", "AWS4-HMAC-SHA1", 1))
			},
			code: IncompleteSignature, msg: "Unsupported AWS 'algorithm': 'AWS4-HMAC-SHA1' (only AWS4-HMAC-SHA256 for now). "},
		{name: "no signature", req: sign(invoke, reqCreds, testNow, bodyHash),
			mod: func(r *http.Request) {
				r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKIDTEST/20260101/us-west-2/bedrock/aws4_request, SignedHeaders=host")
			},
			code: IncompleteSignature, msg: "Authorization header requires 'Signature' parameter. Authorization=AWS4-HMAC-SHA256 Credential="},
		{name: "short credential", req: sign(invoke, reqCreds, testNow, bodyHash),
			mod: func(r *http.Request) {
				r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKIDTEST, SignedHeaders=host, Signature=00")
			},
			code: IncompleteSignature, msg: "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got 'AKIDTEST'"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.mod != nil {
				tt.mod(tt.req)
			}
			body := tt.body
			if body == nil {
				body = testBody
			}
			hash := tt.payloadHash
			if hash == "" {
				hash = PayloadHash(body)
			}
			r := serverRequest(t, tt.req, body)
			s, err := v.Verify(r, hash)
			if tt.code == "" {
				if err != nil {
					t.Fatal(err)
				}
				seed, err := SeedFromAuthorization(r.Header.Get("Authorization"))
				if err != nil || !bytes.Equal(s.Signature, seed) {
					t.Errorf("seed %x, want %x", s.Signature, seed)
				}
				return
			}
			var re *RequestError
			if !errors.As(err, &re) {
				t.Fatalf("error %v, want a *RequestError", err)
			}
			if re.Code != tt.code || !strings.HasPrefix(re.Message, tt.msg) {
				t.Errorf("refused with %s %q\nwant %s %q", re.Code, re.Message, tt.code, tt.msg)
			}
		})
	}
}

// TestVerifyRequestSeedStartsChain checks that the signature Verify returns is the seed a
// client's Signer chains from: the first frame the client signs verifies.
func TestVerifyRequestSeedStartsChain(t *testing.T) {
	c, _ := http.NewRequest("POST", "http://127.0.0.1:8085/model/m/invoke-with-bidirectional-stream", nil)
	seed, err := SignRequest(c, reqCreds, "us-east-1", "bedrock", StreamingEventsPayload, testNow)
	if err != nil {
		t.Fatal(err)
	}
	v := &RequestVerifier{Service: "bedrock", Credentials: StaticCredentials(reqCreds), Now: func() time.Time { return testNow }}
	s, err := v.Verify(serverRequest(t, c, nil), StreamingEventsPayload)
	if err != nil {
		t.Fatal(err)
	}
	frame, err := NewSigner(reqCreds, "us-east-1", "bedrock", seed).Sign(nil, []byte("inner frame"), testNow)
	if err != nil {
		t.Fatal(err)
	}
	rd := NewReader(bytes.NewReader(frame), s.NewVerifier())
	inner, err := rd.Next()
	if err != nil || string(inner) != "inner frame" {
		t.Fatalf("first frame: %q, %v", inner, err)
	}
}

func TestVerifyRequestSkewSetting(t *testing.T) {
	c, _ := http.NewRequest("POST", "http://127.0.0.1:8085/model/m/converse", nil)
	SignRequest(c, reqCreds, "us-east-1", "bedrock", PayloadHash(nil), testNow.Add(-90*time.Second))
	v := &RequestVerifier{Service: "bedrock", Credentials: StaticCredentials(reqCreds),
		Now: func() time.Time { return testNow }, MaxSkew: time.Minute}
	_, err := v.Verify(serverRequest(t, c, nil), PayloadHash(nil))
	want := "Signature expired: 20260101T000830Z is now earlier than 20260101T000900Z (20260101T001000Z - 1 min.)"
	if re, ok := err.(*RequestError); !ok || re.Message != want {
		t.Errorf("got %v, want %q", err, want)
	}
}

// TestVerifyMismatchMessage checks the whole message of a signature that does not match: the
// service's sentence, then the canonical request and the string to sign the client should
// have signed, built here by hand from SigV4's rules (the escaped path's segments encoded
// again, the host as received).
func TestVerifyMismatchMessage(t *testing.T) {
	body := []byte(`{"messages":[]}`)
	c, _ := http.NewRequest("POST", "http://127.0.0.1:8085/model/amazon.nova-lite-v1%3A0/converse", bytes.NewReader(body))
	c.Header.Set("Content-Type", "application/json")
	wrong := Credentials{AccessKeyID: reqCreds.AccessKeyID, SecretAccessKey: "not the secret"}
	if _, err := SignRequest(c, wrong, "us-west-2", "bedrock", PayloadHash(body), testNow); err != nil {
		t.Fatal(err)
	}
	v := &RequestVerifier{Service: "bedrock", Credentials: StaticCredentials(reqCreds), Now: func() time.Time { return testNow }}
	_, err := v.Verify(serverRequest(t, c, body), PayloadHash(body))
	creq := "POST\n/model/amazon.nova-lite-v1%253A0/converse\n\n" +
		"content-length:15\ncontent-type:application/json\nhost:127.0.0.1:8085\nx-amz-date:20260101T001000Z\n\n" +
		"content-length;content-type;host;x-amz-date\n" + PayloadHash(body)
	sum := sha256.Sum256([]byte(creq))
	sts := "AWS4-HMAC-SHA256\n20260101T001000Z\n20260101/us-west-2/bedrock/aws4_request\n" + hex.EncodeToString(sum[:])
	want := "The request signature we calculated does not match the signature you provided. " +
		"Check your AWS Secret Access Key and signing method. Consult the service documentation for details." +
		"\n\nThe Canonical String for this request should have been\n'" + creq +
		"'\n\nThe String-to-Sign should have been\n'" + sts + "'\n"
	var re *RequestError
	if !errors.As(err, &re) || re.Code != InvalidSignature || re.Message != want {
		t.Errorf("got %v\nwant InvalidSignatureException: %s", err, want)
	}
}
