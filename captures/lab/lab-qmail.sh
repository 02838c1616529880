#!/bin/bash
# lab-qmail.sh: qmail's DNS lookups with glibc's stub resolver, a real
# dnsdist + unbound resolver and the lab NSD. The sender is lab/qmail-mta.c,
# compiled here with the system gcc (glibc 2.36, not musl): for one
# recipient domain it does what qmail-remote (qmail 1.03, netqmail,
# notqmail) does, through res_query into a 512-byte buffer: res_query ANY
# of the domain (dns_cname, following CNAMEs; a soft failure or an answer
# that does not parse defers the message: "CNAME lookup failed temporarily.
# (#4.4.3)", nothing else is asked), then res_query MX of the domain, then
# res_query A (never AAAA) of each exchange in preference order (or of the
# domain itself when it has no MX), then a TCP connection to port 25 of the
# first address (banner, QUIT). captures/README.md, "qmail (lab-qmail.sh)",
# says what happened on the wire.
#
# Resolver: dnsdist (templates/dnsdist-qmail.conf.in) on 10.53.0.53 and
# fd53::53 in front of unbound (127.0.0.1:5300); a fresh unbound (empty
# cache) and a fresh dnsdist with that capture's rule per capture; default
# resolv.conf options (timeout 5, attempts 2), nameserver 10.53.0.53 only.
# Authoritative: the lab NSD (refuse-any: yes; NSD 4.6 answers ANY with a
# single RRset) plus cname.test; big-any.test on BIND 9 named (Debian's
# bind9 .deb unpacked into /var/tmp/mxlab-bind by resolvers-lib.sh's
# res_tree, as lab-bind-resolver.sh does) on 10.53.0.6 in mxl-auth, which
# answers ANY with every RRset (minimal-any no). Needs gcc (glibc).
#
# captures/lab-qmail-healthy.pcap       example.test (MX 10 mx1, 20 mx2); no
#                                       dnsdist rule
# captures/lab-qmail-any-refused.pcap   example.test; dnsdist answers REFUSED
#                                       to every ANY query; qmail-mta runs
#                                       twice, 3 s apart (a queue retry)
# captures/lab-qmail-any-drop.pcap      example.test; dnsdist drops every ANY
#                                       query; the recording ends 2 s after
#                                       qmail-mta gave up with a TCP SYN to
#                                       10.53.0.53:9 (RST), so that every
#                                       unanswered query is over 5 s old
# captures/lab-qmail-any-oversize.pcap  big-any.test (templates/zones/
#                                       big-any.test.zone, on BIND: its ANY
#                                       answer is 906 bytes); no dnsdist rule
# captures/lab-qmail-nxdomain.pcap      nonexistent.test (NXDOMAIN); no rule
# captures/lab-qmail-cname.pcap         mail.cname.test (CNAME example.test,
#                                       templates/zones/cname.test.zone); no
#                                       rule
# Logs: captures/lab/logs/<capture>.log (qmail-mta's output: each lookup
# with res_query's length, rcode, TC and ANCOUNT or h_errno and errno, how
# the answer parsed, the connection, the result with qmail-remote's
# wording; times in ms since the run started) and <capture>.client.log
# (resolv.conf, the dnsdist rule, the commands and their exit status, then,
# after the capture had stopped, checks with dig and dnsdist's own
# counters). Takes /tmp/mxlab.lock itself unless it inherited it. About
# one minute.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/mta-lib.sh"
. "$(dirname "$0")/fail-lib.sh"
. "$(dirname "$0")/resolvers-lib.sh"
lab_lock
NAME=lab-qmail
BIGANY4=10.53.0.6
command -v dnsdist >/dev/null 2>&1 || die "missing tool: dnsdist"
command -v gcc >/dev/null 2>&1 || die "missing tool: gcc"
lab_init "$NAME"
MTA=$RUN/qmail-mta
gcc -O2 -Wall -o "$MTA" "$LAB_DIR/qmail-mta.c" || die "gcc failed"
chmod 755 "$MTA"
ldd "$MTA" | grep 'libc\.so\.6' >/dev/null || die "qmail-mta is not linked against glibc"
printf 'zone:\n    name: "cname.test."\n    zonefile: "%s"\n' "$ZONES/cname.test.zone" > "$RUN/nsd-extra.conf"
# The authoritative server of big-any.test: BIND 9 named (unpacked from
# Debian's bind9 .deb into /var/tmp/mxlab-bind by resolvers-lib.sh's
# res_tree, as lab-bind-resolver.sh does) on BIGANY4 in mxl-auth.
qmail_start_named() {
    res_tree bind usr/sbin/named bind9
    ip -n "$NS_AUTH" addr add "$BIGANY4/24" dev eth0
    mkdir -p "$RUN/named-auth"
    subst "$TPL/named-big-any.conf.in" "$RUN/named-auth/named.conf"
    ip netns exec "$NS_AUTH" "$RES_TREE/usr/sbin/named" -f -n 1 \
        -c "$RUN/named-auth/named.conf" >"$RUN/named-auth/stderr" 2>&1 &
    wait_for "named (big-any.test)" 30 dns_ok "$NS_AUTH" "$BIGANY4" 53 big-any.test SOA
    log "named ($("$RES_TREE/usr/sbin/named" -v)) up on $BIGANY4 for big-any.test"
}

# dd_console CMD: run CMD on the dnsdist console (inside mxl-res).
dd_console() {
    ip netns exec "$NS_RES" dnsdist -C "$RUN/dnsdist/dnsdist.conf" -c -e "$1" 2>&1 || true
}

# res_dig ARGS...: dig inside mxl-res (never on the sender's interface),
# output into the client log.
res_dig() {
    { printf '$ dig %s    # in %s\n' "$*" "$NS_RES"; ns_exec "$NS_RES" dig "$@" || true; } >>"$RUN/client.log" 2>&1
}

# qmail_case CAPTURE "DNSDIST RULE" GAP DOMAIN...: one capture with a fresh
# unbound (empty cache) and a fresh dnsdist; qmail-mta runs once per
# DOMAIN, GAP seconds apart. With GAP > 1 and a single domain the recording
# ends GAP seconds after the run with a TCP connection attempt to
# 10.53.0.53 port 9 (nothing listens: SYN, RST).
qmail_case() {
    local cap=$1 rule=$2 gap=$3 dom n=0
    shift 3
    lab_start_unbound "127.0.0.1@5300"
    UB_PID=$!
    sed -e "s|@KEY@|$KEY|" -e "s|@RULE@|${rule:--- (no rule: every query goes to unbound)}|" \
        "$TPL/dnsdist-qmail.conf.in" > "$RUN/dnsdist-$cap.conf.in"
    lab_start_dnsdist "$RUN/dnsdist-$cap.conf.in"
    DD_PID=$!
    : > "$RUN/client.log"; : > "$RUN/mta.log"
    { echo "# glibc $(dpkg-query -W -f '${Version}' libc6), qmail-mta built with gcc -O2 (dynamic, glibc)"
      echo "\$ cat /etc/resolv.conf  # in the sender namespace"
      cat "/etc/netns/$NS_SND/resolv.conf"
      echo "# dnsdist $(dnsdist --version 2>/dev/null | head -1 | awk '{print $2}') on $RES4, rule:"
      printf '#   %s\n' "${rule:-(none)}"
      echo "# unbound $(unbound -V 2>/dev/null | sed -n 's/^Version //p') on 127.0.0.1:5300, started for this capture (empty cache)"
      echo "# nsd $(nsd -v 2>&1 | sed -n '1s/^NSD version //p') on $AUTH4 (the lab's zones, refuse-any: yes); BIND $("$RES_TREE/usr/sbin/named" -v | awk '{print $2}') on $BIGANY4 (big-any.test)"; } >>"$RUN/client.log"
    lab_capture_start "$cap"
    for dom in "$@"; do
        [ "$n" -gt 0 ] && sleep "$gap"
        n=$((n + 1))
        { echo "\$ qmail-mta $dom    ($(date +%T.%N | cut -c1-12); output in $cap.log)"
          ns_exec "$NS_SND" timeout 60 "$MTA" "$dom" >>"$RUN/mta.log"
          echo "exit status $?"; } >>"$RUN/client.log" 2>&1 || true
        log "qmail-mta $dom: $(tail -n 1 "$RUN/mta.log" | sed 's/^.*result: //')"
    done
    if [ "$gap" -gt 1 ] && [ "$n" = 1 ]; then
        sleep "$gap"
        { echo "\$ connect to $RES4 port 9    (end marker, $(date +%T.%N | cut -c1-12))"
          ns_exec "$NS_SND" timeout 3 bash -c "exec 3<>/dev/tcp/$RES4/9"
          echo "exit status $?"; } >>"$RUN/client.log" 2>&1 || true
    fi
    lab_capture_stop
    # After the capture: what the resolver would have answered, and what
    # dnsdist counted.
    printf '\n# After the capture had stopped (not in the pcap):\n' >>"$RUN/client.log"
    case $cap in
        lab-qmail-any-refused|lab-qmail-any-drop)
            lab_dig +time=2 +tries=1 @"$RES4" MX example.test
            lab_dig +time=2 +tries=1 @"$RES4" A mx1.example.test ;;
        lab-qmail-any-oversize)
            { printf '$ dig +norec @%s ANY big-any.test    # in %s: BIND, the authoritative server\n' "$BIGANY4" "$NS_AUTH"
              ns_exec "$NS_AUTH" dig +norec @"$BIGANY4" ANY big-any.test || true
              printf '$ dig +norec @%s ANY example.test    # in %s: NSD, for comparison (one RRset)\n' "$AUTH4" "$NS_AUTH"
              ns_exec "$NS_AUTH" dig +norec @"$AUTH4" ANY example.test || true; } >>"$RUN/client.log" 2>&1
            res_dig +noedns +ignore -p 5300 @127.0.0.1 ANY big-any.test
            res_dig +tcp +noedns -p 5300 @127.0.0.1 ANY big-any.test
            lab_dig +time=2 +tries=1 @"$RES4" MX big-any.test ;;
    esac
    { printf '$ dnsdist -c -e "showRules()"\n'; dd_console 'showRules()'
      printf '$ dnsdist -c -e "dumpStats()"   # query, response and rule counters\n'
      dd_console 'dumpStats()' | tr -s ' \t' '\n' | paste - - \
          | grep -E '^(queries|responses|self-answered|rule-drop|rule-refused|tcp-queries|frontend-noerror|frontend-nxdomain|frontend-servfail|downstream-timeouts)[[:space:]]' \
          | sort
      printf '\n# tcpdump on %s eth0:\n' "$NS_SND"
      grep -E 'packets (captured|received|dropped)' "$RUN/tcpdump-$cap.err" || true
    } >>"$RUN/client.log"
    stop_pid "$DD_PID"
    stop_pid "$UB_PID"
    DD_PID=
    UB_PID=
    mkdir -p "$LAB_DIR/logs"
    cp "$RUN/mta.log" "$LAB_DIR/logs/$cap.log"
    cp "$RUN/client.log" "$LAB_DIR/logs/$cap.client.log"
    log "wrote captures/lab/logs/$cap.log, $cap.client.log"
}

lab_setup
fail_start_nsd "$RUN/nsd-extra.conf"
qmail_start_named
lab_start_sinks
lab_resolvers "$RES4"
KEY=$(head -c 32 /dev/urandom | base64)
DD_PID=
UB_PID=

qmail_case lab-qmail-healthy      ''  1 example.test
qmail_case lab-qmail-cname        ''  1 mail.cname.test
qmail_case lab-qmail-any-refused  'addAction(QTypeRule(DNSQType.ANY), RCodeAction(DNSRCode.REFUSED))' 3 example.test example.test
qmail_case lab-qmail-any-drop     'addAction(QTypeRule(DNSQType.ANY), DropAction())' 2 example.test
qmail_case lab-qmail-any-oversize ''  1 big-any.test
qmail_case lab-qmail-nxdomain     ''  1 nonexistent.test
lab_finish
