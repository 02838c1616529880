#!/usr/bin/env bash
# run-e2e.sh - end-to-end golden tests over captures/ (tcpdump's tests/TESTLIST
# is the model).
#
# usage: run-e2e.sh MXSNIFF [NAME...]
#
# Each non-comment line of tests/e2e/TESTLIST is
#     name  capture  [flags...]
# and is run from the repository root as
#     MXSNIFF -r captures/<capture> <flags>
# (a capture written "<path" is fed on standard input as "-r -" instead).
# Flags are split on white space; there is no quoting, and globbing is off.
#
# For each test, standard output must equal golden/<name>.out, the exit status
# must equal the number in golden/<name>.rc, and standard error must equal
# golden/<name>.err when that file exists and be empty when it does not.
# Output of "-F json" must be one valid JSON document and "-F ndjson" one
# valid object per line (checked with jq when jq is installed).
#
# With MX_E2E_UPDATE=1 (what update-golden.sh sets) the goldens are rewritten
# instead of compared. Prints one line per test and "N passed, N failed".
# Exit status: 0 all passed, 1 some failed, 2 usage error.
#
# It does not build anything and never writes outside golden/ and a temp dir.
set -u
set -f

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
list=$here/TESTLIST
gold=$here/golden

if [ $# -lt 1 ]; then
	echo "usage: $0 MXSNIFF [NAME...]" >&2
	exit 2
fi
bin=$1
shift
case $bin in
/*) ;;
*) bin=$PWD/$bin ;;
esac
if [ ! -x "$bin" ]; then
	echo "$0: $bin: not an executable" >&2
	exit 2
fi
update=${MX_E2E_UPDATE:-0}

# Outputs must not depend on the environment: pin it (the "deterministic"
# check in checks.sh varies TZ on purpose).
export LC_ALL=C TZ=UTC0
unset MXSNIFF_OPTS 2>/dev/null || true

tmp=$(mktemp -d "${TMPDIR:-/tmp}/mx-e2e.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

wanted() {
	[ $# -eq 1 ] && return 0
	local n=$1 w
	shift
	for w in "$@"; do
		[ "$w" = "$n" ] && return 0
	done
	return 1
}

have_jq=0
command -v jq >/dev/null 2>&1 && have_jq=1

# json_check FORMAT FILE: 0 when FILE is valid output of FORMAT (or not JSON).
json_check() {
	[ $have_jq = 1 ] || return 0
	[ -s "$2" ] || return 0
	case $1 in
	json)
		# exactly one document
		[ "$(jq -s 'length' <"$2" 2>/dev/null)" = 1 ] ;;
	ndjson)
		# every line one object with a "type"
		jq -c 'if type == "object" and has("type") then empty else error("line without type") end' \
			<"$2" >/dev/null 2>&1 && ! grep -q '^[[:space:]]*$' "$2" ;;
	*) return 0 ;;
	esac
}

pass=0
fail=0
seen=" "
cd "$root" || exit 2
while read -r name capture flags; do
	case $name in '' | '#'*) continue ;; esac
	seen="$seen$name "
	wanted "$name" "$@" || continue
	if [ -z "${capture:-}" ]; then
		echo "FAIL $name: TESTLIST line has no capture"
		fail=$((fail + 1))
		continue
	fi
	stdin=/dev/null
	case $capture in
	'<'*)
		stdin=captures/${capture#<}
		src=$stdin
		args=(-r -)
		;;
	*)
		src=captures/$capture
		args=(-r "$src")
		;;
	esac
	if [ ! -e "$src" ]; then
		echo "FAIL $name: capture $src does not exist"
		fail=$((fail + 1))
		continue
	fi
	# shellcheck disable=SC2206
	extra=($flags)
	fmt=text
	prev=
	for a in "${extra[@]+"${extra[@]}"}"; do
		[ "$prev" = "-F" ] && fmt=$a
		case $a in --format=*) fmt=${a#--format=} ;; esac
		prev=$a
	done
	"$bin" "${args[@]}" "${extra[@]+"${extra[@]}"}" <"$stdin" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ "$update" = 1 ]; then
		cp "$tmp/out" "$gold/$name.out"
		echo "$rc" >"$gold/$name.rc"
		if [ -s "$tmp/err" ]; then cp "$tmp/err" "$gold/$name.err"; else rm -f "$gold/$name.err"; fi
		echo "UPDATED $name (exit $rc, $(wc -l <"$tmp/out") lines)"
		pass=$((pass + 1))
		continue
	fi
	why=
	if [ ! -f "$gold/$name.out" ] || [ ! -f "$gold/$name.rc" ]; then
		why="no golden (run tests/e2e/update-golden.sh and review it)"
	elif ! cmp -s "$tmp/out" "$gold/$name.out"; then
		why="stdout differs from golden/$name.out"
		diff -u --label "golden/$name.out" --label "actual stdout" "$gold/$name.out" "$tmp/out" | head -n 200
	elif [ "$rc" != "$(cat "$gold/$name.rc")" ]; then
		why="exit status $rc, expected $(cat "$gold/$name.rc")"
	elif [ -f "$gold/$name.err" ] && ! cmp -s "$tmp/err" "$gold/$name.err"; then
		why="stderr differs from golden/$name.err"
		diff -u --label "golden/$name.err" --label "actual stderr" "$gold/$name.err" "$tmp/err" | head -n 50
	elif [ ! -f "$gold/$name.err" ] && [ -s "$tmp/err" ]; then
		why="unexpected output on stderr"
	elif ! json_check "$fmt" "$tmp/out"; then
		why="output is not valid $fmt"
	fi
	if [ -n "$why" ]; then
		echo "FAIL $name: $why"
		if [ -s "$tmp/err" ]; then
			echo "  stderr:"
			head -n 20 "$tmp/err" | sed 's/^/    /'
		fi
		fail=$((fail + 1))
	else
		echo "ok   $name"
		pass=$((pass + 1))
	fi
done <"$list"

# Names asked for that TESTLIST does not have are failures (a typo would
# otherwise pass silently).
if [ $# -gt 0 ]; then
	for w in "$@"; do
		case $seen in *" $w "*) ;; *)
			echo "FAIL $w: not in TESTLIST"
			fail=$((fail + 1))
			;;
		esac
	done
fi

# Goldens with no TESTLIST line are stale: say so when running everything.
if [ $# -eq 0 ] && [ "$update" != 1 ]; then
	for f in "$gold"/*.out; do
		[ -e "$f" ] || continue
		n=$(basename "$f" .out)
		case $seen in *" $n "*) ;; *) echo "warning: golden/$n.out has no TESTLIST line" ;; esac
	done
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
