// Package interop tests the bedrocktest server with the real AWS SDKs: the AWS SDK for Go v2
// (bedrockruntime) in this module's tests, the AWS SDK for JavaScript v3 in js/, and Python's
// botocore in py/. It is a module of its own so that the eventstream module never requires an
// SDK; ci.sh runs all three (botocore's where it is installed).
package interop
