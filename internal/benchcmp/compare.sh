#!/usr/bin/env bash
# compare.sh measures the eventstream codec against the AWS SDK for Go v2's eventstream package
# (and hash/crc32 against github.com/klauspost/crc32), event signing against the SDK's
# v4.StreamSigner (nested module internal/sigv4check) and against its floor (package sigv4),
# and prints benchstat tables and ratios. See README.md in this directory.
#
# Environment: COUNT (rounds, default 10), BENCHTIME (per benchmark per round, default 200ms),
# BENCH (benchmark regexp, default .), OUT (results directory, default results).
# About 5 minutes on a 2-core machine with the defaults.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

count=${COUNT:-10}
benchtime=${BENCHTIME:-200ms}
bench=${BENCH:-.}
out=${OUT:-results}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go test -c -o "$tmp/benchcmp.test" .
(cd ../sigv4check && go test -c -o "$tmp/sigv4check.test" .)
(cd ../.. && go test -c -o "$tmp/sigv4.test" ./sigv4)
go build -o "$tmp/benchstat" golang.org/x/perf/cmd/benchstat
binaries="benchcmp sigv4check sigv4"

mkdir -p "$out"
raw=$out/raw.txt
dirty=false
if [ -n "$(git status --porcelain -- ../../*.go ../../sigv4 2>/dev/null)" ]; then
	dirty=true # the root module differs from the commit: what was measured is the work tree
fi
{
	echo "# date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
	echo "# go: $(go version | cut -d' ' -f3)"
	echo "# cpu: $(grep -m1 '^model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2- | sed 's/^ //' || echo unknown), $(nproc 2>/dev/null || echo '?') cores"
	echo "# commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
	echo "# root-module-modified: $dirty"
	echo "# sdk: $(go list -m -f '{{.Path}}@{{.Version}}' github.com/aws/aws-sdk-go-v2/aws/protocol/eventstream)"
	echo "# sdk-signer: $(cd ../sigv4check && go list -m -f '{{.Path}}@{{.Version}}' github.com/aws/aws-sdk-go-v2)"
	echo "# klauspost: $(go list -m -f '{{.Version}}' github.com/klauspost/crc32)"
	echo "# settings: count=$count benchtime=$benchtime"
} >"$raw" # "# " lines are notes for people: benchstat ignores them, so files compare

# The benchmarks to pair: each benchmark name with its impl= element made a wildcard, so that
# one run of a test binary measures the implementations of one shape back to back. Taking
# rounds of these short pairs, rather than -count, keeps the two sides of every comparison
# close in time, so that load from elsewhere on a shared machine hits both alike.
for b in $binaries; do
	"$tmp/$b.test" -test.run '^$' -test.bench "$bench" -test.benchtime 1x |
		awk '/^Benchmark/ { sub(/-[0-9]+$/, "", $1); print $1 }' |
		awk -F/ '{ r = "^" $1 "$"; for (i = 2; i <= NF; i++) r = r "/" ($i ~ /^impl=/ ? "^impl=" : "^" $i "$"); if (!seen[r]++) print r }' >"$tmp/$b.pairs"
done
echo "# load-average: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown) (at the start)" >>"$raw"

start=$SECONDS
for i in $(seq "$count"); do
	echo "round $i of $count" >&2
	for b in $binaries; do
		while read -r p; do
			"$tmp/$b.test" -test.run '^$' -test.bench "$p" -test.benchtime "$benchtime" >>"$raw"
		done <"$tmp/$b.pairs"
	done
done
echo "# load-average: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown) (at the end)" >>"$raw"
echo "benchmarks took $((SECONDS - start))s" >&2

stat() { "$tmp/benchstat" "$@" "$raw"; }
sigv4pkg=github.com/framewire/eventstream/sigv4
checkpkg=github.com/framewire/eventstream/internal/sigv4check

# csv NAME PKG UNIT writes benchstat's CSV of one benchmark, one package and one unit, with the
# implementations in columns.
csv() { stat -format csv -filter ".name:$1 pkg:$2 .unit:$3" -col /impl 2>/dev/null; }

# ratio NAME PKG prints, per row, the first column's median time over the second's: how many
# times the second implementation's throughput (frames or bytes per second) is the first's. It
# gives the ratio of wall times (sec/op, what SPEC.md section 8 sets targets for) and of
# process CPU times (cpu-sec/op, steadier when the machine is busy), and the target where
# there is one.
ratio() {
	csv "$1" "$2" cpu-sec/op >"$tmp/cpu.csv"
	csv "$1" "$2" sec/op >"$tmp/wall.csv"
	awk -F, -v op="$1" '
	function target(shape) {
		if (op == "Decode" && shape ~ /^(bedrock|64B|alltypes-changing|alltypes-repeated|signed)$/) return ">= 20x"
		if (op == "Decode" && shape == "4KiB") return ">= 5x"
		if (op == "Decode" && shape == "1MiB") return ">= 1.3x"
		if (op == "Encode" && shape ~ /^(bedrock|alltypes-changing|signed)$/) return ">= 10x"
		if (op == "DecodeFrame" && shape == "1MiB") return ">= 0.9x"
		if (op == "Sign" && shape ~ /^(bedrock|event)$/) return ">= 6x"
		return ""
	}
	FNR == 1 { file++ }
	/^,/ && $2 !~ /sec\/op/ {
		if (file == 2 && !titled++) {
			printf "%s: %s throughput / %s throughput\n", op, $4, $2
			printf "  %-34s %9s %9s   %s\n", "(higher is better)", "wall", "cpu", "target (wall)"
		}
		next
	}
	NF >= 4 && $2 + 0 > 0 && $4 + 0 > 0 {
		name = $1; sub(/-[0-9]+$/, "", name)
		if (file == 1) { cpu[name] = $2 / $4; next }
		shape = name; sub(/^[^\/]*\/[a-z]+=/, "", shape)
		c = (name in cpu) ? sprintf("%8.2fx", cpu[name]) : "        -"
		line = sprintf("  %-34s %8.2fx %s   %s", name, $2 / $4, c, target(shape))
		sub(/ +$/, "", line)
		print line
	}' "$tmp/cpu.csv" "$tmp/wall.csv"
}

# floor prints, per inner frame, how the signing code of package sigv4 compares with the work
# it cannot avoid: Signer and Verifier time over the floor's (two SHA-256 digests and one
# HMAC), and Reader time (decode and verify, end to end) over decoding alone plus verifying
# alone, measured apart. Wall times, then CPU times.
floor() {
	for u in sec/op cpu-sec/op; do
		csv Sign $sigv4pkg $u >"$tmp/sign.csv"
		csv Reader $sigv4pkg $u >"$tmp/reader.csv"
		awk -F, -v unit="$u" '
		FNR == 1 { file++ }
		/^,/ { next }
		NF >= 8 && file == 1 { n = $1; sub(/-[0-9]+$/, "", n); sub(/^Sign\//, "", n); floor[n] = $2; signer[n] = $4; verifier[n] = $8; names[++k] = n; next }
		NF >= 4 && file == 2 { n = $1; sub(/-[0-9]+$/, "", n); sub(/^Reader\//, "", n); decode[n] = $2; reader[n] = $4 }
		END {
			if (!k) exit
			printf "  %-16s %-11s %14s %16s %24s\n", "(" unit ")", "", "signer/floor", "verifier/signer", "reader/(decode+verifier)"
			for (i = 1; i <= k; i++) {
				n = names[i]
				r = (n in reader && decode[n] + verifier[n] > 0) ? sprintf("%23.2fx", reader[n] / (decode[n] + verifier[n])) : "                       -"
				printf "  %-28s %13.2fx %15.2fx %s\n", n, signer[n] / floor[n], verifier[n] / signer[n], r
			}
		}' "$tmp/sign.csv" "$tmp/reader.csv"
	done
	echo "  targets: signer/floor <= 1.5x, verifier/signer about 1x, reader/(decode+verifier) <= 1.2x"
}

{
	grep "^# " "$raw"
	echo
	echo "## Ratios: median time of the baseline (first) column / median time of the other"
	echo
	for op in Decode Encode DecodeFrame CRC; do
		ratio "$op" github.com/framewire/eventstream/internal/benchcmp
		echo
	done
	ratio Sign $checkpkg
	echo
	echo "## Signing against its floor (package sigv4): median time / median time (lower is better)"
	echo
	floor
	echo
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
	echo
	echo "## Signing one outer frame: the SDK (v4.StreamSigner and smithy-go's encoder) vs sigv4.Signer"
	echo
	stat -filter ".name:Sign pkg:$checkpkg" -col /impl
	echo
	echo "## Package sigv4: the floor (two SHA-256 digests and one HMAC), Signer.Sign and Verifier.Verify"
	echo
	stat -filter ".name:Sign pkg:$sigv4pkg" -col /impl
	echo
	echo "## Package sigv4: decoding a signed stream alone vs Reader.Next (decode and verify)"
	echo
	stat -filter ".name:Reader pkg:$sigv4pkg" -col /impl
} | tee "$out/benchstat.txt"
