package sigv4check

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/framewire/eventstream/sigv4"
)

// randomRequest returns two identical random requests (method, host with or without a port,
// escaped path, query, headers with repeated values and runs of spaces, body) and the
// body's payload hash or one of the literal payload hashes.
func randomRequest(t *testing.T, r *rand.Rand) (a, b *http.Request, payloadHash string) {
	t.Helper()
	const chars = "abcXYZ019-_.~ /:%+=&;?é\t"
	str := func(n int) string {
		var s strings.Builder
		for range r.IntN(n + 1) {
			s.WriteString(string([]rune(chars)[r.IntN(len([]rune(chars)))]))
		}
		return s.String()
	}
	scheme := []string{"http", "https"}[r.IntN(2)]
	host := []string{"bedrock-runtime.us-east-1.amazonaws.com", "127.0.0.1", "localhost", "[::1]"}[r.IntN(4)]
	switch r.IntN(4) {
	case 0:
		host += ":80"
	case 1:
		host += ":443"
	case 2:
		host += fmt.Sprintf(":%d", 1+r.IntN(65535))
	}
	path := "/model/" + url.PathEscape(str(12)) + "/" + []string{"invoke", "converse-stream", "invoke-with-bidirectional-stream"}[r.IntN(3)]
	var query []string
	for range r.IntN(4) {
		query = append(query, url.QueryEscape(str(5))+"="+url.QueryEscape(str(5)))
	}
	if r.IntN(8) == 0 {
		query = append(query, "a;b=c") // dropped by url.ParseQuery
	}
	body := make([]byte, r.IntN(300))
	for i := range body {
		body[i] = byte(r.IntN(256))
	}
	header := http.Header{}
	names := []string{"Content-Type", "Accept", "X-Amz-Content-Sha256", "X-Amzn-Bedrock-Trace", "Amz-Sdk-Request",
		"Amz-Sdk-Invocation-Id", "User-Agent", "X-Amz-User-Agent", "X-Amzn-Trace-Id", "Expect", "X-Custom"}
	for range r.IntN(len(names) + 1) {
		n := names[r.IntN(len(names))]
		header.Add(n, strings.ReplaceAll(str(10), "\t", "  ")+"  "+str(4)+" ")
	}
	switch r.IntN(4) {
	case 0:
		payloadHash = sigv4.UnsignedPayload
	case 1:
		payloadHash = sigv4.StreamingEventsPayload
	default:
		payloadHash = sigv4.PayloadHash(body)
	}
	method := []string{"POST", "GET", "PUT"}[r.IntN(3)]
	mk := func() *http.Request {
		target := scheme + "://" + host + path
		if len(query) > 0 {
			target += "?" + strings.Join(query, "&")
		}
		req, err := http.NewRequest(method, target, bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header = header.Clone()
		return req
	}
	return mk(), mk(), payloadHash
}

// TestSignRequestMatchesSDK signs random requests with the SDK's v4.Signer and with
// sigv4.SignRequest and compares the Authorization header, the other headers, the host and
// the query byte for byte.
func TestSignRequestMatchesSDK(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 1))
	signer := v4.NewSigner()
	for i := range 2000 {
		theirs, ours, payloadHash := randomRequest(t, rng)
		creds := sigv4.Credentials{AccessKeyID: "AKID" + fmt.Sprint(i), SecretAccessKey: fmt.Sprintf("secret/%d+x", i)}
		if i%3 == 0 {
			creds.SessionToken = fmt.Sprintf("token%d==", i)
		}
		region := []string{"us-east-1", "eu-west-3", "ap-southeast-2"}[i%3]
		service := []string{"bedrock", "s3", "execute-api"}[i%3]
		at := time.Date(2026, 11, 29, 23, 59, 0, 0, time.UTC).Add(time.Duration(rng.IntN(7200)) * time.Second)

		err := signer.SignHTTP(context.Background(), aws.Credentials{AccessKeyID: creds.AccessKeyID,
			SecretAccessKey: creds.SecretAccessKey, SessionToken: creds.SessionToken}, theirs, payloadHash, service, region, at)
		if err != nil {
			t.Fatal(err)
		}
		seed, err := sigv4.SignRequest(ours, creds, region, service, payloadHash, at)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := ours.Header.Get("Authorization"), theirs.Header.Get("Authorization"); got != want {
			t.Fatalf("request %d (%s %s, headers %q):\nAuthorization %s\n          want %s", i, ours.Method, ours.URL, ours.Header, got, want)
		}
		sdkSeed, err := sigv4.SeedFromAuthorization(theirs.Header.Get("Authorization"))
		if err != nil || !bytes.Equal(seed, sdkSeed) {
			t.Fatalf("request %d: seed %x, want %x (%v)", i, seed, sdkSeed, err)
		}
		if fmt.Sprint(ours.Header) != fmt.Sprint(theirs.Header) || ours.Host != theirs.Host || ours.URL.String() != theirs.URL.String() {
			t.Fatalf("request %d: signed request differs:\n%q %q %q\n%q %q %q", i,
				ours.Host, ours.URL, ours.Header, theirs.Host, theirs.URL, theirs.Header)
		}
	}
}

// TestVerifySDKRequests sends requests signed by the SDK through a real HTTP server and
// checks that sigv4.RequestVerifier accepts them and returns the SDK's signature as the
// seed, and that a changed body is refused.
func TestVerifySDKRequests(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 2))
	creds := sigv4.Credentials{AccessKeyID: "AKIDTEST", SecretAccessKey: "s3cr3t"}
	at := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	v := &sigv4.RequestVerifier{Service: "bedrock", Credentials: sigv4.StaticCredentials(creds),
		Now: func() time.Time { return at.Add(time.Minute) }}
	type result struct {
		seed []byte
		err  error
	}
	results := make(chan result, 1)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body bytes.Buffer
		body.ReadFrom(r.Body)
		hash := sigv4.PayloadHash(body.Bytes())
		if strings.HasSuffix(r.URL.Path, "/invoke-with-bidirectional-stream") {
			hash = sigv4.StreamingEventsPayload
		}
		s, err := v.Verify(r, hash)
		if err != nil {
			results <- result{nil, err}
			return
		}
		results <- result{s.Signature, nil}
	}))
	defer ts.Close()
	srv := ts.URL
	signer := v4.NewSigner()
	client := &http.Client{}
	for i := range 300 {
		_, req, _ := randomRequest(t, rng)
		var body []byte
		if req.Body != nil {
			var buf bytes.Buffer
			buf.ReadFrom(req.Body)
			body = buf.Bytes()
		}
		hash := sigv4.PayloadHash(body)
		if strings.HasSuffix(req.URL.Path, "/invoke-with-bidirectional-stream") {
			hash = sigv4.StreamingEventsPayload
		}
		tamper := i%4 == 3 && len(body) > 0
		sent := body
		if tamper {
			sent = append([]byte{}, body...)
			sent[0] ^= 1
		}
		u, _ := url.Parse(srv)
		req.URL.Scheme, req.URL.Host, req.Host = u.Scheme, u.Host, ""
		req.Header.Del("Expect")
		req.Body = nil
		req.ContentLength = int64(len(body))
		if err := signer.SignHTTP(context.Background(), aws.Credentials{AccessKeyID: creds.AccessKeyID, SecretAccessKey: creds.SecretAccessKey},
			req, hash, "bedrock", "us-west-2", at); err != nil {
			t.Fatal(err)
		}
		req.Body = io.NopCloser(bytes.NewReader(sent))
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		got := <-results
		want, _ := sigv4.SeedFromAuthorization(req.Header.Get("Authorization"))
		switch {
		case tamper && hash != sigv4.StreamingEventsPayload:
			if got.err == nil {
				t.Fatalf("request %d: changed body accepted", i)
			}
		case got.err != nil:
			t.Fatalf("request %d (%s, %q): %v", i, req.URL, req.Header, got.err)
		case !bytes.Equal(got.seed, want):
			t.Fatalf("request %d: seed %s, want %x", i, hex.EncodeToString(got.seed), want)
		}
	}
}
