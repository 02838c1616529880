#!/bin/bash
# lab-ratelimit.sh: a real Postfix whose resolver rate-limits it (the
# mission's "rate-limited resolvers that answer REFUSED"): dnsdist on
# 10.53.0.53 in front of the lab unbound (127.0.0.1:5300) with a per-client
# limit, MaxQPSIPRule(RL_QPS) (default 3 queries per second per address, a
# token bucket with a burst of 3; templates/dnsdist-ratelimit.conf.in).
# Queries under the limit are resolved; those over it are, per capture:
#
# captures/lab-ratelimit-refused.pcap  answered REFUSED by dnsdist
#                                      (RCodeAction(DNSRCode.REFUSED))
# captures/lab-ratelimit-drop.pcap     dropped (DropAction): timeouts
# captures/lab-ratelimit-tc.pcap       answered TC=1 (TCAction) over UDP;
#                                      the limit counts UDP only, so glibc's
#                                      TCP retry is always answered
#
# Each capture has its own dnsdist (fresh counters) and its own Postfix
# instance (inet_protocols=all, smtp_address_preference=ipv4). The limit
# must bite some of Postfix's lookups and not others, so each capture is:
#   1. a queue flush: RL_BURST messages (12), one each to user@d01 ...
#      user@d12.rcpt.test (templates/zones/rcpt.test.zone: one exchange per
#      domain, A and AAAA on a smtp-sink), are put in the maildrop while
#      Postfix is stopped; Postfix is then started and delivers them all at
#      once: MX, A, AAAA per message, some 36 queries within a fraction of a
#      second against a bucket of 3;
#   2. a trickle: RL_TRICKLE messages (4, user@d13 ... d16) RL_GAP seconds
#      (2) apart, after the flush has been settled: each message's 3 queries
#      find a full bucket;
#   3. (refused, drop) Postfix's own queue retry of the deferred messages
#      (backoff 75 s), again all at once: a few more get through.
# Logs: captures/lab/logs/lab-ratelimit-*.log (Postfix) and *.client.log
# (resolv.conf, the dnsdist rule, the phases' times, and what dnsdist
# counted itself: showRules(), its counters from dumpStats() and its query
# ring for the sender, grepq()). About 4.5 minutes.
# Takes /tmp/mxlab.lock itself unless it inherited it (record-all.sh, or
# "(exec 9>/tmp/mxlab.lock; flock -w 900 9 && ./lab-ratelimit.sh)").
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/fail-lib.sh"
NAME=lab-ratelimit
QPS=${RL_QPS:-3}
BURST=${RL_BURST:-12}
TRICKLE=${RL_TRICKLE:-4}
GAP=${RL_GAP:-2}
if [ "$(readlink /proc/self/fd/9 2>/dev/null)" != /tmp/mxlab.lock ]; then
    exec 9>/tmp/mxlab.lock
    flock -n 9 || die "another lab run holds /tmp/mxlab.lock"
fi
command -v dnsdist >/dev/null 2>&1 || die "missing tool: dnsdist"
lab_init "$NAME"
printf 'zone:\n    name: "rcpt.test."\n    zonefile: "%s"\n' "$ZONES/rcpt.test.zone" > "$RUN/nsd-extra.conf"
lab_setup
fail_start_nsd "$RUN/nsd-extra.conf"
lab_start_unbound "127.0.0.1@5300"
lab_start_sinks
lab_resolvers "$RES4"
KEY=$(head -c 32 /dev/urandom | base64)

# dd_console CMD: run CMD on the dnsdist console (inside mxl-res).
dd_console() {
    ip netns exec "$NS_RES" dnsdist -C "$RUN/dnsdist/dnsdist.conf" -c -e "$1" 2>&1 || true
}

# status_count INST: number of delivery status lines in INST's log.
status_count() {
    grep -cE 'to=<user@d[0-9]+\.rcpt\.test>.*status=(sent|deferred|bounced)' "$RUN/$1/maillog" || true
}

# ratelimit MODE INST "DNSDIST RULE": one capture.
ratelimit() {
    local mode=$1 inst=$2 rule=$3 cap=lab-ratelimit-$1 i n d0 d1 want dd_pid
    sed -e "s|@QPS@|$QPS|g" -e "s|@KEY@|$KEY|" -e "s|@RULE@|$rule|" \
        "$TPL/dnsdist-ratelimit.conf.in" > "$RUN/dnsdist-$mode.conf.in"
    lab_start_dnsdist "$RUN/dnsdist-$mode.conf.in"
    dd_pid=$!
    : > "$RUN/client.log"
    { echo "\$ cat /etc/resolv.conf  # in the sender namespace"
      cat "/etc/netns/$NS_SND/resolv.conf"
      echo "# dnsdist $(dnsdist --version 2>/dev/null | head -1) on $RES4, rule:"
      printf '#   %s\n' "$rule"; } >>"$RUN/client.log"
    lab_start_postfix "$inst" all "smtp_address_preference = ipv4"
    # 1. the flush: queue RL_BURST messages while Postfix is stopped
    # (postdrop puts them in the maildrop), then start it.
    lab_stop_postfix "$inst"
    for i in $(seq 1 "$BURST"); do
        lab_send "$inst" sender@sender.lab.test "user@d$(printf %02d "$i").rcpt.test" "lab $cap $i" 2>&1 \
            | grep -v 'unable to look up public/pickup' >&2 || true
    done
    lab_capture_start "$cap"
    printf '%s flush: starting Postfix with %s messages in its maildrop\n' "$(date +%T.%N)" "$BURST" >>"$RUN/client.log"
    ns_exec "$NS_SND" postfix -c "$RUN/$inst/etc" start >>"$RUN/$inst/start.log" 2>&1
    lab_wait_log "$inst" 'to=<user@d[0-9]+\.rcpt\.test>.*status=(sent|deferred|bounced)' 60 "$BURST"
    d0=$(grep -cE 'status=deferred' "$RUN/$inst/maillog" || true)
    log "flush: $d0 of $BURST deferred"
    sleep 3
    # 2. the trickle.
    n=$BURST
    for i in $(seq 1 "$TRICKLE"); do
        n=$((n + 1))
        printf '%s trickle: message %s\n' "$(date +%T.%N)" "$n" >>"$RUN/client.log"
        lab_send "$inst" sender@sender.lab.test "user@d$(printf %02d "$n").rcpt.test" "lab $cap $n"
        lab_wait_log "$inst" 'to=<user@d[0-9]+\.rcpt\.test>.*status=(sent|deferred|bounced)' 30 "$n"
        sleep "$GAP"
    done
    # 3. Postfix's queue retry of what the flush deferred.
    if [ "$mode" != tc ] && [ "$d0" -gt 0 ]; then
        want=$((n + d0))
        log "waiting for Postfix's queue retry of $d0 deferred messages"
        lab_wait_log "$inst" 'to=<user@d[0-9]+\.rcpt\.test>.*status=(sent|deferred|bounced)' 180 "$want"
        sleep 3
        [ "$(status_count "$inst")" = "$want" ] || log "WARNING: more status lines than $want"
    fi
    d1=$(grep -cE 'status=deferred' "$RUN/$inst/maillog" || true)
    lab_capture_stop 2
    log "$cap: $(status_count "$inst") status lines, $d1 deferred ($d0 in the flush)"
    { printf '\n# What dnsdist counted itself (console, after the capture):\n'
      printf '$ dnsdist -c -e "showRules()"\n'; dd_console 'showRules()'
      printf '$ dnsdist -c -e "dumpStats()"   # the query, response and rule counters\n'
      dd_console 'dumpStats()' | tr -s ' \t' '\n' | paste - - \
          | grep -E '^(queries|rdqueries|responses|self-answered|rule-drop|rule-refused|rule-truncated|tcp-queries|frontend-noerror|frontend-nxdomain|frontend-servfail|downstream-timeouts|acl-drops)[[:space:]]' \
          | sort
      printf '$ dnsdist -c -e "grepq(\\"%s\\", 1000)"   # its query ring for the sender, times relative to now\n' "$SND4"
      dd_console "grepq(\"$SND4\", 1000)"
      printf '\n# tcpdump on %s eth0:\n' "$NS_SND"
      grep -E 'packets (captured|received|dropped)' "$RUN/tcpdump-$cap.err" || true
    } >>"$RUN/client.log"
    stop_pid "$dd_pid"
    lab_stop_postfix "$inst"
    lab_keep_log "$inst" "$cap"
    cp "$RUN/client.log" "$LAB_DIR/logs/$cap.client.log"
    log "wrote captures/lab/logs/$cap.client.log"
}

ratelimit refused pf1 "addAction(MaxQPSIPRule($QPS), RCodeAction(DNSRCode.REFUSED))"
ratelimit drop pf2 "addAction(MaxQPSIPRule($QPS), DropAction())"
ratelimit tc pf3 "addAction(AndRule({TCPRule(false), MaxQPSIPRule($QPS)}), TCAction())"
lab_finish
