#!/usr/bin/env bash
# ci.sh checks the nested comparison module: formatting, vet, its tests (the SDK's shared
# vectors and the differential tests) and one iteration of every benchmark. Run it from the
# repository root (any directory works): bash internal/benchcmp/ci.sh. About a minute.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

unformatted=$(gofmt -l .)
if [ -n "$unformatted" ]; then
	echo "gofmt needed: $unformatted" >&2
	exit 1
fi
go vet ./...
go test ./...
go test -run '^$' -bench . -benchtime 1x ./...
