package sigv4_test

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/framewire/eventstream/sigv4"
)

// A client signs the request that opens a bidirectional stream; the server verifies it and
// gets the seed of the stream's chain, here the Verifier for the frames that follow.
func ExampleRequestVerifier() {
	creds := sigv4.Credentials{AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"}
	at := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC) // time.Now() in a real client

	// Client.
	req, _ := http.NewRequest("POST", "http://127.0.0.1:8085/model/amazon.nova-sonic-v1%3A0/invoke-with-bidirectional-stream", nil)
	req.Header.Set("Content-Type", "application/vnd.amazon.eventstream")
	req.Header.Set("X-Amz-Content-Sha256", sigv4.StreamingEventsPayload)
	seed, err := sigv4.SignRequest(req, creds, "us-east-1", "bedrock", sigv4.StreamingEventsPayload, at)
	if err != nil {
		panic(err)
	}
	scope, _, _ := strings.Cut(req.Header.Get("Authorization"), ", Signature=")
	fmt.Println(scope)

	// Server: the request as received, checked against the configured credentials.
	received := httptest.NewRequest(req.Method, req.URL.RequestURI(), nil)
	received.Host, received.Header = req.Host, req.Header
	v := &sigv4.RequestVerifier{
		Service:     "bedrock",
		Credentials: sigv4.StaticCredentials(creds),
		Now:         func() time.Time { return at.Add(2 * time.Second) }, // nil: time.Now
	}
	s, err := v.Verify(received, sigv4.StreamingEventsPayload)
	if err != nil {
		panic(err)
	}
	fmt.Println(s.Region, s.Service, string(seed) == string(s.Signature))
	_ = s.NewVerifier() // verifies the :chunk-signature chain of the request body

	// Ten minutes later, the same request is refused with the service's error.
	v.Now = func() time.Time { return at.Add(10 * time.Minute) }
	_, err = v.Verify(received, sigv4.StreamingEventsPayload)
	var re *sigv4.RequestError
	if errors.As(err, &re) {
		fmt.Printf("403 %s: %s\n", re.Code, re.Message)
	}
	// Output:
	// AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261121/us-east-1/bedrock/aws4_request, SignedHeaders=content-type;host;x-amz-content-sha256;x-amz-date
	// us-east-1 bedrock true
	// 403 InvalidSignatureException: Signature expired: 20261121T120000Z is now earlier than 20261121T120500Z (20261121T121000Z - 5 min.)
}
