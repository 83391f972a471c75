// Package sigv4check checks package sigv4 against the AWS SDK for Go v2: its tests sign
// random streams with both the SDK's aws/signer/v4 StreamSigner and sigv4.Signer and compare
// the outer frames byte for byte, and verify streams written by the SDK's own signing writer
// with sigv4.Verifier. They also sign random HTTP requests (methods, hosts and ports, paths,
// query strings, header sets, bodies, session tokens) with both v4.Signer and
// sigv4.SignRequest and compare the signed requests byte for byte, and send requests signed
// by v4.Signer through a loopback server to sigv4.RequestVerifier. It is a separate module
// so that the library never depends on the SDK.
package sigv4check
