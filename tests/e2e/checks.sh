#!/usr/bin/env bash
# checks.sh - end-to-end checks that are not golden comparisons.
#
# usage: checks.sh MXSNIFF CHECK [ARG]
#   deterministic      every capture under captures/ gives byte-identical text,
#                      json and ndjson output on two runs with different TZ and
#                      locale settings, and "-o FILE" writes what stdout gets
#   bad-flag           unknown options, a missing option argument, no input:
#                      exit 2, nothing on stdout, and on stderr exactly one
#                      line "mxsniff: ..." (the name, not the path of argv[0])
#                      and "Try 'mxsniff --help' for more information."; a
#                      bad option value: that one line only
#   missing-file       "-r" of a file that does not exist: one line on stderr
#                      naming the file, nothing on stdout, exit 2
#   help               --help and -h exit 0 on stdout, no line wider than 80
#                      columns; every option the manual's OPTIONS section
#                      lists appears in --help, and every option --help
#                      shows is in the manual
#   version            -V and --version print one line with the version, exit 0
#   json-keys          every member name that -F json and -F ndjson write for
#                      any capture is documented in the manual (.Cm or .Ql)
#                      and in docs/json-schema.md (keys of count maps, which
#                      are mnemonics, excepted; needs jq)
#   json-doc           the manual's JSON part is exactly what man/json-section.py
#                      makes of docs/json-schema.md (needs python3; 77 = skipped)
#   json-shape CAPTURE the stable JSON names of the -F json document (issue 2,
#                      "Minimum JSON shape") and the NDJSON line types (needs jq;
#                      exit 77 = skipped when jq is missing)
#
# Runs from the repository root so that paths in reports are relative.
# Exit status 0 = pass, 1 = fail, 77 = skipped, 2 = usage.
set -u
set -f

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
if [ $# -lt 2 ]; then
	echo "usage: $0 MXSNIFF CHECK [ARG]" >&2
	exit 2
fi
bin=$1
case $bin in /*) ;; *) bin=$PWD/$bin ;; esac
check=$2
arg=${3:-}
cd "$root" || exit 2
export LC_ALL=C TZ=UTC0
tmp=$(mktemp -d "${TMPDIR:-/tmp}/mx-check.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
failed=0

fail() {
	echo "FAIL: $*"
	failed=1
}

# run OUT ERR ARGS...: run mxsniff, stdout to OUT, stderr to ERR; sets rc.
run() {
	local out=$1 err=$2
	shift 2
	"$bin" "$@" </dev/null >"$out" 2>"$err"
	rc=$?
}

captures() {
	find captures -type f \( -name '*.pcap' -o -name '*.pcapng' -o -name '*.cap' \) | LC_ALL=C sort
}

# Options listed in the manual's OPTIONS section: every "Fl x" on an ".It"
# line, as "-x" / "--long".
man_options() {
	awk '
		/^\.Sh / { in_opts = ($2 == "OPTIONS") ; next }
		in_opts && /^\.It / {
			for (i = 2; i <= NF; i++)
				if ($i == "Fl" && i < NF) {
					o = $(i + 1); gsub(/\\/, "", o); print "-" o
				}
		}' man/mxsniff.8 | LC_ALL=C sort -u
}

# Options that --help shows: tokens starting with "-" at a word start.
help_options() {
	grep -oE '(^|[][ ,|(])--?[A-Za-z][A-Za-z0-9-]*' "$1" |
		sed -E 's/^[][ ,|(]//' | LC_ALL=C sort -u
}

# has_opt FILE OPT: OPT appears in FILE as a whole option token.
has_opt() {
	local re
	re=$(printf '%s' "$2" | sed 's/[][\.*^$+?(){}|]/\\&/g')
	grep -qE "(^|[^[:alnum:]-])$re([^[:alnum:]-]|$)" "$1"
}

case $check in
deterministic)
	n=0
	for c in $(captures); do
		for f in text json ndjson; do
			TZ=UTC0 LC_ALL=C run "$tmp/a" "$tmp/ae" -r "$c" -F "$f"
			rca=$rc
			TZ=XST-5:30 LC_ALL=C.UTF-8 run "$tmp/b" "$tmp/be" -r "$c" -F "$f"
			rcb=$rc
			if [ "$rca" != "$rcb" ] || ! cmp -s "$tmp/a" "$tmp/b" || ! cmp -s "$tmp/ae" "$tmp/be"; then
				fail "$c -F $f: two runs differ (exit $rca vs $rcb)"
				diff -u "$tmp/a" "$tmp/b" | head -n 40
			fi
			if [ "$rca" -ge 128 ]; then
				fail "$c -F $f: killed by signal $((rca - 128))"
			fi
			n=$((n + 1))
		done
		run "$tmp/o" "$tmp/oe" -r "$c" -F json -o "$tmp/file.json"
		run "$tmp/s" "$tmp/se" -r "$c" -F json
		if [ -s "$tmp/o" ]; then
			fail "$c: -o FILE also wrote to stdout"
		fi
		if [ -f "$tmp/file.json" ] && ! cmp -s "$tmp/file.json" "$tmp/s"; then
			fail "$c: -o FILE differs from stdout"
		fi
		rm -f "$tmp/file.json"
	done
	if [ "$n" -eq 0 ]; then
		echo "no captures under captures/: nothing to check"
		exit 77
	fi
	echo "$n runs compared"
	;;

bad-flag)
	try="Try 'mxsniff --help' for more information."
	# "ARGS|FIRST LINE": the parser's errors and no input, with the --help line
	for t in "--no-such-option|mxsniff: unknown option '--no-such-option'" \
		"-Q|mxsniff: unknown option '-Q'" \
		"-r|mxsniff: option '-r' needs an argument" \
		"--top|mxsniff: option '--top' needs an argument" \
		"--max-c|mxsniff: option '--max-chains' needs an argument" \
		"--ma 1|mxsniff: option '--ma' is ambiguous (--max-pending, --max-recent, --max-lookups, --max-chains)" \
		"--help=1|mxsniff: option '--help' takes no argument" \
		"-q|mxsniff: give -r FILE to read a capture or -i INTERFACE to capture live"; do
		args=${t%%|*}
		want=${t#*|}
		# shellcheck disable=SC2086
		run "$tmp/o" "$tmp/e" $args
		if [ "$rc" != 2 ]; then fail "mxsniff $args: exit $rc, expected 2"; fi
		if [ -s "$tmp/o" ]; then fail "mxsniff $args: wrote to stdout"; fi
		printf '%s\n%s\n' "$want" "$try" >"$tmp/want"
		if ! cmp -s "$tmp/e" "$tmp/want"; then
			fail "mxsniff $args: stderr is not the two expected lines:"
			diff -u "$tmp/want" "$tmp/e"
		fi
	done
	# option values: one line naming the option, no --help line
	for args in "-c notanumber -r captures/none.pcap" "-F nosuchformat -r captures/none.pcap" \
		"--vxlan-port 0 -r captures/none.pcap" "--vxlan-port 1 --vxlan-port 2 --vxlan-port 3 --vxlan-port 4 -r captures/none.pcap" \
		"--answer-timeout 1e3 -r captures/none.pcap" "--threshold loop-attempts=0 -r captures/none.pcap"; do
		# shellcheck disable=SC2086
		run "$tmp/o" "$tmp/e" $args
		if [ "$rc" != 2 ]; then fail "mxsniff $args: exit $rc, expected 2"; fi
		if [ -s "$tmp/o" ]; then fail "mxsniff $args: wrote to stdout"; fi
		if [ "$(wc -l <"$tmp/e")" != 1 ] || ! grep -q '^mxsniff: -' "$tmp/e"; then
			fail "mxsniff $args: stderr is not one line \"mxsniff: -OPTION...\": $(cat "$tmp/e")"
		fi
	done
	;;

missing-file)
	run "$tmp/o" "$tmp/e" -r captures/no-such-dir/none.pcap
	if [ "$rc" != 2 ]; then fail "exit $rc, expected 2"; fi
	if [ -s "$tmp/o" ]; then fail "wrote to stdout"; fi
	lines=$(wc -l <"$tmp/e")
	if [ "$lines" != 1 ]; then fail "$lines lines on stderr, expected 1"; fi
	grep -q 'none.pcap' "$tmp/e" || fail "stderr does not name the file"
	cat "$tmp/e"
	# a directory and an empty file cannot be read either
	: >"$tmp/empty.pcap"
	for f in captures "$tmp/empty.pcap"; do
		run "$tmp/o" "$tmp/e" -r "$f"
		if [ "$rc" != 2 ]; then fail "-r $f: exit $rc, expected 2"; fi
		lines=$(wc -l <"$tmp/e")
		if [ "$lines" != 1 ]; then fail "-r $f: $lines lines on stderr, expected 1"; fi
	done
	;;

help)
	run "$tmp/h" "$tmp/he" --help
	if [ "$rc" != 0 ]; then fail "--help: exit $rc, expected 0"; fi
	if [ ! -s "$tmp/h" ]; then fail "--help: nothing on stdout"; fi
	run "$tmp/h2" "$tmp/he2" -h
	if [ "$rc" != 0 ]; then fail "-h: exit $rc, expected 0"; fi
	cmp -s "$tmp/h" "$tmp/h2" || fail "-h and --help differ"
	awk 'length > 80 { printf "FAIL: --help line %d is %d columns wide: %s\n", NR, length, $0; bad = 1 }
		END { exit bad }' "$tmp/h" || failed=1
	man_options >"$tmp/man"
	if [ ! -s "$tmp/man" ]; then fail "no options found in man/mxsniff.8 OPTIONS"; fi
	while read -r o; do
		has_opt "$tmp/h" "$o" || fail "$o is in the manual but not in --help"
	done <"$tmp/man"
	help_options "$tmp/h" >"$tmp/help"
	while read -r o; do
		grep -qxF -- "$o" "$tmp/man" || fail "$o is in --help but not in the manual's OPTIONS"
	done <"$tmp/help"
	echo "$(wc -l <"$tmp/man") options in the manual, $(wc -l <"$tmp/help") in --help"
	;;

version)
	for v in -V --version; do
		run "$tmp/v" "$tmp/ve" "$v"
		if [ "$rc" != 0 ]; then fail "$v: exit $rc, expected 0"; fi
		if [ "$(wc -l <"$tmp/v")" != 1 ]; then fail "$v: not one line"; fi
		grep -qE 'mxsniff [0-9]+\.[0-9]+' "$tmp/v" || fail "$v: no 'mxsniff X.Y' in: $(cat "$tmp/v")"
	done
	;;

json-keys)
	command -v jq >/dev/null 2>&1 || { echo "jq not installed: skipped"; exit 77; }
	# member names the manual marks up with Cm (lists like ".Cm a , b , c")
	awk '{
		want = 0
		for (i = 1; i <= NF; i++) {
			# want: 1 = a name may follow, 2 = a "," may follow
			if ($i ~ /^\.?(Cm|Ql)$/) { want = 1; continue }
			if (want == 2 && $i == ",") { want = 1; continue }
			w = $i; sub(/^\\&/, "", w)
			if (want == 1 && w ~ /^[A-Za-z0-9_]+$/ && $i !~ /^[A-Z][a-z][a-z]?$/) {
				print w; want = 2; continue
			}
			want = 0
		}
	}' man/mxsniff.8 >"$tmp/man"
	# and JSON names quoted in literal text: \(dqname\(dq
	grep -oE '\\\(dq[A-Za-z0-9_]+\\\(dq' man/mxsniff.8 | sed 's/\\(dq//g' >>"$tmp/man"
	LC_ALL=C sort -u -o "$tmp/man" "$tmp/man"
	grep -oE '`[^`]+`' docs/json-schema.md 2>/dev/null | grep -oE '[A-Za-z0-9_]+' | LC_ALL=C sort -u >"$tmp/schema"
	[ -s "$tmp/schema" ] || fail "docs/json-schema.md is missing or names nothing"
	: >"$tmp/keys"
	n=0
	for c in $(captures); do
		for f in json ndjson; do
			run "$tmp/o" "$tmp/e" -r "$c" -F "$f"
			[ "$rc" = 0 ] || continue
			jq -r '
				def members: if type == "object" then
					to_entries[] | .key, (if (.key | IN("rcodes", "outcomes", "lookup_outcomes"))
						then empty else (.value | members) end)
				elif type == "array" then .[] | members else empty end;
				members' "$tmp/o" >>"$tmp/keys" || fail "$c -F $f: not JSON"
			n=$((n + 1))
		done
	done
	[ "$n" -gt 0 ] || { echo "no capture could be read: nothing to check"; exit 77; }
	LC_ALL=C sort -u -o "$tmp/keys" "$tmp/keys"
	while read -r k; do
		grep -qxF -- "$k" "$tmp/man" || fail "JSON member \"$k\" is not in the manual (OUTPUT)"
		grep -qxF -- "$k" "$tmp/schema" || fail "JSON member \"$k\" is not in docs/json-schema.md"
	done <"$tmp/keys"
	echo "$(wc -l <"$tmp/keys") member names in $n outputs"
	;;

json-doc)
	command -v python3 >/dev/null 2>&1 || { echo "python3 not installed: skipped"; exit 77; }
	python3 man/json-section.py docs/json-schema.md >"$tmp/want" || { fail "man/json-section.py failed"; exit 1; }
	awk '/^\.\\" BEGIN json-section\.py/ { on = 1 } on { print } /^\.\\" END json-section\.py/ { on = 0 }' \
		man/mxsniff.8 >"$tmp/got"
	if ! diff -u "$tmp/want" "$tmp/got" >"$tmp/diff"; then
		head -n 60 "$tmp/diff"
		fail "man/mxsniff.8 JSON part differs from docs/json-schema.md: run man/json-section.py --update"
	fi
	echo "$(wc -l <"$tmp/got") lines match"
	;;

json-shape)
	command -v jq >/dev/null 2>&1 || { echo "jq not installed: skipped"; exit 77; }
	c=captures/$arg
	[ -e "$c" ] || { fail "$c does not exist"; exit 1; }
	run "$tmp/j" "$tmp/je" -r "$c" -F json
	if [ "$rc" != 0 ]; then fail "-F json: exit $rc"; cat "$tmp/je"; fi
	[ "$(jq -s length <"$tmp/j" 2>/dev/null)" = 1 ] || { fail "-F json is not one JSON document"; exit 1; }
	# The names issue 2 promises other tools (keep in step with the manual).
	jq -e '
		def rfc3339: type == "string" and test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{6}Z$");
		def lat: type == "object" and has("p50") and has("p95") and has("p99") and has("max");
		def outcomes: ["ANSWER","NODATA","NXDOMAIN","REFERRAL","SERVFAIL","REFUSED",
			"FORMERR","NOTIMP","OTHER","MALFORMED","TRUNCATED","UNREACHABLE","TIMEOUT"];
		(.stats | type == "object") and
		(.stats as $s | ["packets","dns_messages","queries","responses","malformed",
			"truncated","not_dns","unanswered","evicted"] | all(. as $k | $s | has($k))) and
		(.resolvers | type == "array") and
		all(.resolvers[]; has("address") and (.address | type == "string") and has("queries")
			and has("answered") and (.latency_ms | lat) and has("rcodes")) and
		(.senders | type == "array") and
		(.lookups | type == "array") and
		all(.lookups[]; has("client") and has("qname") and (.qtype | type == "string")
			and (.outcome as $o | outcomes | index($o) != null)
			and (.resolvers | type == "array") and (.first_seen | rfc3339)
			and has("latency_ms") and has("attempts")
			and (.frames | type == "array" and length > 0 and all(.[]; type == "number" and . >= 1)))
	' "$tmp/j" >/dev/null || fail "-F json lacks a name of the minimum JSON shape (issue 2)"
	jq -e '(.lookups | length) > 0 and (.resolvers | length) > 0' "$tmp/j" >/dev/null ||
		fail "$c: no lookups or no resolvers: pick a capture with mail lookups"
	run "$tmp/n" "$tmp/ne" -r "$c" -F ndjson
	if [ "$rc" != 0 ]; then fail "-F ndjson: exit $rc"; fi
	jq -e -s 'length > 0 and all(.[]; type == "object" and (.type | type == "string"))' "$tmp/n" >/dev/null ||
		fail "-F ndjson: a line is not an object with a string \"type\""
	for t in lookup stats; do
		jq -e -s --arg t "$t" 'any(.[]; .type == $t)' "$tmp/n" >/dev/null || fail "-F ndjson: no line of type $t"
	done
	echo "types: $(jq -r .type "$tmp/n" | sort | uniq -c | tr -s ' \n' ' ')"
	;;

conflict-markers)
	# a merge's leftovers in any text file of the tree (pcaps and build
	# trees aside): "<<<<<<< " or ">>>>>>> " at the start of a line
	hits=$(find . -path ./.git -prune -o -path './build*' -prune -o -type f \
		! -name '*.pcap' ! -name '*.pcapng' -print0 |
		xargs -0 grep -I -n -E '^(<<<<<<<|>>>>>>>) ' 2>/dev/null | head -5)
	[ -z "$hits" ] || fail "merge conflict markers: $hits"
	;;

*)
	echo "$0: unknown check $check" >&2
	exit 2
	;;
esac
[ "$failed" = 0 ]
