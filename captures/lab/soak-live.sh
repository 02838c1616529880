#!/bin/bash
# soak-live.sh: a live-capture soak of mxsniff with real software (not run
# by CI). mxsniff runs for minutes on busy lab interfaces, as an operator
# would run it, while a real Postfix sends mail through dnsdist + unbound
# (dnsdist answers SERVFAIL to AAAA of mx.broken-aaaa.test) and dnsperf
# adds background DNS load. The script prints figures, it does not judge
# them (exit status 0 when every run could be made).
#
# usage (as root, under the shared lab lock):
#   (exec 9>/tmp/mxlab.lock; flock -w 900 9 && \
#     captures/lab/soak-live.sh BUILD/mxsniff [UI_MXSNIFF])
#
#   BUILD/mxsniff  the binary of the batch phase (-n)
#   UI_MXSNIFF     the binary of the live-view phase (default: the same);
#                  give an ASan/UBSan build (-DMXSNIFF_SANITIZE=ON) to run the
#                  view under the sanitizers: their reports go to
#                  $RUN/asan/asan.PID (printed at the end).
#
# Environment: SOAK_SECS (180) length of the batch phase, SOAK_UI_SECS (120)
# of the view phase, SOAK_QPS1 (2000) and SOAK_QPS2 (20000) the two dnsperf
# floods (SOAK_F1_SECS 60 from SOAK_F1_AT 20 s, SOAK_F2_SECS 15, the second at SOAK_F2_AT 100 s), SOAK_MAIL_GAP (4) seconds
# between messages, SOAK_PHASES ("batch ui") which phases run,
# SOAK_OPTS_ANY, SOAK_OPTS_VETH, SOAK_OPTS_UI more mxsniff options for the
# three captures (e.g. "-B 65536" or "-s 1500"), SOAK_UI_ASAN_OPTIONS more
# ASAN_OPTIONS for the view (e.g. quarantine_size_mb=4),
# MXLAB_NS (mxsoak) namespace prefix, MXLAB_RUN (/tmp/mxlab) run directory
# base. Everything is kept in $MXLAB_RUN/soak-live/ (pcaps, reports, rss.tsv).
#
# Phases (one lab, set up once; SOAK_PHASES="burst batch ui" adds the
# third, which needs no lab):
#   batch  two mxsniff at once, both as root (so both drop to nobody, -Z
#          default): A = "-i any -n -F ndjson -o any.ndjson -w any.pcap" in
#          the bridge namespace (every packet crosses two bridge ports, so
#          -i any sees each twice: the capture_duplicate rule), next to a
#          "tcpdump -i any" with the same filter; B = "-i eth0 -n -F md -o
#          veth.md -w veth.pcap" on the sender's veth. Postfix sends a message
#          every SOAK_MAIL_GAP s (dNN.rcpt.test, broken-aaaa.test, and
#          nonexistent.test); dnsperf floods at SOAK_QPS1 from t=20 s for
#          SOAK_F1_SECS, at SOAK_QPS2 from t=100 s for SOAK_F2_SECS. RSS and
#          CPU of both sampled every 5 s. A is stopped by SIGINT, B by SIGTERM.
#          Then each -w file is read back with the same options and compared
#          with the live report; tcpdump's file is read by mxsniff and by an
#          independent duplicate counter (python, same 2 ms rule).
#   ui     UI_MXSNIFF "-i any --ui -F md -w ui.pcap -o ui.md" in the bridge
#          namespace under tmux; the same mail, a SOAK_QPS1 flood for 30 s
#          from t=15 s and a SOAK_QPS2 flood for SOAK_F2_SECS from t=50 s; the
#          script presses 1-6, Enter, Esc and w, checks that the header's
#          packet count grows between screen captures, presses q and checks
#          the exit status 0; the -w file read back is compared with ui.md.
#   burst  (no lab; unshare -n, lo only) the capture process is stopped
#          while 300 queries go out, then resumed: the kernel drops show
#          how many packets the capture ring holds ("BURST" lines), for
#          mxsniff with defaults, -s 1500 and -B 65536 and for tcpdump with
#          and without --immediate-mode, on lo and any.
#
# Printed: "RSS" rows (seconds, KiB, CPU % over the last interval), a
# summary per process (first/peak/last RSS, CPU seconds), kernel drops,
# duplicate counts (mxsniff live, mxsniff on tcpdump's file, the python
# counter), transactions, and for every live-vs-file comparison
# "MATCH" or "DIFFER" with the first lines of the difference
# (diff files kept in the run directory).
export MXLAB_NS=${MXLAB_NS:-mxsoak}
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/fail-lib.sh"
NAME=soak-live
BIN=${1:?usage: soak-live.sh MXSNIFF [UI_MXSNIFF]}
UIBIN=${2:-$BIN}
case $BIN in /*) ;; *) BIN=$PWD/$BIN ;; esac
case $UIBIN in /*) ;; *) UIBIN=$PWD/$UIBIN ;; esac
SECS=${SOAK_SECS:-180}
UISECS=${SOAK_UI_SECS:-120}
QPS1=${SOAK_QPS1:-2000}
QPS2=${SOAK_QPS2:-20000}
F1=${SOAK_F1_SECS:-60}
F2=${SOAK_F2_SECS:-15}
GAP=${SOAK_MAIL_GAP:-4}
PHASES=${SOAK_PHASES:-batch ui}
OPTS_ANY=${SOAK_OPTS_ANY:-}; OPTS_VETH=${SOAK_OPTS_VETH:-}; OPTS_UI=${SOAK_OPTS_UI:-}
UI_ASAN=${SOAK_UI_ASAN_OPTIONS:+:$SOAK_UI_ASAN_OPTIONS}
for t in dnsperf tmux jq python3; do
    command -v $t >/dev/null 2>&1 || die "missing tool: $t"
done
{ [ -x "$BIN" ] && [ -x "$UIBIN" ]; } || die "not executable: $BIN $UIBIN"
if [ "$(readlink /proc/self/fd/9 2>/dev/null)" != /tmp/mxlab.lock ]; then
    exec 9>/tmp/mxlab.lock
    flock -n 9 || die "another lab run holds /tmp/mxlab.lock"
fi
# The live capture's default filter (manual, OPTIONS, expression).
FILTER='udp port 53 or tcp port 53 or (ip[6:2] & 0x1fff != 0) or (ip6 and ip6[6] == 44) or icmp[icmptype] == icmp-unreach or (icmp6 and ip6[40] == 1) or (tcp dst port 25 and tcp[tcpflags] & tcp-syn != 0)'

lab_init "$NAME"
export LC_ALL=C TZ=UTC0
mkdir -p "$RUN/asan"; chmod 1777 "$RUN/asan"
SOCK=$RUN/tmux.sock
T() { tmux -S "$SOCK" -f /dev/null "$@"; }
soak_exit() { local rc=$?; T kill-server >/dev/null 2>&1; (exit "$rc"); lab_on_exit; }
trap soak_exit EXIT
{ printf 'zone:\n    name: "dnsbl.test."\n    zonefile: "%s"\n' "$ZONES/dnsbl.test.zone"
  printf 'zone:\n    name: "rcpt.test."\n    zonefile: "%s"\n' "$ZONES/rcpt.test.zone"; } > "$RUN/nsd-extra.conf"
# dnsperf's queries: an inbound spam wave's filtering lookups (as in
# lab-query-volume.sh): PTR, blocklist A and TXT, SPF TXT.
for x in $(seq 1 254); do
    printf '%s.113.0.203.in-addr.arpa PTR\n%s.113.0.203.bl.dnsbl.test A\n%s.113.0.203.bl.dnsbl.test TXT\n' "$x" "$x" "$x"
    printf '%s.100.51.198.in-addr.arpa PTR\n%s.100.51.198.bl.dnsbl.test A\ns%s.example TXT\n' "$x" "$x" "$((x + 300))"
    printf '%s.2.0.192.in-addr.arpa PTR\n%s.2.0.192.bl.dnsbl.test A\ns%s.example TXT\n' "$x" "$x" "$((x + 600))"
done > "$RUN/queries.txt"

# The lab (and Postfix) only for the phases that use it.
LAB_UP=0
lab_up() {
    [ "$LAB_UP" = 1 ] && return 0
    lab_setup
    fail_start_nsd "$RUN/nsd-extra.conf"
    lab_start_unbound "127.0.0.1@5300"
    lab_start_dnsdist "$TPL/dnsdist-aaaa-servfail.conf.in"
    lab_start_sinks
    lab_resolvers "$RES4"
    lab_start_postfix pf all "smtp_address_preference = ipv4"
    LAB_UP=1
}

# mail_loop SECONDS: one message every GAP s, cycling through 60 healthy
# domains, broken-aaaa.test (every 3rd) and nonexistent.test (every 10th).
mail_loop() {
    local end=$(( $(date +%s) + $1 )) n=0 rcpt
    while [ "$(date +%s)" -lt "$end" ]; do
        n=$((n + 1))
        if [ $((n % 10)) = 0 ]; then rcpt=user@nonexistent.test
        elif [ $((n % 3)) = 0 ]; then rcpt=user@broken-aaaa.test
        else rcpt=user@d$(printf %02d $(( (n % 60) + 1 ))).rcpt.test; fi
        lab_send pf sender@sender.lab.test "$rcpt" "soak $n" 2>>"$RUN/mail.log" || true
        sleep "$GAP"
    done
}
# flood AT QPS SECS TAG: dnsperf from the sender namespace, after AT s.
flood() {
    sleep "$1"
    log "dnsperf $2 q/s for $3 s"
    ip netns exec "$NS_SND" dnsperf -s "$RES4" -d "$RUN/queries.txt" -Q "$2" -l "$3" \
        -c 8 -q 2000 -t 2 -S 5 >"$RUN/dnsperf-$4.out" 2>&1 || true
}
# sample TAG PID...: VmRSS (KiB) and utime+stime (ticks) every 5 s.
sample() {
    local tag=$1 t0 p rss cpu; shift; t0=$(date +%s)
    while :; do
        local alive=0
        for p in "$@"; do
            [ -r "/proc/$p/status" ] || continue
            rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$p/status" 2>/dev/null) || continue
            cpu=$(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null) || continue
            [ -n "$rss" ] && printf '%s\t%s\t%s\t%s\n' "$tag-$p" "$(( $(date +%s) - t0 ))" "$rss" "$cpu"
            alive=1
        done
        [ $alive = 1 ] || break
        sleep 5
    done >> "$RUN/rss.tsv"
}
wait_listen() { wait_for "mxsniff listening ($1)" 20 grep -q 'listening on' "$1"; }
# proc_summary: per process, the RSS rows and first/peak/last, CPU.
proc_summary() {
    local hz; hz=$(getconf CLK_TCK)
    awk -F'\t' -v hz="$hz" '
        { k=$1; if (!(k in first)) { first[k]=$3; order[++n]=k; c0[k]=$4; t0[k]=$2 }
          if ($3 > peak[k]) peak[k]=$3; last[k]=$3; tl[k]=$2; cl[k]=$4
          pct = ((k in pc) && $2 > pt[k]) ? 100 * ($4 - pc[k]) / hz / ($2 - pt[k]) : 0
          pc[k]=$4; pt[k]=$2
          rows[k] = rows[k] sprintf(" %s:%d/%.0f%%", $2, $3 / 1024, pct) }
        END { for (i = 1; i <= n; i++) { k = order[i]
                printf "RSS %s (s:MiB/CPU%%):%s\n", k, rows[k]
                printf "SUMMARY %s: RSS first %d KiB, peak %d KiB, last %d KiB; CPU %.1f s in %d s (%.0f%% of one core)\n",
                    k, first[k], peak[k], last[k], (cl[k] - c0[k]) / hz, tl[k] - t0[k],
                    (tl[k] > t0[k] ? 100 * (cl[k] - c0[k]) / hz / (tl[k] - t0[k]) : 0) } }' "$RUN/rss.tsv" \
        | grep -F "$1"
}
# compare_ndjson LIVE FILE TAG: lookups, chains, findings, finding_made
# lines and the stats that do not describe the capture itself.
compare_ndjson() {
    local a=$1 b=$2 tag=$3 what sel
    # (the lines are {"type":"X",... as written; grep, as jq is slow on
    # hundreds of thousands of transaction lines)
    for what in lookup chain finding finding_made transaction domain resolver sender failing_name; do
        ndj "$what" "$a" > "$RUN/cmp-$tag-$what.live"
        ndj "$what" "$b" > "$RUN/cmp-$tag-$what.file"
        if cmp -s "$RUN/cmp-$tag-$what.live" "$RUN/cmp-$tag-$what.file"; then
            printf 'LIVE-VS-FILE %s %s: MATCH (%s lines)\n' "$tag" "$what" "$(wc -l < "$RUN/cmp-$tag-$what.live")"
        elif cmp -s <(sort "$RUN/cmp-$tag-$what.live") <(sort "$RUN/cmp-$tag-$what.file"); then
            printf 'LIVE-VS-FILE %s %s: SAME LINES, OTHER ORDER (%s lines)\n' "$tag" "$what" "$(wc -l < "$RUN/cmp-$tag-$what.live")"
        else
            diff <(sort "$RUN/cmp-$tag-$what.live") <(sort "$RUN/cmp-$tag-$what.file") > "$RUN/cmp-$tag-$what.diff" || true
            printf 'LIVE-VS-FILE %s %s: DIFFER (live %s lines, file %s; %s only live, %s only file; %s)\n' \
                "$tag" "$what" "$(wc -l < "$RUN/cmp-$tag-$what.live")" "$(wc -l < "$RUN/cmp-$tag-$what.file")" \
                "$(grep -c '^<' "$RUN/cmp-$tag-$what.diff")" "$(grep -c '^>' "$RUN/cmp-$tag-$what.diff")" \
                "$RUN/cmp-$tag-$what.diff"
            cut -c1-400 "$RUN/cmp-$tag-$what.diff" | head -6 | sed 's/^/    /'
        fi
    done
    sel='del(.source, .live, .capture, .filter)'
    if diff <(ndj stats "$a" | jq -S "$sel") <(ndj stats "$b" | jq -S "$sel") > "$RUN/cmp-$tag-stats.diff"; then
        printf 'LIVE-VS-FILE %s stats (without .capture/.source/.live/.filter): MATCH\n' "$tag"
    else
        printf 'LIVE-VS-FILE %s stats: DIFFER (%s)\n' "$tag" "$RUN/cmp-$tag-stats.diff"
        head -20 "$RUN/cmp-$tag-stats.diff" | sed 's/^/    /'
    fi
}
# compare_md LIVE FILE TAG: the Markdown reports, lines naming the input
# (source, drops, saved file) left out.
compare_md() {
    local re='^\| Filter |pcap drops|[Ss]aved (to|packets)|^\| *(Source|Capture|Input|Kernel drops)|interface |file /|live capture|dropped by'
    if diff <(grep -Ev "$re" "$1") <(grep -Ev "$re" "$2") > "$RUN/cmp-$3-md.diff"; then
        printf 'LIVE-VS-FILE %s md report: MATCH (%s lines)\n' "$3" "$(wc -l < "$1")"
    else
        printf 'LIVE-VS-FILE %s md report: DIFFER (%s lines differ; %s)\n' "$3" \
            "$(grep -c '^[<>]' "$RUN/cmp-$3-md.diff")" "$RUN/cmp-$3-md.diff"
        cut -c1-300 "$RUN/cmp-$3-md.diff" | head -24 | sed 's/^/    /'
    fi
}
# dupcount PCAP: an independent count of capture copies (python): the same
# IP packet, TTL/hop limit and IPv4 header checksum aside, at most 2 ms
# after an earlier copy; also the SLL2/SLL interface index of each copy.
dupcount() {
    python3 - "$1" <<'EOF'
import struct, sys
f = open(sys.argv[1], 'rb'); h = f.read(24)
magic, = struct.unpack('<I', h[:4]); e = '<' if magic in (0xa1b2c3d4, 0xa1b23c4d) else '>'
nano = struct.unpack(e + 'I', h[:4])[0] == 0xa1b23c4d
link = struct.unpack(e + 'I', h[20:24])[0]
off = {113: 16, 276: 20, 1: 14}[link]
recent = {}; order = []; n = dups = 0; ifs = {}
while True:
    r = f.read(16)
    if len(r) < 16: break
    s, us, cl, ol = struct.unpack(e + 'IIII', r); d = f.read(cl); n += 1
    t = s * 1000000 + (us // 1000 if nano else us)
    if link == 276: ifs[struct.unpack('>I', d[4:8])[0]] = ifs.get(struct.unpack('>I', d[4:8])[0], 0) + 1
    ip = bytearray(d[off:])
    if not ip: continue
    if ip[0] >> 4 == 4 and len(ip) >= 20: ip[8] = 0; ip[10] = ip[11] = 0
    elif ip[0] >> 4 == 6 and len(ip) >= 40: ip[7] = 0
    k = bytes(ip)
    if k in recent and t - recent[k] <= 2000: dups += 1
    recent[k] = t; order.append((t, k))
    while order and t - order[0][0] > 2000:
        ot, ok = order.pop(0)
        if recent.get(ok) == ot: del recent[ok]
print('DUPCOUNT %s: %d frames, %d copies within 2 ms (link type %d)%s' % (sys.argv[1].rsplit('/', 1)[-1], n, dups, link,
      '' if not ifs else '; frames per interface index ' + ' '.join('%d:%d' % kv for kv in sorted(ifs.items()))))
EOF
}
ndj() { grep -F "{\"type\":\"$1\"," "$2"; }   # ndj TYPE FILE: the lines of one type
pcount() { tcpdump -nn -r "$1" 2>/dev/null | wc -l; }

# ---------------------------------------------------------------------------
phase_batch() {
    log "batch phase: $SECS s"
    ip netns exec "$NS_NET" tcpdump -i any -s 0 -U -n -Z root -w "$RUN/tcpdump-any.pcap" "$FILTER" \
        2>"$RUN/tcpdump-any.err" &
    local tdp=$!
    # the same capture in immediate mode (as mxsniff opens every live
    # capture): do its drops follow mxsniff's or tcpdump's?
    ip netns exec "$NS_NET" tcpdump -i any -s 0 --immediate-mode -n -Z root -w /dev/null "$FILTER" \
        2>"$RUN/tcpdump-any-imm.err" &
    local tdi=$!
    # shellcheck disable=SC2086 # SOAK_OPTS_* are lists of options
    ip netns exec "$NS_NET" "$BIN" -i any $OPTS_ANY -n -F ndjson -o "$RUN/any.ndjson" -w "$RUN/any.pcap" \
        2>"$RUN/any.err" &
    local pa=$!
    # shellcheck disable=SC2086
    ip netns exec "$NS_SND" "$BIN" -i eth0 $OPTS_VETH -n -F md -o "$RUN/veth.md" -w "$RUN/veth.pcap" \
        2>"$RUN/veth.err" &
    local pb=$!
    wait_listen "$RUN/any.err"; wait_listen "$RUN/veth.err"
    wait_for tcpdump 10 grep -q 'listening on' "$RUN/tcpdump-any.err"
    ps -o pid=,user=,args= -p "$pa" -p "$pb" | cut -c1-120 | sed 's/^/PROC /' > "$RUN/procs.txt"
    log "mxsniff any=$pa veth=$pb tcpdump=$tdp"
    sample batch "$pa" "$pb" &
    local sp=$!
    mail_loop "$((SECS - 10))" &
    local ml=$!
    flood "${SOAK_F1_AT:-20}" "$QPS1" "$F1" q1 &
    local f1=$!
    flood "${SOAK_F2_AT:-100}" "$QPS2" "$F2" q2 &
    local f2=$!
    sleep "$SECS"
    wait "$ml" "$f1" "$f2" || true
    sleep 2
    kill -INT "$pa"; kill -TERM "$pb"
    local ra=0 rb=0
    wait "$pa" || ra=$?
    wait "$pb" || rb=$?
    wait "$sp" || true
    stop_pid "$tdp"; stop_pid "$tdi"
    echo "== batch phase: $SECS s; any: -i any $OPTS_ANY; veth: -i eth0 $OPTS_VETH; dnsperf $QPS1 q/s x $F1 s, $QPS2 q/s x $F2 s; mail every $GAP s"
    echo "EXIT any (SIGINT) $ra; veth (SIGTERM) $rb"
    grep -h 'Queries sent\|Queries completed\|Queries lost\|Queries per second' "$RUN"/dnsperf-q*.out | sed 's/^/DNSPERF /'
    printf 'MAIL %s submitted, %s sent, %s deferred, %s bounced\n' "$(grep -c submitted "$RUN/mail.log" || true)" \
        "$(grep -c 'status=sent' "$RUN/pf/maillog" || true)" "$(grep -c 'status=deferred' "$RUN/pf/maillog" || true)" \
        "$(grep -c 'status=bounced' "$RUN/pf/maillog" || true)"
    proc_summary "batch-$pa" | sed "s/batch-$pa/any(-i any, ndjson)/"
    proc_summary "batch-$pb" | sed "s/batch-$pb/veth(-i eth0, md)/"
    grep -h 'frames captured' "$RUN/any.err" | sed 's/^/STDERR any: /'
    grep -h 'frames captured' "$RUN/veth.err" | sed 's/^/STDERR veth: /'
    grep -h 'warning' "$RUN/any.err" "$RUN/veth.err" | sort | uniq -c | sed 's/^/WARN /' || true
    cat "$RUN/procs.txt"
    grep -h 'packets' "$RUN/tcpdump-any.err" | sed 's/^/TCPDUMP any: /'
    grep -h 'packets' "$RUN/tcpdump-any-imm.err" | sed 's/^/TCPDUMP any --immediate-mode: /'
    stat -c 'FILE %U %s %n' "$RUN/any.pcap" "$RUN/veth.pcap" "$RUN/any.ndjson" "$RUN/veth.md"
    ndj stats "$RUN/any.ndjson" | jq -r '"STATS any: frames \(.capture.frames) received \(.capture.received) dropped \(.capture.dropped) if_dropped \(.capture.if_dropped) saved \(.capture.saved.frames) packets \(.packets) transactions \(.transactions) answered \(.answered) unanswered \(.unanswered) duplicate \(.duplicate) late \(.late) unsolicited \(.unsolicited) capture_duplicate \(.decode.capture_duplicate) lookups \(.lookups) chains \(.chains.chains) findings \(.findings) evicted \(.evicted)"'
    ndj finding "$RUN/any.ndjson" | jq -r .pattern | sort | uniq -c | sed 's/^/FINDINGS any: /'
    # mxsniff on its own file, on tcpdump's, and the python counter.
    "$BIN" -r "$RUN/any.pcap" -n -F ndjson -o "$RUN/any.reread.ndjson" 2>"$RUN/any.reread.err" || echo "REREAD any failed: $?"
    "$BIN" -r "$RUN/veth.pcap" -n -F md -o "$RUN/veth.reread.md" 2>"$RUN/veth.reread.err" || echo "REREAD veth failed: $?"
    "$BIN" -r "$RUN/tcpdump-any.pcap" -n -F ndjson -o "$RUN/tcpdump-any.ndjson" 2>/dev/null || true
    printf 'PCAP frames: any.pcap %s, tcpdump-any.pcap %s, veth.pcap %s\n' \
        "$(pcount "$RUN/any.pcap")" "$(pcount "$RUN/tcpdump-any.pcap")" "$(pcount "$RUN/veth.pcap")"
    ndj stats "$RUN/tcpdump-any.ndjson" | jq -r '"STATS tcpdump-any.pcap read by mxsniff: packets \(.packets) transactions \(.transactions) duplicate \(.duplicate) capture_duplicate \(.decode.capture_duplicate) lookups \(.lookups)"'
    dupcount "$RUN/any.pcap"
    dupcount "$RUN/tcpdump-any.pcap"
    compare_ndjson "$RUN/any.ndjson" "$RUN/any.reread.ndjson" any
    compare_md "$RUN/veth.md" "$RUN/veth.reread.md" veth
    # -i any (bridge, two copies of each packet) against -i eth0 (sender):
    # the same mail traffic, so the same chains and findings (frames aside).
    "$BIN" -r "$RUN/veth.pcap" -n -F ndjson -o "$RUN/veth.reread.ndjson" 2>/dev/null
    local f
    for f in any veth; do
        ndj chain "$RUN/$f.reread.ndjson" | jq -r '"\(.domain) \(.verdict)"' | sort | uniq -c | awk '{printf "%s/%s:%s ", $2, $3, $1}' \
            | sed "s|^|CHAINS $f (domain/verdict:count): |"; echo
        ndj finding "$RUN/$f.reread.ndjson" | jq -r '"\(.pattern) \(.domain // .resolver // "")"' | sort | uniq -c \
            | sed "s/^/FINDINGS $f (read back): /"
    done
    grep -E 'pcap drops|Saved|saved|[Dd]rop' "$RUN/veth.md" | head -5 | sed 's/^/MD veth: /'
    stat -c 'OWNER %U %n' "$RUN/any.pcap" "$RUN/any.ndjson" "$RUN/veth.pcap" "$RUN/veth.md"
}

# ---------------------------------------------------------------------------
phase_ui() {
    log "ui phase: $UISECS s ($UIBIN)"
    T new-session -d -s ui -x 200 -y 50 \
        "ASAN_OPTIONS=log_path=$RUN/asan/asan:detect_leaks=1$UI_ASAN UBSAN_OPTIONS=print_stacktrace=1:log_path=$RUN/asan/ubsan ip netns exec $NS_NET '$UIBIN' -i any $OPTS_UI --ui -F md -w '$RUN/ui.pcap' -o '$RUN/ui.md' 2>'$RUN/ui.err'; echo EXIT=\$?; sleep 600"
    screen() { T capture-pane -p -t ui 2>/dev/null; }
    wait_for "live view" 30 sh -c "tmux -S '$SOCK' capture-pane -p -t ui | grep -q 'packets'"
    local pu
    pu=$(pgrep -f -n "^$UIBIN -i any ") || true   # the one we started (newest, full path)
    log "view pid ${pu:-?}"
    [ -n "$pu" ] && { sample ui "$pu" & }
    mail_loop "$((UISECS - 10))" &
    local ml=$!
    flood 15 "$QPS1" 30 u1 &
    local f1=$!
    flood 50 "$QPS2" "$F2" u2 &
    local f2=$!
    local t=0 keys=(1 2 3 4 5 6 2 Enter Escape 1 Enter Escape 4 Enter Escape 6 w) k=0 prev=-1 cur stuck=0 upd=0
    while [ "$t" -lt "$UISECS" ]; do
        sleep 5; t=$((t + 5))
        cur=$(screen | grep -oE 'packets [0-9]+' | head -1 | awk '{print $2}')
        screen > "$RUN/ui-screen-$t.txt"
        if [ -n "$cur" ] && [ "$cur" != "$prev" ]; then upd=$((upd + 1)); else stuck=$((stuck + 1)); fi
        prev=${cur:-$prev}
        T send-keys -t ui "${keys[$((k % ${#keys[@]}))]}"; k=$((k + 1))
    done
    wait "$ml" "$f1" "$f2" || true
    echo "== ui phase: $UISECS s, $UIBIN -i any $OPTS_UI --ui (ASAN_OPTIONS extra: ${UI_ASAN:-none})"
    printf 'MAIL %s submitted so far, %s sent, %s deferred, %s bounced\n' "$(grep -c submitted "$RUN/mail.log")" \
        "$(grep -c 'status=sent' "$RUN/pf/maillog")" "$(grep -c 'status=deferred' "$RUN/pf/maillog")" \
        "$(grep -c 'status=bounced' "$RUN/pf/maillog")"
    echo "UI screen captures: $upd with a new packet count, $stuck without (last 'packets $prev')"
    T send-keys -t ui w; sleep 2
    screen | grep -E 'report written|written to' | sed 's/^/UI w: /' | head -2
    T send-keys -t ui q
    wait_for "view exit" 60 sh -c "tmux -S '$SOCK' capture-pane -p -t ui | grep -q '^EXIT='"
    screen | grep -E '^EXIT=|written' | sed 's/^/UI after q: /'
    [ -n "$pu" ] && proc_summary "ui-$pu" | sed "s/ui-$pu/ui(-i any, --ui)/"
    grep -h 'frames captured\|warning\|ERROR\|runtime error' "$RUN/ui.err" | head -5 | sed 's/^/STDERR ui: /'
    "$BIN" -r "$RUN/ui.pcap" -n -F md -o "$RUN/ui.reread.md" 2>/dev/null || echo "REREAD ui failed: $?"
    compare_md "$RUN/ui.md" "$RUN/ui.reread.md" ui
    local f
    for f in "$RUN"/asan/*; do
        [ -e "$f" ] || { echo "SANITIZER: no report"; break; }
        echo "SANITIZER report $f:"; head -40 "$f"
    done
}

# The figures below are printed, not judged: a failing grep or comparison
# must not end the run.
set +e
# ---------------------------------------------------------------------------
# burst: the capture ring's depth. In a namespace of its own (unshare -n,
# its lo only), mxsniff is stopped (SIGSTOP) while 300 DNS queries go to
# 127.0.0.1:53, resumed, and stopped by SIGINT: its JSON report says how
# many the kernel dropped. The same for tcpdump, with and without
# --immediate-mode, on lo and any, and for mxsniff with -s 1500 and -B 65536.
phase_burst() {
    echo "== burst: capture stopped while 300 queries are sent on lo"
    cat > "$RUN/burst.sh" <<'EOS'
bin=$1 run=$2
ip link set lo up
burst() { python3 -c '
import socket, struct
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(300):
    q = struct.pack(">HHHHHH", i, 0x0100, 1, 0, 0, 0) + b"\x03www\x07example\x03com\x00\x00\x01\x00\x01"
    s.sendto(q, ("127.0.0.1", 53))'; }
stopped() {   # stopped ERRFILE CMD...: start CMD, stop it, burst, resume, SIGINT
    local err=$1 p i; shift
    "$@" 2>"$err" & p=$!
    for i in $(seq 50); do grep -q listening "$err" && break; sleep 0.1; done
    # 2 s after SIGCONT: tcpdump (TPACKET_V3) hands a block over after its
    # 1 s timeout, and counts only what it was handed
    kill -STOP $p; burst; sleep 0.3; kill -CONT $p; sleep 2; kill -INT $p; wait $p
}
for ifc in lo any; do
    for extra in "" "-s 1500" "-B 65536"; do
        # shellcheck disable=SC2086
        stopped "$run/burst.err" "$bin" -i $ifc $extra -n -F json -o "$run/burst.json" 'udp dst port 53'
        echo "BURST mxsniff -i $ifc $extra: $(jq -c '.stats.capture | {frames, received, dropped}' "$run/burst.json")"
    done
    for extra in "" --immediate-mode; do
        # shellcheck disable=SC2086
        stopped "$run/burst.err" tcpdump -i $ifc $extra -n -w "$run/burst.pcap" 'udp dst port 53'
        echo "BURST tcpdump -i $ifc $extra: $(grep -h 'captured\|dropped by kernel' "$run/burst.err" | tr '\n' ' ')"
    done
done
EOS
    unshare -n -- bash "$RUN/burst.sh" "$BIN" "$RUN" </dev/null
}

for p in $PHASES; do
    case $p in batch|ui) lab_up ;; esac
    "phase_$p"
done
T kill-server >/dev/null 2>&1
[ "$LAB_UP" = 1 ] && lab_stop_postfix pf
log "run files in $RUN"
lab_finish
