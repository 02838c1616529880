#!/bin/bash
# lab-aaaa-servfail.sh: the seed case (PATTERNS.md P1/P2), two captures.
#
# dnsdist on 10.53.0.53/fd53::53 fronts unbound (127.0.0.1:5300) and answers
# SERVFAIL itself to AAAA queries for mx.broken-aaaa.test (the only MX of
# broken-aaaa.test); A and everything else are resolved normally.
#
# captures/lab-aaaa-servfail.pcap: Postfix with inet_protocols=all asks MX,
#   A (answer), AAAA (SERVFAIL; glibc asks twice), then delivers over IPv4.
#   Afterwards glibc getaddrinfo (getent ahosts mx.broken-aaaa.test) sends
#   A+AAAA back-to-back and still returns the IPv4 address.
# captures/lab-aaaa-servfail-v6only.pcap: Postfix with inet_protocols=ipv6
#   (an IPv6-only sender: asks AAAA only, resolver fd53::53 over IPv6, so
#   the DNS traffic is IPv6/UDP) gets SERVFAIL, never asks A, and
#   defers 4.4.3; Postfix retries by itself (queue_run_delay 25s, backoff
#   75s) and the capture holds three attempts of the same failing chain,
#   75-100 s apart.
# Logs: captures/lab/logs/lab-aaaa-servfail{,-v6only}.log.
. "$(dirname "$0")/lib.sh"
NAME=lab-aaaa-servfail
RCPT=user@broken-aaaa.test
lab_init "$NAME"
lab_setup
lab_start_nsd
lab_start_unbound "127.0.0.1@5300"
lab_start_dnsdist "$TPL/dnsdist-aaaa-servfail.conf.in"
lab_start_sinks
lab_resolvers "$RES4"

# --- 1. A-then-AAAA sender (Postfix inet_protocols=all): delivers over IPv4.
lab_start_postfix pf all
lab_capture_start "$NAME"
lab_send pf sender@sender.lab.test "$RCPT" "lab aaaa-servfail"
lab_wait_log pf "to=<$RCPT>.*status=sent" 60
sleep 2
{ echo "\$ getent ahosts mx.broken-aaaa.test"; ns_exec "$NS_SND" getent ahosts mx.broken-aaaa.test; } \
    >>"$RUN/client.log" 2>&1 || true
lab_capture_stop
lab_stop_postfix pf
lab_keep_log pf "$NAME"
cp "$RUN/client.log" "$LAB_DIR/logs/$NAME.client.log"

# --- 2. IPv6-only sender (Postfix inet_protocols=ipv6): AAAA only, loops.
# An IPv6-only host also talks to its resolver over IPv6.
lab_resolvers "$RES6"
lab_start_postfix pf6 ipv6
lab_capture_start "$NAME-v6only"
lab_send pf6 sender@sender.lab.test "$RCPT" "lab aaaa-servfail v6only"
lab_wait_log pf6 "to=<$RCPT>.*status=deferred" 330 3
sleep 1
lab_capture_stop
lab_stop_postfix pf6
lab_keep_log pf6 "$NAME-v6only"
lab_finish
