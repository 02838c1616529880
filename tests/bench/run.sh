#!/bin/sh
# run.sh - mxsniff benchmark: generate 100k, 1M and 2M-packet mail-server DNS
# captures into a scratch directory (not committed), run `bench` on each and
# print a table with the targets:
#   analysis CPU <= 5x the bare libpcap loop (each size), measured on
#   `mxsniff -r FILE -o /dev/null` (whole analysis, default text report);
#   the -F json figure is shown beside it for information
#   peak RSS <= 64 MiB at 2M packets, and <= 1.5x the 100k figure
#
#   tests/bench/run.sh [BUILD_DIR [SCRATCH_DIR]]
#
# BUILD_DIR (default ./build) must hold tests/gen/mxsniff-gen,
# tests/bench/bench and mxsniff. REPEAT (env, default 3) runs per size.
# Exit status 0 when every target is met, 1 otherwise.
set -eu
build=${1:-build}
scratch=${2:-/tmp/mxsniff-bench}
repeat=${REPEAT:-3}
gen=$build/tests/gen/mxsniff-gen
bench=$build/tests/bench/bench
mx=$build/mxsniff
for f in "$gen" "$bench" "$mx"; do
	[ -x "$f" ] || { echo "run.sh: $f not built" >&2; exit 2; }
done
mkdir -p "$scratch"

field() { # field NAME LINE
	echo "$2" | tr ' ' '\n' | sed -n "s/^$1=//p"
}

rows=""
for n in 100k 1M 2M; do
	f=$scratch/bench-$n.pcap
	[ -s "$f" ] || "$gen" bench "$n" "$f" 2>/dev/null
	echo "== $n" >&2
	out=$("$bench" -n "$repeat" "$mx" "$f") || { echo "$out" >&2; echo "run.sh: bench failed on $f" >&2; exit 1; }
	echo "$out" >&2
	line=$(echo "$out" | grep '^BENCH ')
	rows="$rows$n $(field packets "$line") $(field bare_pps "$line") $(field mx_pps "$line") $(field ratio "$line") $(field rss_mib "$line") $(field json_ratio "$line")
"
done

echo
printf '%-6s %10s %14s %14s %8s %10s  %-8s %s\n' size packets bare_pkt/s mxsniff_pkt/s ratio peak_MiB "ratio<=5" json_ratio
fail=0
rss100k=""
rss2m=""
printf '%s' "$rows" | while read -r n p bp mp r m jr; do
	ok=$(awk -v r="$r" 'BEGIN { print (r <= 5.0) ? "ok" : "FAIL" }')
	printf '%-6s %10s %14s %14s %8s %10s  %-8s %s\n' "$n" "$p" "$bp" "$mp" "$r" "$m" "$ok" "$jr"
done
rss100k=$(printf '%s' "$rows" | awk '$1 == "100k" { print $6 }')
rss2m=$(printf '%s' "$rows" | awk '$1 == "2M" { print $6 }')
worst=$(printf '%s' "$rows" | awk 'BEGIN { w = 0 } { if ($5 > w) w = $5 } END { print w }')
echo
awk -v a="$rss100k" -v b="$rss2m" -v w="$worst" 'BEGIN {
	m = (a > 0) ? b / a : 0;
	printf "worst ratio          %6.2fx   target <= 5x      %s\n", w, (w <= 5.0) ? "ok" : "FAIL";
	printf "peak RSS at 2M       %6.1f MiB target <= 64 MiB  %s\n", b, (b <= 64.0) ? "ok" : "FAIL";
	printf "2M / 100k RSS        %6.2fx   target <= 1.5x    %s\n", m, (m <= 1.5) ? "ok" : "FAIL";
	exit (w <= 5.0 && b <= 64.0 && m <= 1.5) ? 0 : 1 }' || fail=1
exit $fail
