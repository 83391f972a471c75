#!/usr/bin/env bash
# Real-client tests of the bedrocktest server and the `eventstream serve` command:
# the AWS SDK for Go v2 (this nested module), the AWS SDK for JavaScript v3 (js/, with
# node's built-in test runner) and Python's botocore (py/, with unittest). Run from anywhere,
# e.g. `bash internal/interop/ci.sh` from the repository root. Needs Go, Node 20+ and npm, and
# reaches only the Go module proxy and the npm registry.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

echo "== interop: go vet + go test (AWS SDK for Go v2)"
go vet ./...
go test -count=1 ./...

echo "== interop: npm ci + node --test (AWS SDK for JavaScript v3)"
cd js
npm ci --no-audit --no-fund --loglevel=error
node --test

# botocore comes with Python on this project's machines; PyPI is not reachable from them, so
# the test runs where botocore is installed and says so where it is not.
cd ..
if python3 -c 'import botocore' 2>/dev/null; then
	echo "== interop: python3 -m unittest (botocore $(python3 -c 'import botocore; print(botocore.__version__)'))"
	python3 -m unittest discover -s py -v
else
	echo "== interop: botocore is not installed: the Python client test (py/) is skipped"
fi
