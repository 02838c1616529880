#!/bin/bash
# lab-query-volume.sh: record captures/lab-query-volume.pcap, a mail
# server's filtering lookups starving its own delivery lookups at a resolver
# with a per-client rate limit (PATTERNS.md P16 QUERY_VOLUME_STARVATION).
#
# The resolver is the lab unbound (10.53.0.53) with unbound's own per-client
# limit: "ip-ratelimit: QVOL_LIMIT" (default 20 queries per second per source
# address) and "ip-ratelimit-factor: 0" (every query over the limit is
# dropped, none let through). unbound counts the queries of each client per
# second, before its cache, and drops silently: the client sees a timeout.
# The mail server is the sender namespace (10.53.0.10):
#   1. baseline: a real Postfix (inet_protocols=all,
#      smtp_address_preference=ipv4) sends a message every QVOL_GAP to
#      QVOL_GAP+1 seconds (default 3-4 s, random) to user@dNN.rcpt.test (60
#      healthy domains, one exchange each, templates/zones/rcpt.test.zone)
#      for QVOL_BASE seconds (72): MX, A, AAAA, SMTP to a smtp-sink;
#   2. the flood: dnsperf, in the same namespace and so from the same
#      address, sends QVOL_QPS queries per second (100) for QVOL_SECS seconds
#      (25) of what an inbound spam wave makes a receiving server ask, per
#      connecting client: PTR of its address, A of it under the blocklist
#      bl.dnsbl.test, and TXT of the same name when listed (203.0.113.0/24)
#      or the SPF TXT of its sender domain sNNN.example when not
#      (198.51.100.0/24, 192.0.2.0/24; names only, no traffic to them).
#      Postfix goes on sending a message every 3-4 s. In each second the
#      flood uses up the LIMIT within about 0.2 s, so every query of
#      Postfix sent later in that second (MX, A, AAAA) is dropped too; glibc
#      re-sends after 5 s, and Postfix defers "Host not found, try again";
#   3. after the flood Postfix sends QVOL_AFTER seconds (30) more, then the
#      recording goes on until Postfix's own queue retry (backoff 75 s) has
#      delivered every deferred message.
# The capture is the sender's eth0 at full snap length (DNS and SMTP).
# Logs: captures/lab/logs/lab-query-volume.log (Postfix);
# lab-query-volume.client.log: dnsperf's report (without its per-query
# timeout lines), the query file's first lines, unbound's ip_ratelimit log
# lines (one per second in which the limit was exceeded) and tcpdump's
# packet counts.
# Needs dnsperf (Debian: apt-get install dnsperf). About 3.5 minutes.
# Takes /tmp/mxlab.lock itself unless it inherited it (record-all.sh, or
# "(exec 9>/tmp/mxlab.lock; flock -w 900 9 && ./lab-query-volume.sh)").
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/fail-lib.sh"
NAME=lab-query-volume
LIMIT=${QVOL_LIMIT:-20}
QPS=${QVOL_QPS:-100}
SECS=${QVOL_SECS:-25}
GAP=${QVOL_GAP:-3}
BASE=${QVOL_BASE:-72}
AFTER=${QVOL_AFTER:-30}
command -v dnsperf >/dev/null 2>&1 || die "missing tool: dnsperf (apt-get install dnsperf)"
if [ "$(readlink /proc/self/fd/9 2>/dev/null)" != /tmp/mxlab.lock ]; then
    exec 9>/tmp/mxlab.lock
    flock -n 9 || die "another lab run holds /tmp/mxlab.lock"
fi
lab_init "$NAME"
{ printf 'zone:\n    name: "dnsbl.test."\n    zonefile: "%s"\n' "$ZONES/dnsbl.test.zone"
  printf 'zone:\n    name: "rcpt.test."\n    zonefile: "%s"\n' "$ZONES/rcpt.test.zone"; } > "$RUN/nsd-extra.conf"

# The flood's query file (dnsperf format "NAME TYPE"): one inbound client
# after the other, 203.0.113.x (listed), 198.51.100.x, 192.0.2.x (not).
for x in $(seq 1 254); do
    printf '%s.113.0.203.in-addr.arpa PTR\n%s.113.0.203.bl.dnsbl.test A\n%s.113.0.203.bl.dnsbl.test TXT\n' "$x" "$x" "$x"
    printf '%s.100.51.198.in-addr.arpa PTR\n%s.100.51.198.bl.dnsbl.test A\ns%s.example TXT\n' "$x" "$x" "$((x + 300))"
    printf '%s.2.0.192.in-addr.arpa PTR\n%s.2.0.192.bl.dnsbl.test A\ns%s.example TXT\n' "$x" "$x" "$((x + 600))"
done > "$RUN/queries.txt"

lab_setup
fail_start_nsd "$RUN/nsd-extra.conf"
lab_start_unbound "$RES4 $RES6" "ip-ratelimit: $LIMIT" "ip-ratelimit-factor: 0"
lab_start_sinks
lab_resolvers "$RES4"
lab_start_postfix pf all "smtp_address_preference = ipv4"

n=0
# send_for SECONDS: a message to the next dNN.rcpt.test every GAP to GAP+1
# seconds (random): unbound counts per calendar second and lets the first
# LIMIT queries of each second through, so Postfix's queries must not all
# fall at the same point of the second.
send_for() {
    local end=$(( $(date +%s) + $1 ))
    while [ "$(date +%s)" -lt "$end" ]; do
        n=$((n + 1))
        lab_send pf sender@sender.lab.test "user@d$(printf %02d "$n").rcpt.test" "lab query volume $n"
        sleep "$(printf '%d.%03d' "$GAP" $((RANDOM % 1000)))"
    done
}

lab_capture_start "$NAME"
send_for "$BASE"
log "flood: dnsperf $QPS q/s for $SECS s (limit $LIMIT q/s per client)"
ip netns exec "$NS_SND" dnsperf -s "$RES4" -d "$RUN/queries.txt" -Q "$QPS" -l "$SECS" \
    -q 2000 -t 5 -S 5 >"$RUN/dnsperf.out" 2>&1 &
PERF_PID=$!
send_for "$SECS"
wait "$PERF_PID" || log "dnsperf exited with $?"
send_for "$AFTER"
lab_wait_log pf "status=(sent|deferred)" 60 "$n"
deferred=$(grep -cE 'to=<user@d[0-9]+\.rcpt\.test>.*status=deferred' "$RUN/pf/maillog" || true)
log "$n messages, $deferred deferred"
# Postfix's queue retry delivers the deferred ones (backoff 75 s).
lab_wait_log pf "status=sent" 200 "$n"
lab_capture_stop 2
lab_stop_postfix pf
lab_keep_log pf "$NAME"
{ printf '$ dnsperf -s %s -d queries.txt -Q %s -l %s -q 2000 -t 5 -S 5   # in %s\n' \
      "$RES4" "$QPS" "$SECS" "$NS_SND"
  grep -v '^\[Timeout\]' "$RUN/dnsperf.out"
  printf '(%s "[Timeout] Query timed out: msg id N" lines left out)\n' \
      "$(grep -c '^\[Timeout\]' "$RUN/dnsperf.out")"
  printf '\n$ head -9 queries.txt   # %s lines\n' "$(wc -l < "$RUN/queries.txt")"
  head -9 "$RUN/queries.txt"
  printf '\n# unbound: ip-ratelimit: %s, ip-ratelimit-factor: 0; its log:\n' "$LIMIT"
  grep -i ratelimit "$RUN/unbound/unbound.log" | sed 's/^\[[0-9]*\] //' || true
  printf '\n# tcpdump on %s eth0:\n' "$NS_SND"
  grep -E 'packets (captured|received|dropped)' "$RUN/tcpdump-$NAME.err" || true
} > "$LAB_DIR/logs/$NAME.client.log"
log "wrote captures/lab/logs/$NAME.client.log"
lab_finish
