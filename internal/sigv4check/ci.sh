#!/usr/bin/env bash
# ci.sh checks package sigv4 against the AWS SDK for Go v2 (aws/signer/v4 StreamSigner and
# smithy-go's signing writer) in this nested module: formatting, vet, its tests and one
# iteration of its benchmark. Run it from the repository root: bash internal/sigv4check/ci.sh.
# A few seconds once the modules are downloaded (about 10 s with an empty module cache).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

cd internal/sigv4check
unformatted=$(gofmt -l .)
if [ -n "$unformatted" ]; then
	echo "gofmt needed: $unformatted" >&2
	exit 1
fi
go vet ./...
go test ./...
go test -run '^$' -bench . -benchtime 1x ./...
