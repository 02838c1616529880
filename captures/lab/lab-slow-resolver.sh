#!/bin/bash
# lab-slow-resolver.sh: record captures/lab-slow-resolver.pcap, a resolver
# that answers everything correctly but about 2 s late (PATTERNS.md
# SLOW_RESOLVER).
#
# dnsdist on 10.53.0.53/fd53::53 fronts unbound (127.0.0.1:5300) and delays
# every UDP answer to the sender by 2000 ms (DelayAction, template
# templates/dnsdist-slow.conf.in). Nothing is lost: glibc's and dig's
# timeouts (5 s) are longer than the delay. In the sender namespace:
#   1. dig MX example.test, dig A mx1.example.test (EDNS), each answered
#      after ~2 s;
#   2. a real Postfix (inet_protocols=all, smtp_address_preference=ipv4)
#      sends to user@example.test: MX, A/AAAA of mx1 and mx2, each answer
#      ~2 s late, then delivers to 10.53.0.25 (status=sent, slowly).
# Log: captures/lab/logs/lab-slow-resolver.log; dig output in
# captures/lab/logs/lab-slow-resolver.client.log. About 30 s.
. "$(dirname "$0")/lib.sh"
NAME=lab-slow-resolver
RCPT=user@example.test
lab_init "$NAME"
lab_setup
lab_start_nsd
lab_start_unbound "127.0.0.1@5300"
lab_start_dnsdist "$TPL/dnsdist-slow.conf.in"
lab_start_sinks
lab_resolvers "$RES4"
lab_start_postfix pf all "smtp_address_preference = ipv4"

lab_capture_start "$NAME"
lab_dig +tries=1 +time=5 MX example.test
lab_dig +tries=1 +time=5 A mx1.example.test
sleep 1
lab_send pf sender@sender.lab.test "$RCPT" "lab slow resolver"
lab_wait_log pf "to=<$RCPT>.*status=sent" 50
sleep 1
lab_capture_stop
lab_stop_postfix pf
lab_keep_log pf "$NAME"
cp "$RUN/client.log" "$LAB_DIR/logs/$NAME.client.log"
lab_finish
