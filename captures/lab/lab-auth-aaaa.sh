#!/bin/bash
# lab-auth-aaaa.sh: an authoritative server that mishandles AAAA
# (PATTERNS.md P20 AUTH_AAAA_MISBEHAVIOR, RFC 4074 §4), two captures taken on
# the RESOLVER's interface, so they hold both the sender's RD=1 queries and
# unbound's iterative RD=0 queries to the authoritative servers.
#
# badauth.test is delegated (test.zone, glue) to ns.badauth.test =
# 10.53.0.3, an extra address of the auth namespace where dnsdist listens in
# front of a second NSD (127.0.0.1:5301) that serves the zone correctly
# (mx.badauth.test has A 10.53.0.25 and AAAA fd53::25). unbound on
# 10.53.0.53 resolves normally from the lab root (NSD 10.53.0.2).
#
# captures/lab-auth-aaaa-nxdomain.pcap: dnsdist answers every AAAA query
#   itself with NXDOMAIN (AA=1, no SOA). Postfix (inet_protocols=all)
#   delivers to user@badauth.test: MX, A mx.badauth.test (answer), AAAA
#   (NXDOMAIN, passed on by unbound); the A answer wins and Postfix
#   delivers over IPv4. On the wire behind the resolver: A NOERROR AA and
#   AAAA NXDOMAIN from 10.53.0.3 for mx.badauth.test (and for
#   ns.badauth.test, which unbound looks up itself).
# captures/lab-auth-aaaa-drop.pcap: dnsdist drops every AAAA query. unbound
#   re-sends its AAAA query to 10.53.0.3 and finally answers SERVFAIL;
#   Postfix delivers over IPv4 (A answer wins) after the wait.
# Logs: captures/lab/logs/lab-auth-aaaa-{nxdomain,drop}.log.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/diag-lib.sh"
NAME=lab-auth-aaaa
RCPT=user@badauth.test
AUTH2_4=10.53.0.3

run_variant() {
    local v=$1 cap=$NAME-$1
    mkdir -p "$RUN/nsd2" "$RUN/dnsdist-$v"
    subst "$TPL/dnsdist-auth-aaaa-$v.conf.in" "$RUN/dnsdist-$v/dnsdist.conf"
    ip netns exec "$NS_AUTH" dnsdist --supervised --disable-syslog \
        -C "$RUN/dnsdist-$v/dnsdist.conf" >"$RUN/dnsdist-$v/stderr" 2>&1 &
    local dd=$!
    wait_for "dnsdist $v" 20 dns_ok "$NS_AUTH" "$AUTH2_4" 53 badauth.test SOA
    log "dnsdist ($v) up on $AUTH2_4"
    diag_start_unbound '' "$RES4"
    lab_start_postfix "pf-$v" all "smtp_address_preference = ipv4"
    diag_capture_start_ns "$NS_RES" "$cap"
    lab_send "pf-$v" sender@sender.lab.test "$RCPT" "lab auth-aaaa $v"
    lab_wait_log "pf-$v" "to=<$RCPT>.*status=(sent|deferred)" 90
    sleep 1
    lab_capture_stop
    lab_stop_postfix "pf-$v"
    lab_keep_log "pf-$v" "$cap"
    # Fresh resolver (empty cache) and front-end for the next variant.
    stop_pid "$(cat "$RUN/unbound/unbound.pid")"
    stop_pid "$dd"
}

lab_init "$NAME"
lab_setup
ip -n "$NS_AUTH" addr add "$AUTH2_4/24" dev eth0
lab_start_nsd
mkdir -p "$RUN/nsd2"
subst "$TPL/nsd-badauth.conf.in" "$RUN/nsd2/nsd.conf"
nsd-checkconf "$RUN/nsd2/nsd.conf" || die "nsd-badauth.conf invalid"
ip netns exec "$NS_AUTH" nsd -d -c "$RUN/nsd2/nsd.conf" >"$RUN/nsd2/stderr" 2>&1 &
wait_for "nsd2" 20 dns_ok "$NS_AUTH" 127.0.0.1 5301 badauth.test SOA
log "second nsd (badauth.test) up on 127.0.0.1:5301"
lab_start_sinks
lab_resolvers "$RES4"
run_variant nxdomain
run_variant drop
lab_finish
