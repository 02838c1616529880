#!/usr/bin/env bash
# live.sh - live capture end to end: mxsniff -i lo in a network namespace
# made for the test, with real DNS traffic on its loopback.
#
# usage: live.sh MXSNIFF
#
# Re-runs itself in a new network namespace (`unshare -n`: its own lo and
# nothing else, so no packet leaves it and no real interface is touched),
# starts live-responder.py on 127.0.0.1:53 (answers NOERROR, SERVFAIL,
# NXDOMAIN or nothing by the first label of the name) and asks it with dig.
# Every run waits for mxsniff's "listening on" line (it is printed after the
# capture is open, the filter set and root dropped) rather than sleeping, and
# every wait has a generous limit. Checked:
#   1. SIGINT: the report (-o FILE, written by the process after it dropped
#      root to nobody) counts transactions, answers, the ICMP port
#      unreachable of a query to a dead address tied to its query
#      (RESOLVER_UNREACHABLE), an NXDOMAIN finding, a TCP query, a query
#      pending at the end; exit status 0.
#   2. Frames the kernel holds when the signal arrives are in the report
#      (the process is stopped while the traffic flows, then signalled).
#   3. SIGTERM with -F ndjson: lines are written while the capture runs (a
#      timed-out query's transaction line appears before the signal: the
#      idle tick fires timeouts on a quiet wire; RESOLVER_UNREACHABLE's
#      finding_made line when its 2 s statistics window ends), the stats
#      line and the final findings at the end.
#   4. -c N stops by itself after N packets.
#   5. Kernel drops (-B 256 and a flood while the process is stopped) are
#      reported: the report's pcap drops line and a warning on stderr.
#   6. A BPF expression as trailing arguments; --dns-port with the default
#      filter; -Z USER; -D; errors: no such interface, a bad expression, a
#      -B smaller than the snap length, an unknown -Z user, and a user
#      namespace where nobody has no uid (`unshare -rn` maps only root; one
#      line each, exit 2).
#   7. --ui under tmux: the view updates as packets arrive, q ends it and
#      the -o report holds what was seen. The view runs with windows of 1 s
#      (--chain-window, --retx-gap, --disagree-window) so that the NXDOMAIN
#      finding is made within seconds (with the defaults, 12 minutes).
#   8. --ui with the default --disagree-window (10 min): the held NXDOMAIN
#      is shown at once as a pending finding; 'w' writes a report that lists
#      it under Pending; q ends the capture and the final report has it as
#      a made finding.
#  10. A burst of 300 queries while the process is stopped: the default
#      buffer holds them all (no drops; immediate mode had lost most).
#   9. -w FILE: the file is created before the privilege drop, holds every
#      frame, and read back with -r gives the live report's lookups,
#      findings and frame numbers; --write-limit stops the file short of the
#      limit (the report says at which frame) while all frames are analysed;
#      errors: -w with -r, a limit below 1K, a directory that does not exist.
#
# Needs root (CI runs as root) to make the namespace with a real nobody.
# Exit status 0 = pass, 1 = fail, 77 = skipped (not root, or unshare, ip,
# python3, dig or tmux missing), 2 = usage.
set -u

if [ $# -lt 1 ]; then
	echo "usage: $0 MXSNIFF" >&2
	exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)
bin=$1
case $bin in /*) ;; *) bin=$PWD/$bin ;; esac

if [ "${2:-}" != --in-netns ]; then
	[ -x "$bin" ] || { echo "FAIL: $bin is not executable"; exit 1; }
	for t in unshare ip python3 dig tmux; do
		command -v "$t" >/dev/null 2>&1 || { echo "$t not installed: skipped"; exit 77; }
	done
	if [ "$(id -u)" != 0 ]; then
		echo "not root: cannot make a network namespace with a real nobody: skipped"
		exit 77
	fi
	exec unshare -n -- bash "$0" "$bin" --in-netns
fi

# ---- inside the namespace ---------------------------------------------------
export LC_ALL=C TZ=UTC0
tmp=$(mktemp -d "${TMPDIR:-/tmp}/mx-live.XXXXXX")
chmod 755 "$tmp"   # nobody's mxsniff does not write here: -o is opened as root
sock=$tmp/tmux.sock
pids=()

T() { tmux -S "$sock" -f /dev/null "$@"; }
cleanup() {
	local p
	T kill-server >/dev/null 2>&1
	for p in "${pids[@]}"; do
		kill -KILL "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

fail() {
	echo "FAIL: $*"
	local f
	for f in "$tmp"/*.out "$tmp"/*.err; do
		[ -s "$f" ] || continue
		echo "---- $(basename "$f") ----"
		head -c 4000 "$f"
	done
	exit 1
}
ok() { echo "ok: $*"; }

# wait_grep FILE REGEX [SECONDS]: until FILE has a line matching REGEX.
wait_grep() {
	local f=$1 re=$2 limit=${3:-15} i=0
	while [ "$i" -lt $((limit * 20)) ]; do
		grep -qE -- "$re" "$f" 2>/dev/null && return 0
		sleep 0.05
		i=$((i + 1))
	done
	fail "waited ${limit}s for /$re/ in $(basename "$f")"
}

# finish PID [SECONDS]: wait for PID to exit by itself; its status in $rc.
finish() {
	local p=$1 limit=${2:-15} i=0
	while kill -0 "$p" 2>/dev/null; do
		[ "$i" -lt $((limit * 20)) ] || fail "mxsniff ($p) still runs after ${limit}s"
		sleep 0.05
		i=$((i + 1))
	done
	wait "$p"
	rc=$?
}

# start NAME ARGS...: mxsniff -i lo ARGS in the background (stdout to
# NAME.out, stderr to NAME.err), returned once it listens; pid in $mp.
start() {
	local name=$1
	shift
	"$bin" -i lo "$@" >"$tmp/$name.out" 2>"$tmp/$name.err" &
	mp=$!
	pids+=("$mp")
	wait_grep "$tmp/$name.err" '^mxsniff: listening on lo'
}

# has FILE REGEX: FILE has a line matching REGEX (extended).
has() { grep -qE -- "$2" "$1" || fail "$(basename "$1") lacks /$2/"; }

q() { dig +tries=1 +time=1 +retry=0 "$@" >/dev/null 2>&1; }

ip link set lo up || fail "cannot bring lo up in the namespace"
python3 "$here/live-responder.py" 127.0.0.1 53 "$tmp/ready" 120 >"$tmp/responder.err" 2>&1 &
pids+=($!)
i=0
while [ ! -e "$tmp/ready" ]; do
	[ "$i" -lt 200 ] || fail "the DNS responder did not start"
	sleep 0.05
	i=$((i + 1))
done

# ---- 1. SIGINT: the report --------------------------------------------------
start int --answer-timeout 60 -o "$tmp/int.report"
grep -qE '^Uid:[[:space:]]+65534[[:space:]]+65534[[:space:]]+65534' "/proc/$mp/status" ||
	fail "the live capture still runs as $(grep '^Uid' "/proc/$mp/status"), not as nobody"
ok "root dropped to nobody before the first packet"
q @127.0.0.1 example.org MX
q @127.0.0.1 servfail.example.org A
q @127.0.0.1 nx.example.org MX
q +tcp @127.0.0.1 tcp.example.org A
q @127.0.0.2 dead.example.org A   # nothing listens there: ICMP port unreachable
q @127.0.0.1 drop.example.org A   # never answered: pending at the end
kill -INT "$mp"
finish "$mp"
[ "$rc" = 0 ] || fail "SIGINT: exit status $rc, not 0"
[ -s "$tmp/int.out" ] && fail "the report went to standard output despite -o"
[ "$(stat -c %U "$tmp/int.report")" = root ] || fail "-o was not opened before the privilege drop"
r=$tmp/int.report
has "$r" '^  source +interface lo$'
has "$r" '^  queries +6 \(0 retransmissions\)$'
has "$r" '^  transactions +6$'
has "$r" '^  answered +4$'
has "$r" '^  ICMP unreachable +1 transactions \(1 ICMP messages quoting DNS, 0 matched no query\)$'
has "$r" '^  pending at end +1$'
has "$r" '^  lookups +6 \(.*NXDOMAIN 1.*SERVFAIL 1.*\)$'
has "$r" '^  pcap drops +0 dropped, 0 dropped by interface'
has "$r" '\[ERROR\] MX_NXDOMAIN +sender 127\.0\.0\.1 -> domain nx\.example\.org'
has "$r" '\[ERROR\] RESOLVER_UNREACHABLE +sender 127\.0\.0\.1'
has "$r" 'A dead\.example\.org +ICMP unreachable'
has "$r" '^  127\.0\.0\.1 +5 .* 1 +1 +NOERROR 2 SERVFAIL 1 NXDOMAIN 1$'
has "$tmp/int.err" '^mxsniff: [0-9]+ frames captured, [0-9]+ received by filter, 0 dropped by kernel'
ok "SIGINT: complete report (transactions, ICMP tied to its query, pending, findings), exit 0"

# ---- 2. frames the kernel holds when the signal arrives ---------------------
start held --answer-timeout 60
kill -STOP "$mp"
for n in 1 2 3; do q @127.0.0.1 "held$n.example.org" A; done
kill -INT "$mp"
kill -CONT "$mp"
finish "$mp"
[ "$rc" = 0 ] || fail "SIGINT while stopped: exit status $rc"
has "$tmp/held.out" '^  packets +6 '
has "$tmp/held.out" '^  answered +3$'
ok "frames captured before the signal are in the report"

# ---- 3. SIGTERM, NDJSON streamed while running ------------------------------
start term -F ndjson --answer-timeout 0.5 --stats-window 2
q @127.0.0.1 servfail.example.net A
q @127.0.0.1 drop.example.net A
q @127.0.0.2 dead.example.net A   # ICMP port unreachable: RESOLVER_UNREACHABLE when the window ends
wait_grep "$tmp/term.out" '"type":"transaction".*"qname":"drop\.example\.net\.".*"outcome":"TIMEOUT"' 10
kill -0 "$mp" 2>/dev/null || fail "mxsniff ended before SIGTERM"
ok "NDJSON lines written while the capture runs (a timeout fired on a quiet wire)"
wait_grep "$tmp/term.out" '^\{"type":"finding_made","pattern":"RESOLVER_UNREACHABLE",.*"resolvers":\["127\.0\.0\.2"\]' 15
kill -0 "$mp" 2>/dev/null || fail "mxsniff ended before SIGTERM"
ok "NDJSON: a finding_made line as soon as the finding is made, while the capture runs"
kill -TERM "$mp"
finish "$mp"
[ "$rc" = 0 ] || fail "SIGTERM: exit status $rc, not 0"
has "$tmp/term.out" '^\{"type":"stats",.*"live":true,.*"unanswered":1,'
has "$tmp/term.out" '"type":"lookup",.*"qname":"servfail\.example\.net\.".*"outcome":"SERVFAIL"'
has "$tmp/term.out" '^\{"type":"finding","pattern":"RESOLVER_UNREACHABLE",'
[ "$(grep -c '"type":"finding_made","pattern":"RESOLVER_UNREACHABLE"' "$tmp/term.out")" = 1 ] ||
	fail "RESOLVER_UNREACHABLE streamed more than once"
ok "SIGTERM: the closing stats line (1 unanswered) and the final findings, exit 0"

# ---- 4. -c N ----------------------------------------------------------------
start count -c 4
for n in 1 2 3 4; do
	kill -0 "$mp" 2>/dev/null || break
	q @127.0.0.1 "c$n.example.org" A
done
finish "$mp"
[ "$rc" = 0 ] || fail "-c 4: exit status $rc"
has "$tmp/count.out" '^  packets +4 '
has "$tmp/count.out" '^  transactions +2$'
ok "-c 4 stops by itself after 4 packets"

# ---- 5. kernel drops ---------------------------------------------------------
start drops -B 256 --answer-timeout 60
kill -STOP "$mp"
python3 - <<'EOF' || fail "the flood failed"
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
q = bytes.fromhex("abcd01000001000000000000") + b"\x04drop\x05flood\x07example\x00\x00\x01\x00\x01"
for _ in range(5000):
    s.sendto(q, ("127.0.0.1", 53))
EOF
kill -CONT "$mp"
kill -INT "$mp"
finish "$mp"
[ "$rc" = 0 ] || fail "drops: exit status $rc"
has "$tmp/drops.out" '^  pcap drops +[1-9][0-9]* dropped, 0 dropped by interface \([0-9]+ received\)$'
has "$tmp/drops.err" '^mxsniff: warning: [1-9][0-9]* packets dropped by the kernel and 0 by the interface are not in the report'
ok "kernel drops in the report and warned about"

# ---- 6. expression, --dns-port, -Z, -D, errors ------------------------------
start expr --answer-timeout 60 udp port 53 and host 127.0.0.2
has "$tmp/expr.err" '^mxsniff: filter: udp port 53 and host 127\.0\.0\.2$'
q @127.0.0.1 example.com A
q @127.0.0.2 gone.example.com A
kill -INT "$mp"
finish "$mp"
[ "$rc" = 0 ] || fail "expression: exit status $rc"
has "$tmp/expr.out" '^  queries +1 '
has "$tmp/expr.out" '^  filter +udp port 53 and host 127\.0\.0\.2$'
ok "a BPF expression as trailing arguments replaces the default filter"

python3 "$here/live-responder.py" 127.0.0.1 5354 "$tmp/ready2" 60 >"$tmp/responder2.err" 2>&1 &
pids+=($!)
wait_grep "$tmp/ready2" . 10
start port --dns-port 5354 -Z daemon
grep -qE '^Uid:[[:space:]]+1[[:space:]]+1[[:space:]]+1' "/proc/$mp/status" || fail "-Z daemon: not uid 1"
has "$tmp/port.err" '^mxsniff: filter: udp port 5354 or tcp port 5354 or '
q -p 5354 @127.0.0.1 alt.example.org A
q @127.0.0.1 std.example.org A   # port 53 is not DNS now
kill -INT "$mp"
finish "$mp"
has "$tmp/port.out" '^  queries +1 '
has "$tmp/port.out" '^  answered +1$'
has "$tmp/port.out" '^  privileges +root dropped to daemon \(uid 1, gid 1\) once the input and outputs were open$'
ok "--dns-port 5354 in the default filter; -Z daemon, said in the report"

"$bin" -D >"$tmp/list.out" 2>"$tmp/list.err" || fail "-D: exit status $?"
has "$tmp/list.out" '^[0-9]+\.lo \[.*Loopback'
ok "-D lists lo"

# expect_error NAME REGEX ARGS...: exit 2 and exactly one line on stderr.
expect_error() {
	local name=$1 re=$2
	shift 2
	timeout 10 "$@" >"$tmp/$name.out" 2>"$tmp/$name.err" </dev/null
	rc=$?
	[ "$rc" = 2 ] || fail "$name: exit status $rc, not 2"
	[ "$(wc -l <"$tmp/$name.err")" = 1 ] || fail "$name: not one line on stderr"
	has "$tmp/$name.err" "$re"
	ok "$name: $(cat "$tmp/$name.err")"
}
expect_error noiface '^mxsniff: cannot capture on mx-nosuch0: no such interface' "$bin" -i mx-nosuch0
expect_error badexpr '^mxsniff: bad filter expression for lo: ' "$bin" -i lo udp port 99999
expect_error smallbuf '^mxsniff: -B 64: the capture buffer is smaller than the snapshot length \(262144 bytes\)' \
	"$bin" -i lo -B 64
expect_error nouser "^mxsniff: cannot drop privileges: no user 'mx-no-such-user'" "$bin" -i lo -Z mx-no-such-user
expect_error userns "^mxsniff: cannot drop privileges to 'nobody': its uid 65534 has no mapping in this user namespace" \
	unshare -rn -- sh -c 'ip link set lo up && exec "$0" -i lo' "$bin"

# ---- 7. --ui under tmux ------------------------------------------------------
T new-session -d -s ui -x 160 -y 40 \
	"'$bin' -i lo --ui --answer-timeout 60 --chain-window 1 --retx-gap 1 --disagree-window 1 -o '$tmp/ui.report' 2>'$tmp/ui.err'; echo EXIT=\$?; sleep 60"
sess=ui
screen() { T capture-pane -p -t "$sess" 2>/dev/null; }
wait_screen() {
	local text=$1 i=0
	while [ "$i" -lt 300 ]; do
		screen | grep -qE -- "$text" && return 0
		sleep 0.05
		i=$((i + 1))
	done
	echo "---- screen ----"
	screen
	fail "--ui: waited 15s for /$text/"
}
wait_screen 'mxsniff +interface lo'
wait_screen 'packets 0 '
q @127.0.0.1 nx.example.com MX
q @127.0.0.1 example.com MX
wait_screen 'packets 4 '
wait_screen 'MX_NXDOMAIN'
ok "--ui: the view shows live packets and a finding"
T send-keys -t ui q
wait_screen '^EXIT=0$'
has "$tmp/ui.report" 'MX_NXDOMAIN'
has "$tmp/ui.report" 'interface lo'
has "$tmp/ui.err" "^mxsniff: md report written to $tmp/ui.report$"
ok "--ui: q ends the view, exit 0, the report written"

# ---- 8. pending findings in the view -----------------------------------------
sess=pend
T new-session -d -s pend -x 160 -y 40 \
	"'$bin' -i lo --ui -F text --chain-window 1 --retx-gap 1 -o '$tmp/pend.report' 2>'$tmp/pend.err'; echo EXIT=\$?; sleep 60"
wait_screen 'packets 0 '
q @127.0.0.1 nx.example.com MX
wait_screen 'MX_NXDOMAIN .*pending: the recipient domain does not exist'
wait_screen 'findings 0 \+1 pending'
ok "--ui: the NXDOMAIN held for --disagree-window is shown as pending"
T send-keys -t pend w
wait_screen 'text report written to'
has "$tmp/pend.report" '^  Pending \(1\): not findings yet'
has "$tmp/pend.report" '^  \[ERROR\] MX_NXDOMAIN '
has "$tmp/pend.report" '^      waiting: held for --disagree-window'
T send-keys -t pend q
wait_screen '^EXIT=0$'
has "$tmp/pend.report" '^  \[ERROR\] MX_NXDOMAIN  sender 127.0.0.1 -> domain nx\.example\.com'
grep -q 'Pending' "$tmp/pend.report" && fail "the final report still lists a pending finding"
ok "--ui: 'w' lists it under Pending; at q it is made"

# ---- 10. a burst with the default buffer: nothing dropped -------------------
# In immediate mode libpcap's ring has frames of the snap length (262144), so
# the default 2 MiB buffer held 4 to 16 packets and a burst was dropped
# (captures/lab/soak-live.sh: 4 of 300 queries kept). Buffered, it holds
# thousands.
start burst --answer-timeout 60
kill -STOP "$mp"
python3 - <<'EOF' || fail "the burst failed"
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(300):
    q = bytes.fromhex("%04x01000001000000000000" % i) + b"\x05burst\x07example\x00\x00\x01\x00\x01"
    s.sendto(q, ("127.0.0.2", 53))
EOF
kill -CONT "$mp"
kill -INT "$mp"
finish "$mp"
[ "$rc" = 0 ] || fail "burst: exit status $rc"
has "$tmp/burst.out" '^  pcap drops +0 dropped, 0 dropped by interface'
n=$(sed -n 's/^  queries  *\([0-9]*\) .*/\1/p' "$tmp/burst.out")
[ "$n" = 300 ] || fail "burst: $n of 300 queries in the report"
ok "a burst of 300 queries while the process was stopped: all in the report, nothing dropped"

# ---- 9. -w FILE: the packets saved, numbered as the report numbers them ------
start save -F json --answer-timeout 60 -w "$tmp/saved.pcap" -o "$tmp/save.report"
[ "$(stat -c %U "$tmp/saved.pcap")" = root ] || fail "-w was not opened before the privilege drop"
q @127.0.0.1 example.org MX
q @127.0.0.1 servfail.example.org A
q @127.0.0.1 nx.example.org MX
q +tcp @127.0.0.1 tcp.example.org A
q @127.0.0.2 dead.example.org A
kill -INT "$mp"
finish "$mp"
[ "$rc" = 0 ] || fail "-w: exit status $rc"
r=$tmp/save.report
frames=$(jq -r '.stats.capture.frames' "$r")
[ "$frames" -ge 12 ] || fail "-w: only $frames frames captured"
[ "$(jq -r '.stats.capture.saved.frames' "$r")" = "$frames" ] || fail "-w: saved.frames is not the frames captured"
[ "$(jq -r '.stats.capture.saved.bytes' "$r")" = "$(stat -c %s "$tmp/saved.pcap")" ] ||
	fail "-w: saved.bytes is not the file's size"
jq -e '.stats.capture.saved.stopped_at_frame == null and .stats.capture.saved.error == null' "$r" >/dev/null ||
	fail "-w: a stop or an error reported"
"$bin" -r "$tmp/saved.pcap" -F json -o "$tmp/reread.json" --answer-timeout 60 2>"$tmp/reread.err" ||
	fail "the saved file cannot be read back"
[ "$(jq -r '.stats.packets' "$tmp/reread.json")" = "$frames" ] || fail "the saved file does not hold every frame"
sel='[.lookups[] | {client, qname, qtype, outcome, frames}]'
[ "$(jq -c "$sel" "$r")" = "$(jq -c "$sel" "$tmp/reread.json")" ] ||
	fail "lookups and their frame numbers differ between the live report and the saved file: $(jq -c "$sel" "$r") vs $(jq -c "$sel" "$tmp/reread.json")"
[ "$(jq -c '[.findings[] | {pattern, frames}]' "$r")" = "$(jq -c '[.findings[] | {pattern, frames}]' "$tmp/reread.json")" ] ||
	fail "findings' frames differ between the live report and the saved file"
jq -e '[.lookups[] | select(.qname == "nx.example.org." and .outcome == "NXDOMAIN")] | length == 1' "$r" >/dev/null ||
	fail "-w: the NXDOMAIN lookup is missing"
ok "-w: every frame saved; read back, the file gives the live report's lookups, findings and frame numbers"

# --write-limit: the file stops short of the limit, the analysis goes on
start savelim --answer-timeout 60 -w "$tmp/lim.pcap" --write-limit 1K -o "$tmp/lim.report"
for n in 1 2 3 4 5 6 7 8; do q @127.0.0.1 "lim$n.example.org" A; done
kill -INT "$mp"
finish "$mp"
[ "$rc" = 0 ] || fail "--write-limit: exit status $rc"
size=$(stat -c %s "$tmp/lim.pcap")
[ "$size" -le 1024 ] || fail "--write-limit 1K: the file has $size bytes"
has "$tmp/lim.report" '^  packets +16 '
has "$tmp/lim.report" '^  saved to +.*/lim\.pcap: [0-9]+ frames, '"$size"' bytes .*; stopped at frame [0-9]+ by --write-limit'
kept=$("$bin" -r "$tmp/lim.pcap" -F json | jq -r '.stats.packets')
stop=$(sed -n 's/.*; stopped at frame \([0-9]*\) by --write-limit.*/\1/p' "$tmp/lim.report")
[ "$kept" -ge 1 ] && [ "$((kept + 1))" = "$stop" ] ||
	fail "--write-limit: $kept frames in the file, but the report says it stopped at frame $stop"
ok "--write-limit 1K: $kept frames saved ($size bytes), the report says where it stopped; all 16 analysed"

expect_error wfile '^mxsniff: -w: writes a live capture \(-i\)' "$bin" -r "$tmp/saved.pcap" -w "$tmp/x.pcap"
expect_error wlimit "^mxsniff: --write-limit: '10' is not a size in bytes" "$bin" -i lo -w "$tmp/x.pcap" --write-limit 10
expect_error wdir '^mxsniff: cannot write /nonexistent-dir/x\.pcap: No such file or directory$' "$bin" -i lo -w /nonexistent-dir/x.pcap

echo "PASS"
exit 0
