package sigv4

import (
	"bytes"
	"net/http"
	"testing"
	"time"
)

// BenchmarkRequest signs and verifies a ConverseStream-sized request with the headers the
// Go SDK sends.
func BenchmarkRequest(b *testing.B) {
	body := bytes.Repeat([]byte("x"), 1024)
	newReq := func() *http.Request {
		r, _ := http.NewRequest("POST", "http://127.0.0.1:8085/model/anthropic.claude-3-haiku-20240307-v1%3A0/converse-stream", bytes.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		r.Header.Set("Amz-Sdk-Invocation-Id", "1d7f7e84-3c0b-4a57-9a70-3f0f55b1b0c3")
		r.Header.Set("Amz-Sdk-Request", "attempt=1; max=3")
		r.Header.Set("User-Agent", "aws-sdk-go-v2/1.36.3 os/linux lang/go#1.24 md/GOOS#linux md/GOARCH#amd64 api/bedrockruntime#1.30.0")
		return r
	}
	b.Run("sign", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := SignRequest(newReq(), reqCreds, "us-east-1", "bedrock", PayloadHash(body), testNow); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("verify", func(b *testing.B) {
		c := newReq()
		SignRequest(c, reqCreds, "us-east-1", "bedrock", PayloadHash(body), testNow)
		r := serverRequest(b, c, body)
		v := &RequestVerifier{Service: "bedrock", Credentials: StaticCredentials(reqCreds), Now: func() time.Time { return testNow }}
		b.ReportAllocs()
		for b.Loop() {
			if _, err := v.Verify(r, PayloadHash(body)); err != nil {
				b.Fatal(err)
			}
		}
	})
}
