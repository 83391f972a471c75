// Package sigv4check checks package sigv4 against the AWS SDK for Go v2: its tests sign
// random streams with both the SDK's aws/signer/v4 StreamSigner and sigv4.Signer and compare
// the outer frames byte for byte, and verify streams written by the SDK's own signing writer
// with sigv4.Verifier. It is a separate module so that the library never depends on the SDK.
package sigv4check
