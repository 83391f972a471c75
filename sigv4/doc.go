// Package sigv4 signs and verifies HTTP requests with AWS Signature Version 4, and the signed
// event streams that such a request can open: the client-to-server streams of Amazon
// Bedrock's InvokeModelWithBidirectionalStream, Transcribe streaming and Lex, in which every
// frame is signed and each signature chains from the one before.
//
// # Requests
//
// [SignRequest] signs an *http.Request as the AWS SDK for Go v2's v4.Signer does, byte for
// byte, and returns the signature: the seed of the stream's chain. [RequestVerifier.Verify]
// checks a received request as an AWS service does (the signed headers, the credential
// scope, the clock skew, the access key and session token, and a signature over the body
// the server received) and returns a [RequestSignature], whose NewVerifier checks the
// stream the request opens. A refusal is a [*RequestError] carrying the service's error
// name and message, for a 403 answer.
//
// # Signed frames
//
// Each encoded frame (the inner frame) becomes the payload of an outer frame with two headers,
// in this order:
//
//	:date             timestamp  the signing time
//	:chunk-signature  byte array 32 bytes of HMAC-SHA256
//
// The stream ends with a signed outer frame whose payload is empty (the end frame). The
// signature of a frame is the HMAC-SHA256, under the SigV4 signing key of the signing day
// (derived from "AWS4" and the secret key, the date, the region, the service and
// "aws4_request"), of these lines joined by "\n":
//
//	AWS4-HMAC-SHA256-PAYLOAD
//	the signing time, YYYYMMDDTHHMMSSZ in UTC
//	the credential scope, YYYYMMDD/region/service/aws4_request
//	the previous signature in lowercase hex (for the first frame, the seed)
//	the SHA-256, in hex, of the encoded header block of the :date header alone
//	the SHA-256, in hex, of the outer payload (the encoded inner frame; empty for the end frame)
//
// The seed is the signature of the HTTP request that opened the stream (the raw bytes of the
// hex Signature in its Authorization header, see [SeedFromAuthorization]). The signatures
// are those of the AWS SDK for Go v2 (aws/signer/v4 StreamSigner), byte for byte.
//
// # Signing
//
// [Signer.Sign] appends the signed outer frame of an encoded inner frame to a buffer and
// [Signer.End] appends the end frame; [Writer] does the same onto an [io.Writer]. The signing
// key is derived once per UTC day and reused; in steady state signing does not allocate.
// The :date header carries the signing time truncated to whole seconds, the precision of the
// string to sign, and never goes backwards.
//
// # Verifying
//
// [Verifier.Verify] checks one decoded outer frame: both headers present with their types, no
// other header (it would not be covered by the signature), the chained signature (compared in
// constant time), and a :date that does not go backwards. It returns the inner frame's bytes.
// [Verifier.Complete] reports whether the end frame has been verified: a stream cut before
// its end frame is incomplete, however cleanly it ends. [Reader] decodes and verifies a
// whole stream. Failures are [*Error] values that match one of the sentinels ([ErrMissingHeader],
// [ErrHeaderType], [ErrUnexpectedHeader], [ErrSignature], [ErrDateBackwards],
// [ErrClockSkew], [ErrAfterEnd], [ErrIncomplete]) with [errors.Is], and they are sticky: a
// chain that failed once stays failed.
//
// By default no wall clock is consulted, so that recorded streams verify later;
// [Verifier.SetClock] makes a live server refuse frames whose :date is too far from its clock.
package sigv4
