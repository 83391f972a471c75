// Package benchcmp compares the eventstream codec with the AWS SDK for Go v2's
// aws/protocol/eventstream package. It holds only tests and benchmarks, in a module of its
// own so that the root module never depends on the SDK:
//
//   - bench_test.go: decode, encode, zero-copy decode and CRC-32 benchmarks on the shapes of
//     internal/shapes, named so that `benchstat -col /impl` sets the implementations side by
//     side (see compare.sh and README.md);
//   - vectors_test.go: the test vectors shipped inside the SDK module, read from the module
//     cache at run time;
//   - diff_test.go: random frames encoded by one implementation and decoded by the other.
package benchcmp
