package bedrocktest

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// The "get-vanilla" and "get-vanilla-query-order-key-case" cases of the public AWS SigV4
// test suite: credentials AKIDEXAMPLE / wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY, service
// "service", region us-east-1, 2015-08-30T12:36:00Z.
func TestSigV4SuiteVectors(t *testing.T) {
	const secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
	for _, tc := range []struct{ target, sig string }{
		{"/", "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"},
		{"/?Param2=value2&Param1=value1", "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"},
	} {
		r, err := http.ReadRequest(bufio.NewReader(strings.NewReader("GET " + tc.target + " HTTP/1.1\r\nHost: example.amazonaws.com\r\nX-Amz-Date: 20150830T123600Z\r\n\r\n")))
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(nil)
		creq := canonicalRequest(r, []string{"host", "x-amz-date"}, r.Host, hex.EncodeToString(sum[:]))
		h := sha256.Sum256([]byte(creq))
		sts := "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n" + hex.EncodeToString(h[:])
		got := hex.EncodeToString(hmacSHA256(signingKey(secret, "20150830", "us-east-1", "service"), sts))
		if got != tc.sig {
			t.Errorf("%s: signature %s, want %s\ncanonical request:\n%s", tc.target, got, tc.sig, creq)
		}
	}
}

// testSign signs r the way the AWS SDKs do for service bedrock (the path label escaped once
// in the URL and once more in the canonical request), for the checks below that are not
// about the signature algorithm itself (the vectors above and the real SDKs in
// internal/interop cover that).
func testSign(r *http.Request, body []byte, keyID, secret string, at time.Time, extraSigned ...string) {
	date := at.UTC().Format("20060102T150405Z")
	r.Header.Set("X-Amz-Date", date)
	sum := sha256.Sum256(body)
	payload := hex.EncodeToString(sum[:])
	signed := append([]string{"content-type", "host", "x-amz-date"}, extraSigned...)
	if h := r.Header.Get("X-Amz-Content-Sha256"); h != "" {
		payload = h
		signed = append(signed, "x-amz-content-sha256")
	}
	r.RequestURI = r.URL.RequestURI()
	creq := canonicalRequest(r, signed, r.URL.Host, payload)
	h := sha256.Sum256([]byte(creq))
	scope := date[:8] + "/us-west-2/bedrock/aws4_request"
	sts := "AWS4-HMAC-SHA256\n" + date + "\n" + scope + "\n" + hex.EncodeToString(h[:])
	sig := hex.EncodeToString(hmacSHA256(signingKey(secret, date[:8], "us-west-2", "bedrock"), sts))
	r.RequestURI = ""
	r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential="+keyID+"/"+scope+", SignedHeaders="+strings.Join(signed, ";")+", Signature="+sig)
}

func TestSigV4Verification(t *testing.T) {
	srv := NewServer(Config{Credentials: []Credentials{{"AKIDTEST", "s3cr3t"}}, BearerToken: "tok-123"})
	defer srv.Close()
	c := srv.Client()
	body := []byte(claudeBody("signed"))
	send := func(mod func(r *http.Request)) (string, int) {
		r, _ := http.NewRequest("POST", srv.URL+"/model/"+url.PathEscape(claude)+"/invoke", strings.NewReader(string(body)))
		r.Header.Set("Content-Type", "application/json")
		mod(r)
		resp, err := c.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		name, status, _ := apiError(t, resp)
		return name, status
	}
	now := time.Now()
	tests := []struct {
		name   string
		mod    func(r *http.Request)
		error  string
		status int
	}{
		{"good", func(r *http.Request) { testSign(r, body, "AKIDTEST", "s3cr3t", now) }, "", 200},
		{"good with content sha", func(r *http.Request) {
			sum := sha256.Sum256(body)
			r.Header.Set("X-Amz-Content-Sha256", hex.EncodeToString(sum[:]))
			testSign(r, body, "AKIDTEST", "s3cr3t", now)
		}, "", 200},
		{"unsigned payload", func(r *http.Request) {
			r.Header.Set("X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD")
			testSign(r, body, "AKIDTEST", "s3cr3t", now)
		}, "", 200},
		{"4 minutes skew", func(r *http.Request) { testSign(r, body, "AKIDTEST", "s3cr3t", now.Add(-4*time.Minute)) }, "", 200},
		{"bearer", func(r *http.Request) { r.Header.Set("Authorization", "Bearer tok-123") }, "", 200},
		{"unknown key", func(r *http.Request) { testSign(r, body, "AKIDOTHER", "s3cr3t", now) }, UnrecognizedClientException, 403},
		{"wrong secret", func(r *http.Request) { testSign(r, body, "AKIDTEST", "wrong", now) }, InvalidSignatureException, 403},
		{"10 minutes skew", func(r *http.Request) { testSign(r, body, "AKIDTEST", "s3cr3t", now.Add(10*time.Minute)) }, InvalidSignatureException, 403},
		{"content sha mismatch", func(r *http.Request) {
			r.Header.Set("X-Amz-Content-Sha256", strings.Repeat("0", 64))
			testSign(r, body, "AKIDTEST", "s3cr3t", now)
		}, InvalidSignatureException, 403},
		{"header changed after signing", func(r *http.Request) {
			testSign(r, body, "AKIDTEST", "s3cr3t", now)
			r.Header.Set("Content-Type", "application/json; charset=utf-8")
		}, InvalidSignatureException, 403},
		{"wrong bearer", func(r *http.Request) { r.Header.Set("Authorization", "Bearer nope") }, UnrecognizedClientException, 403},
		{"unsigned", func(r *http.Request) {}, "MissingAuthenticationTokenException", 403},
	}
	for _, tt := range tests {
		name, status := send(tt.mod)
		if name != tt.error || status != tt.status {
			t.Errorf("%s: %d %q, want %d %q", tt.name, status, name, tt.status, tt.error)
		}
	}
}

func TestHostForms(t *testing.T) {
	r, _ := http.NewRequest("POST", "http://127.0.0.1:80/x", nil)
	got := strings.Join(hostForms(r), " ")
	if got != "127.0.0.1:80 127.0.0.1" {
		t.Errorf("hostForms = %q", got)
	}
	r.Host = "localhost"
	if got := strings.Join(hostForms(r), " "); got != "localhost localhost:80" {
		t.Errorf("hostForms = %q", got)
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
