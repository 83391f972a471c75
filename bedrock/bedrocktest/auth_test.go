package bedrocktest

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/framewire/eventstream/sigv4"
)

var authCreds = []sigv4.Credentials{
	{AccessKeyID: "AKIDTEST", SecretAccessKey: "s3cr3t"},
	{AccessKeyID: "ASIATEMP", SecretAccessKey: "tmp", SessionToken: "the-token"},
}

// withSignedHeaders returns r's Authorization header with SignedHeaders replaced: the
// checks of the list come before the signature's.
func withSignedHeaders(r *http.Request, list string) string {
	a := r.Header.Get("Authorization")
	i := strings.Index(a, "SignedHeaders=") + len("SignedHeaders=")
	j := i + strings.IndexByte(a[i:], ',')
	return a[:i] + list + a[j:]
}

func TestSigV4Verification(t *testing.T) {
	srv := NewServer(Config{Credentials: authCreds, BearerToken: "tok-123"})
	defer srv.Close()
	c := srv.Client()
	body := []byte(claudeBody("signed"))
	target := srv.URL + "/model/" + url.PathEscape(claude) + "/invoke"
	now := time.Now()
	sign := func(c sigv4.Credentials, at time.Time, payloadHash string) func(r *http.Request) {
		return func(r *http.Request) {
			if _, err := sigv4.SignRequest(r, c, "us-west-2", "bedrock", payloadHash, at); err != nil {
				t.Fatal(err)
			}
		}
	}
	good := sign(authCreds[0], now, sigv4.PayloadHash(body))
	tests := []struct {
		name string
		mod  func(r *http.Request)
		sent []byte // the body sent, when not the one signed
		code string // the refusal's error name; none for 200
		msg  string // the start of its message
	}{
		{name: "good", mod: good},
		{name: "session token", mod: sign(authCreds[1], now, sigv4.PayloadHash(body))},
		{name: "another region", mod: func(r *http.Request) {
			sigv4.SignRequest(r, authCreds[0], "ap-south-2", "bedrock", sigv4.PayloadHash(body), now)
		}},
		{name: "4 minutes behind", mod: sign(authCreds[0], now.Add(-4*time.Minute), sigv4.PayloadHash(body))},
		{name: "4 minutes ahead", mod: sign(authCreds[0], now.Add(4*time.Minute), sigv4.PayloadHash(body))},
		{name: "bearer", mod: func(r *http.Request) { r.Header.Set("Authorization", "Bearer tok-123") }},

		{name: "unsigned", mod: func(r *http.Request) {},
			code: "MissingAuthenticationTokenException", msg: "Missing Authentication Token"},
		{name: "unknown key", mod: sign(sigv4.Credentials{AccessKeyID: "AKIDOTHER", SecretAccessKey: "s3cr3t"}, now, sigv4.PayloadHash(body)),
			code: "UnrecognizedClientException", msg: "The security token included in the request is invalid."},
		{name: "wrong session token", mod: sign(sigv4.Credentials{AccessKeyID: "ASIATEMP", SecretAccessKey: "tmp", SessionToken: "old"}, now, sigv4.PayloadHash(body)),
			code: "UnrecognizedClientException", msg: "The security token included in the request is invalid."},
		{name: "wrong secret", mod: sign(sigv4.Credentials{AccessKeyID: "AKIDTEST", SecretAccessKey: "wrong"}, now, sigv4.PayloadHash(body)),
			code: "InvalidSignatureException", msg: "The request signature we calculated does not match the signature you provided."},
		{name: "10 minutes ahead", mod: sign(authCreds[0], now.Add(10*time.Minute), sigv4.PayloadHash(body)),
			code: "InvalidSignatureException", msg: "Signature not yet current: " + now.Add(10*time.Minute).UTC().Format("20060102T150405Z") + " is still later than "},
		{name: "10 minutes behind", mod: sign(authCreds[0], now.Add(-10*time.Minute), sigv4.PayloadHash(body)),
			code: "InvalidSignatureException", msg: "Signature expired: " + now.Add(-10*time.Minute).UTC().Format("20060102T150405Z") + " is now earlier than "},
		{name: "host not signed", mod: func(r *http.Request) {
			good(r)
			r.Header.Set("Authorization", withSignedHeaders(r, "content-length;content-type;x-amz-date"))
		}, code: "InvalidSignatureException", msg: "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."},
		{name: "x-amz-date not signed", mod: func(r *http.Request) {
			good(r)
			r.Header.Set("Authorization", withSignedHeaders(r, "content-length;content-type;host"))
		}, code: "InvalidSignatureException", msg: "'X-Amz-Date' must be a 'SignedHeader' in the AWS Authorization."},
		{name: "scope date not the request's", mod: func(r *http.Request) {
			good(r)
			day := now.UTC().Format("20060102")
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), "/"+day+"/", "/19991231/", 1))
		}, code: "InvalidSignatureException", msg: "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '19991231' != "},
		{name: "scope of another service", mod: func(r *http.Request) {
			sigv4.SignRequest(r, authCreds[0], "us-west-2", "bedrock-runtime", sigv4.PayloadHash(body), now)
		}, code: "InvalidSignatureException", msg: "Credential should be scoped to correct service: 'bedrock'."},
		{name: "changed body", mod: good, sent: []byte(claudeBody("SIGNED")),
			code: "InvalidSignatureException", msg: "The request signature we calculated does not match"},
		{name: "UNSIGNED-PAYLOAD with a changed body", mod: func(r *http.Request) {
			r.Header.Set("X-Amz-Content-Sha256", sigv4.UnsignedPayload)
			sign(authCreds[0], now, sigv4.UnsignedPayload)(r)
		}, sent: []byte(claudeBody("SIGNED")),
			code: "InvalidSignatureException", msg: "The request signature we calculated does not match"},
		{name: "event stream payload on /invoke", mod: func(r *http.Request) {
			r.Header.Set("X-Amz-Content-Sha256", sigv4.StreamingEventsPayload)
			sign(authCreds[0], now, sigv4.StreamingEventsPayload)(r)
		}, code: "InvalidSignatureException", msg: "The request signature we calculated does not match"},
		{name: "header changed after signing", mod: func(r *http.Request) {
			good(r)
			r.Header.Set("Content-Type", "application/json; charset=utf-8")
		}, code: "InvalidSignatureException", msg: "The request signature we calculated does not match"},
		{name: "wrong bearer", mod: func(r *http.Request) { r.Header.Set("Authorization", "Bearer nope") },
			code: "UnrecognizedClientException", msg: "The security token included in the request is invalid."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, _ := http.NewRequest("POST", target, strings.NewReader(string(body)))
			r.Header.Set("Content-Type", "application/json")
			tt.mod(r)
			if tt.sent != nil {
				r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(tt.sent)), int64(len(tt.sent))
				r.GetBody = nil
			}
			resp, err := c.Do(r)
			if err != nil {
				t.Fatal(err)
			}
			if tt.code == "" {
				resp.Body.Close()
				if resp.StatusCode != 200 {
					t.Errorf("status %d, want 200", resp.StatusCode)
				}
				return
			}
			name, status, msg := apiError(t, resp)
			if name != tt.code || status != 403 || !strings.HasPrefix(msg, tt.msg) {
				t.Errorf("%d %s %q\nwant 403 %s %q", status, name, msg, tt.code, tt.msg)
			}
		})
	}
}

// TestSigV4HTTP2Authority sends a request over h2c whose signature names ":authority"
// instead of "host", as the AWS SDK for JavaScript signs requests it sends over HTTP/2.
func TestSigV4HTTP2Authority(t *testing.T) {
	srv := NewServer(Config{Credentials: authCreds})
	defer srv.Close()
	body := []byte(claudeBody("h2"))
	u, _ := url.Parse(srv.URL)
	r, _ := http.NewRequest("POST", srv.URL+"/model/"+url.PathEscape(claude)+"/invoke", strings.NewReader(string(body)))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("X-Amz-Content-Sha256", sigv4.PayloadHash(body))
	signAuthority(t, r, u.Host, body)

	tr := &http.Transport{Protocols: new(http.Protocols)}
	tr.Protocols.SetUnencryptedHTTP2(true)
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr}).Do(r)
	if err != nil {
		t.Fatal(err)
	}
	name, status, msg := apiError(t, resp)
	if resp.ProtoMajor != 2 || status != 200 {
		t.Errorf("%s: %d %s %q, want HTTP/2 200", resp.Proto, status, name, msg)
	}
}

// signAuthority signs r with ":authority" = host in place of the host header, building the
// canonical request and the signature from SigV4's description: an independent check of
// package sigv4's handling of ":authority".
func signAuthority(t *testing.T, r *http.Request, host string, body []byte) {
	t.Helper()
	at := time.Now().UTC()
	amz := at.Format("20060102T150405Z")
	r.Header.Set("X-Amz-Date", amz)
	var path strings.Builder // the escaped path escaped once more
	for _, b := range []byte(r.URL.EscapedPath()) {
		if 'A' <= b && b <= 'Z' || 'a' <= b && b <= 'z' || '0' <= b && b <= '9' || strings.IndexByte("-_.~/", b) >= 0 {
			path.WriteByte(b)
		} else {
			fmt.Fprintf(&path, "%%%02X", b)
		}
	}
	hash := sigv4.PayloadHash(body)
	const signed = ":authority;content-type;x-amz-content-sha256;x-amz-date"
	creq := "POST\n" + path.String() + "\n\n" +
		":authority:" + host + "\n" +
		"content-type:application/json\n" +
		"x-amz-content-sha256:" + hash + "\n" +
		"x-amz-date:" + amz + "\n\n" +
		signed + "\n" + hash
	mac := func(key []byte, data string) []byte {
		m := hmac.New(sha256.New, key)
		m.Write([]byte(data))
		return m.Sum(nil)
	}
	scope := amz[:8] + "/us-west-2/bedrock/aws4_request"
	key := mac(mac(mac(mac([]byte("AWS4"+authCreds[0].SecretAccessKey), amz[:8]), "us-west-2"), "bedrock"), "aws4_request")
	sts := "AWS4-HMAC-SHA256\n" + amz + "\n" + scope + "\n" + sigv4.PayloadHash([]byte(creq))
	r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKIDTEST/"+scope+", SignedHeaders="+signed+
		", Signature="+hex.EncodeToString(mac(key, sts)))
}

// TestSigV4DefaultPort checks that a host signed without the default port verifies when
// the request names it, and the other way round, through the handler.
func TestSigV4DefaultPort(t *testing.T) {
	h := NewHandler(Config{Credentials: authCreds})
	body := []byte(claudeBody("port"))
	for _, tc := range []struct{ signed, received string }{
		{"http://bedrock.local/", "bedrock.local:80"},
		{"http://bedrock.local:80/", "bedrock.local"},
		{"https://bedrock.local/", "bedrock.local:443"},
	} {
		c, _ := http.NewRequest("POST", tc.signed+"model/"+url.PathEscape(claude)+"/invoke", strings.NewReader(string(body)))
		c.Header.Set("Content-Type", "application/json")
		if _, err := sigv4.SignRequest(c, authCreds[0], "us-east-1", "bedrock", sigv4.PayloadHash(body), time.Now()); err != nil {
			t.Fatal(err)
		}
		r := httptest.NewRequest("POST", c.URL.RequestURI(), strings.NewReader(string(body)))
		r.Host = tc.received
		r.Header = c.Header
		if strings.HasPrefix(tc.signed, "https") {
			r.TLS = &tls.ConnectionState{}
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != 200 {
			t.Errorf("signed for %s, received as Host %s: %d %s", tc.signed, tc.received, w.Code, w.Body)
		}
	}
}

func TestDefaultAcceptsAnything(t *testing.T) {
	srv := NewServer(Config{})
	defer srv.Close()
	r, _ := http.NewRequest("POST", srv.URL+"/model/"+url.PathEscape(claude)+"/invoke", strings.NewReader(claudeBody("x")))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=ANY/20200101/us-east-1/bedrock/aws4_request, SignedHeaders=host, Signature=00")
	resp, err := srv.Client().Do(r)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("status %d", resp.StatusCode)
	}
}
