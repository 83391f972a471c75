// Package interop tests the bedrocktest server with the real AWS SDKs: the AWS SDK for Go v2
// (bedrockruntime) in this module's tests, and the AWS SDK for JavaScript v3 in js/. It is a
// module of its own so that the eventstream module never requires an SDK; ci.sh runs both.
package interop
