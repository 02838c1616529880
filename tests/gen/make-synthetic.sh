#!/bin/sh
# make-synthetic.sh - regenerate captures/synthetic/ with mxsniff-gen.
#
#   tests/gen/make-synthetic.sh GEN [OUTDIR]
#       write every scenario into OUTDIR (default: captures/synthetic next to
#       this script's repository)
#   tests/gen/make-synthetic.sh --check GEN TMPDIR REFDIR
#       write every scenario into TMPDIR and cmp each with REFDIR (ctest
#       gen.reproducible); exit 1 on the first difference.
# Every scenario listed by `GEN list` is written, the failure-pattern ones of
# gen_patterns.c (p*-*.pcap, healthy-busy.pcap) included. Either way a file
# larger than 300 KB (healthy-*: 1 MB) is an error: captures stay small.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
check=0
if [ "${1:-}" = "--check" ]; then
	check=1
	shift
fi
gen=${1:?usage: make-synthetic.sh [--check] GEN [OUTDIR [REFDIR]]}
out=${2:-$here/../../captures/synthetic}
ref=${3:-$here/../../captures/synthetic}
mkdir -p "$out"
status=0
for name in $("$gen" list); do
	mkdir -p "$(dirname "$out/$name")"
	"$gen" "$name" "$out/$name" 2>/dev/null
	size=$(wc -c < "$out/$name")
	limit=307200
	case "$name" in healthy-*) limit=1048576 ;; esac
	if [ "$size" -gt "$limit" ]; then
		echo "TOO BIG $name: $size bytes (limit $limit)"
		status=1
	fi
	if [ "$check" = 1 ]; then
		if cmp -s "$out/$name" "$ref/$name"; then
			echo "ok   $name"
		else
			echo "DIFF $name (regenerate with tests/gen/make-synthetic.sh)"
			status=1
		fi
	else
		echo "wrote $out/$name"
	fi
done
exit $status
