#!/usr/bin/env bash
# compare.sh measures the eventstream codec against the AWS SDK for Go v2's eventstream package
# (and hash/crc32 against github.com/klauspost/crc32) and prints benchstat tables with the SDK,
# or the CRC alone, as the baseline column. See README.md in this directory.
#
# Environment: COUNT (rounds, default 10), BENCHTIME (per benchmark per round, default 200ms),
# BENCH (benchmark regexp, default .), OUT (results directory, default results).
# About 3 minutes on a 2-core machine with the defaults.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

count=${COUNT:-10}
benchtime=${BENCHTIME:-200ms}
bench=${BENCH:-.}
out=${OUT:-results}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go test -c -o "$tmp/benchcmp.test" .
go build -o "$tmp/benchstat" golang.org/x/perf/cmd/benchstat

mkdir -p "$out"
raw=$out/raw.txt
dirty=false
if [ -n "$(git status --porcelain -- ../../*.go 2>/dev/null)" ]; then
	dirty=true # the root package differs from the commit: what was measured is the work tree
fi
{
	echo "# date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
	echo "# go: $(go version | cut -d' ' -f3)"
	echo "# commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
	echo "# root-package-modified: $dirty"
	echo "# sdk: $(go list -m -f '{{.Path}}@{{.Version}}' github.com/aws/aws-sdk-go-v2/aws/protocol/eventstream)"
	echo "# klauspost: $(go list -m -f '{{.Version}}' github.com/klauspost/crc32)"
	echo "# settings: count=$count benchtime=$benchtime"
} >"$raw" # "# " lines are notes for people: benchstat ignores them, so files compare

# The benchmarks to pair: each benchmark name with its impl= element made a wildcard, so that
# one run of the test binary measures the implementations of one shape back to back. Taking
# rounds of these short pairs, rather than -count, keeps the two sides of every comparison
# close in time, so that load from elsewhere on a shared machine hits both alike.
pairs=$("$tmp/benchcmp.test" -test.run '^$' -test.bench "$bench" -test.benchtime 1x |
	awk '/^Benchmark/ { sub(/-[0-9]+$/, "", $1); print $1 }' |
	awk -F/ '{ r = "^" $1 "$"; for (i = 2; i <= NF; i++) r = r "/" ($i ~ /^impl=/ ? "^impl=" : "^" $i "$"); if (!seen[r]++) print r }')
echo "# load-average: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown) (at the start)" >>"$raw"

start=$SECONDS
for i in $(seq "$count"); do
	echo "round $i of $count" >&2
	for p in $pairs; do
		"$tmp/benchcmp.test" -test.run '^$' -test.bench "$p" -test.benchtime "$benchtime" >>"$raw"
	done
done
echo "# load-average: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown) (at the end)" >>"$raw"
echo "benchmarks took $((SECONDS - start))s" >&2

stat() { "$tmp/benchstat" "$@" "$raw"; }

# ratio NAME prints, per row, the first column's median time over the second's: how many times
# the second implementation's throughput (frames or bytes per second) is the first's. It gives
# the ratio of wall times (sec/op, what SPEC.md section 8 sets targets for) and of process CPU
# times (cpu-sec/op, steadier when the machine is busy), and the target where there is one.
ratio() {
	stat -format csv -filter ".name:$1 .unit:cpu-sec/op" -col /impl >"$tmp/cpu.csv" 2>/dev/null
	stat -format csv -filter ".name:$1 .unit:sec/op" -col /impl >"$tmp/wall.csv" 2>/dev/null
	awk -F, -v op="$1" '
	function target(shape) {
		if (op == "Decode" && shape ~ /^(bedrock|64B|alltypes-changing|alltypes-repeated|signed)$/) return ">= 20x"
		if (op == "Decode" && shape == "4KiB") return ">= 5x"
		if (op == "Decode" && shape == "1MiB") return ">= 1.3x"
		if (op == "Encode" && shape ~ /^(bedrock|alltypes-changing|signed)$/) return ">= 10x"
		if (op == "DecodeFrame" && shape == "1MiB") return ">= 0.9x"
		return ""
	}
	FNR == 1 { file++ }
	/^,/ && $2 !~ /sec\/op/ {
		if (file == 2 && !titled++) {
			printf "%s: %s throughput / %s throughput\n", op, $4, $2
			printf "  %-28s %9s %9s   %s\n", "(higher is better)", "wall", "cpu", "target (wall)"
		}
		next
	}
	NF >= 4 && $2 + 0 > 0 && $4 + 0 > 0 {
		name = $1; sub(/-[0-9]+$/, "", name)
		if (file == 1) { cpu[name] = $2 / $4; next }
		shape = name; sub(/^[^\/]*\/[a-z]+=/, "", shape)
		c = (name in cpu) ? sprintf("%8.2fx", cpu[name]) : "        -"
		line = sprintf("  %-28s %8.2fx %s   %s", name, $2 / $4, c, target(shape))
		sub(/ +$/, "", line)
		print line
	}' "$tmp/cpu.csv" "$tmp/wall.csv"
}

{
	grep "^# " "$raw"
	echo
	echo "## Ratios: median time of the baseline (first) column / median time of the other"
	echo
	for op in Decode Encode DecodeFrame CRC; do
		ratio "$op"
		echo
	done
	echo "## Streaming decode, one frame per op: SDK Decoder.Decode vs our Decoder.Decode"
	echo
	stat -filter '.name:Decode' -col /impl
	echo
	echo "## Encode, one frame per op to io.Discard: SDK Encoder.Encode vs our Encoder.Encode"
	echo
	stat -filter '.name:Encode' -col /impl
	echo
	echo "## Zero-copy DecodeFrame vs CRC-32 (hash/crc32) alone over the same frame bytes"
	echo
	stat -filter '.name:DecodeFrame' -col /impl
	echo
	echo "## CRC-32 IEEE: hash/crc32 (stdlib) vs github.com/klauspost/crc32"
	echo
	stat -filter '.name:CRC' -col /impl
} | tee "$out/benchstat.txt"
