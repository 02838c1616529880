#!/bin/sh
# pattern-check.sh MXSNIFF - check tests/e2e/patterns.d/*.list (see the README there).
# Prints one line per check and a closing "N passed, N failed" line.
set -u
mx=$1
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
pass=0
fail=0
rank() {
	case "$1" in info) echo 0 ;; warn) echo 1 ;; error) echo 2 ;; crit) echo 3 ;; *) echo 9 ;; esac
}
out=$(mktemp)
trap 'rm -f "$out"' EXIT
while read -r capture expect flags; do
	case "$capture" in ""|\#*) continue ;; esac
	# shellcheck disable=SC2086
	"$mx" -r "$root/captures/$capture" -F ndjson $flags > "$out" 2>/dev/null
	rc=$?
	if [ $rc -ne 0 ]; then
		echo "FAIL $capture: mxsniff exited $rc"
		fail=$((fail + 1))
		continue
	fi
	# "pattern":"X","severity":"Y" of every finding line
	found=$(grep '"type":"finding"' "$out" |
		sed -n 's/.*"pattern":"\([A-Z0-9_]*\)".*"severity":"\([a-z]*\)".*/\1 \2/p')
	ok=1
	case "$expect" in
	quiet)
		bad=$(echo "$found" | awk '$2 != "info" && $2 != ""')
		[ -z "$bad" ] || { ok=0; why="findings above info: $(echo $bad)"; }
		;;
	dsn-from=*)
		log="$root/captures/${expect#dsn-from=}"
		# Postfix: "dsn=4.4.3, status=deferred"; Sendmail: "dsn=4.4.3,
		# stat=Deferred: ..." (2.x.x deliveries are not failures)
		codes=$(grep -Ei 'stat(us)?=(deferred|bounced)' "$log" 2>/dev/null | sed -n 's/.*dsn=\([45]\.[0-9]*\.[0-9]*\).*/\1/p' | sort -u)
		if [ -z "$codes" ]; then
			ok=0
			why="no deferred/bounced dsn in $log"
		fi
		for code in $codes; do
			grep '"type":"finding"' "$out" | grep -Eq "\"smtp_status\":\"([^\"\\\\]|\\\\.)*$code" ||
				{ ok=0; why="the MTA logged dsn=$code, no finding predicts it"; }
		done
		;;
	status=*)
		want=$(echo "${expect#status=}" | tr '_' ' ')
		grep '"type":"finding"' "$out" | grep -F -q "$want" || { ok=0; why="no smtp_status with '$want'"; }
		;;
	*\>=*)
		pat=${expect%%>=*}
		sev=$(rank "${expect#*>=}")
		hit=0
		for s in $(echo "$found" | awk -v p="$pat" '$1 == p {print $2}'); do
			[ "$(rank "$s")" -ge "$sev" ] && hit=1
		done
		[ $hit -eq 1 ] || { ok=0; why="no $pat at ${expect#*>=} or above (got: $(echo $found))"; }
		;;
	*\<*)
		pat=${expect%%<*}
		sev=$(rank "${expect#*<}")
		for s in $(echo "$found" | awk -v p="$pat" '$1 == p {print $2}'); do
			[ "$(rank "$s")" -ge "$sev" ] && { ok=0; why="$pat at $s"; }
		done
		;;
	*)
		ok=0
		why="bad expectation '$expect'"
		;;
	esac
	if [ $ok -eq 1 ]; then
		echo "ok   $capture $expect"
		pass=$((pass + 1))
	else
		echo "FAIL $capture $expect: $why"
		fail=$((fail + 1))
	fi
done <<EOF_LISTS
$(cat "$here"/patterns.d/*.list 2>/dev/null)
EOF_LISTS
echo "$pass passed, $fail failed"
[ $fail -eq 0 ] && [ $pass -gt 0 ]
