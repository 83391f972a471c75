package sigv4_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/framewire/eventstream"
	"github.com/framewire/eventstream/sigv4"
)

// A client signs each encoded event with a Signer seeded with its request's signature, and
// ends the stream with the end frame; a server verifies the stream with a Verifier built
// from the same credentials, region, service and seed.
func Example() {
	creds := sigv4.Credentials{AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"}
	authorization := "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261121/us-east-1/bedrock/aws4_request, " +
		"SignedHeaders=host;x-amz-date, Signature=a8d1f0c02cd4a2f2d0b3a5c5fbe2bb0d4c8f8e9f0f7a6b5c4d3e2f1a0b9c8d7e"
	at := time.Date(2026, 11, 21, 23, 59, 59, 0, time.UTC) // use time.Now() in a real client

	// Client: the seed is the signature of the HTTP request that opens the stream.
	seed, err := sigv4.SeedFromAuthorization(authorization)
	if err != nil {
		panic(err)
	}
	s := sigv4.NewSigner(creds, "us-east-1", "bedrock", seed)
	var stream []byte
	for _, text := range []string{`{"text":"hello"}`, `{"text":"world"}`} {
		event := eventstream.Frame{
			Headers: []eventstream.Header{
				{Name: ":message-type", Value: eventstream.StringValue("event")},
				{Name: ":event-type", Value: eventstream.StringValue("chunk")},
			},
			Payload: []byte(text),
		}
		inner, err := event.MarshalBinary()
		if err != nil {
			panic(err)
		}
		stream, err = s.Sign(stream, inner, at) // appends the signed outer frame
		if err != nil {
			panic(err)
		}
		at = at.Add(time.Second) // the second event is signed on the next UTC day
	}
	events := len(stream)
	stream, err = s.End(stream, at) // the signed end frame
	if err != nil {
		panic(err)
	}

	// Server: verify and decode; io.EOF comes only after the signed end frame.
	r := sigv4.NewReader(bytes.NewReader(stream), sigv4.NewVerifier(creds, "us-east-1", "bedrock", seed))
	var event eventstream.Frame
	for {
		inner, err := r.Next()
		if err == io.EOF {
			fmt.Println("complete")
			break
		}
		if err != nil {
			panic(err) // *sigv4.Error: errors.Is(err, sigv4.ErrSignature), ...
		}
		if _, err := eventstream.DecodeFrame(inner, &event); err != nil {
			panic(err)
		}
		fmt.Printf("%s\n", event.Payload)
	}

	// A stream cut before its end frame is reported, even at a frame boundary.
	r = sigv4.NewReader(bytes.NewReader(stream[:events]), sigv4.NewVerifier(creds, "us-east-1", "bedrock", seed))
	for err == nil {
		_, err = r.Next()
	}
	fmt.Println(err)

	// Output:
	// {"text":"hello"}
	// {"text":"world"}
	// complete
	// sigv4: frame 2: stream ended before its end frame
}

func ExampleVerifier_Verify() {
	creds := sigv4.Credentials{SecretAccessKey: "secret"}
	seed := make([]byte, 32)
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	signed, _ := sigv4.NewSigner(creds, "us-east-1", "bedrock", seed).Sign(nil, []byte("an encoded frame"), at)

	var f eventstream.Frame
	if _, err := eventstream.DecodeFrame(signed, &f); err != nil {
		panic(err)
	}
	sig, _ := f.Header(sigv4.SignatureHeader)
	fmt.Printf("%x\n", sig.Bytes())

	// The wrong seed breaks the chain from the first frame.
	_, err := sigv4.NewVerifier(creds, "us-east-1", "bedrock", []byte("another seed")).Verify(&f)
	fmt.Println(errors.Is(err, sigv4.ErrSignature), err)

	inner, err := sigv4.NewVerifier(creds, "us-east-1", "bedrock", seed).Verify(&f)
	fmt.Printf("%q %v\n", inner, err)
	// Output:
	// 401605c64b810155857455ffc07b0e82eef034691521641532b51c74c32965c1
	// true sigv4: frame 0: :chunk-signature: signature mismatch
	// "an encoded frame" <nil>
}
