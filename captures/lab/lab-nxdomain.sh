#!/bin/bash
# lab-nxdomain.sh: record captures/lab-nxdomain.pcap (PATTERNS.md P3).
#
# A real Postfix (inet_protocols=all) sends mail to user@nonexistent.test, a
# name not delegated in test. The resolver answers NXDOMAIN with the SOA of
# test. in the authority section (negative TTL 900). Postfix maps the MX
# NXDOMAIN to "not found", falls back to the bare domain (A, then AAAA: both
# NXDOMAIN) and bounces 5.4.4 quoting the last type (AAAA). The bounce goes
# to the local sender and is discarded. dig MX nonexistent.test first shows
# the same NXDOMAIN with EDNS. Log: captures/lab/logs/lab-nxdomain.log.
. "$(dirname "$0")/lib.sh"
NAME=lab-nxdomain
RCPT=user@nonexistent.test
lab_init "$NAME"
lab_setup
lab_start_nsd
lab_start_unbound "$RES4 $RES6"
lab_start_sinks
lab_resolvers "$RES4"
lab_start_postfix pf all

lab_capture_start "$NAME"
lab_dig MX nonexistent.test
sleep 1
lab_send pf sender@sender.lab.test "$RCPT" "lab nxdomain"
lab_wait_log pf "to=<$RCPT>.*status=bounced" 60
lab_wait_log pf "sender non-delivery notification" 20
sleep 1
lab_capture_stop
lab_stop_postfix pf
lab_keep_log pf "$NAME"
cp "$RUN/client.log" "$LAB_DIR/logs/$NAME.client.log"
lab_finish
