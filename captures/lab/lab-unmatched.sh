#!/bin/bash
# lab-unmatched.sh: a capture started while an answer was in flight
# (PATTERNS.md P20 UNMATCHED_RESPONSE), one capture.
#
# dnsdist on 10.53.0.53 fronts unbound (127.0.0.1:5300) and holds every
# UDP answer to the sender back for 2500 ms (DelayAction,
# templates/dnsdist-delay-unmatched.conf.in); glibc waits 5 s, so nothing
# times out. Postfix (inet_protocols=all, smtp_address_preference=ipv4)
# delivers to user@example.test. A helper tcpdump in the resolver namespace
# (not saved) waits for the sender's first query (MX example.test); only
# then the capture on the sender's eth0 starts, about 1 s later, while the
# MX answer is still held back.
#
# captures/lab-unmatched.pcap: the MX answer (its query is not in the
#   capture), then A/AAAA of mx1 and mx2 with their queries, each answer
#   2.5 s late, then SMTP to 10.53.0.25: mail flows.
# Logs: captures/lab/logs/lab-unmatched.log.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/diag-lib.sh"
NAME=lab-unmatched
RCPT=user@example.test
lab_init "$NAME"
lab_setup
lab_start_nsd
lab_start_unbound "127.0.0.1@5300"
lab_start_dnsdist "$TPL/dnsdist-delay-unmatched.conf.in"
lab_start_sinks
lab_resolvers "$RES4"
lab_start_postfix pf all "smtp_address_preference = ipv4"

# Helper capture: exits after the first query from the sender.
ip netns exec "$NS_RES" tcpdump -i eth0 -n -c 1 -l \
    "udp dst port 53 and src host $SND4" >"$RUN/first-query.txt" 2>"$RUN/first-query.err" &
FQ_PID=$!
wait_for "helper tcpdump" 10 grep -q 'listening on' "$RUN/first-query.err"
lab_send pf sender@sender.lab.test "$RCPT" "lab unmatched"
wait_for "first query" 20 test -s "$RUN/first-query.txt"
wait "$FQ_PID" 2>/dev/null || true
sed 's/^/    first query (not captured): /' "$RUN/first-query.txt" >&2
lab_capture_start "$NAME"
lab_wait_log pf "to=<$RCPT>.*status=sent" 60
sleep 1
lab_capture_stop
lab_stop_postfix pf
lab_keep_log pf "$NAME"
lab_finish
