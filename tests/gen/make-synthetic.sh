#!/bin/sh
# make-synthetic.sh - regenerate captures/synthetic/ with mxsniff-gen.
#
#   tests/gen/make-synthetic.sh GEN [OUTDIR]
#       write every scenario into OUTDIR (default: captures/synthetic next to
#       this script's repository)
#   tests/gen/make-synthetic.sh --check GEN TMPDIR REFDIR
#       write every scenario into TMPDIR and cmp each with REFDIR (ctest
#       gen.reproducible); exit 1 on the first difference.
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
	"$gen" "$name" "$out/$name" 2>/dev/null
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
