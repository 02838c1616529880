#!/usr/bin/env bash
# update-golden.sh - rewrite tests/e2e/golden/<name>.{out,rc,err} from the
# current binary, for all TESTLIST lines or the names given.
#
# usage: update-golden.sh MXSNIFF [NAME...]
#
# A golden is a claim about what mxsniff must print: read the diff
# (git diff tests/e2e/golden) and check the counts against captures/README.md
# and captures/synthetic/README.md before keeping it.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
if [ $# -lt 1 ]; then
	echo "usage: $0 MXSNIFF [NAME...]" >&2
	exit 2
fi
MX_E2E_UPDATE=1 exec "$here/run-e2e.sh" "$@"
