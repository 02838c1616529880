#!/bin/bash
# lab-refused.sh: record captures/lab-refused.pcap (PATTERNS.md P11).
#
# unbound's access-control refuses the sender (10.53.0.10/32, fd53::10/128
# "refuse": REFUSED, RA=0, everything else allowed). dig MX example.test gets
# REFUSED; then a real Postfix sends to user@example.test: glibc asks MX,
# gets REFUSED, moves to the "next" server (the same one: attempts:2) and
# gives up with TRY_AGAIN, so Postfix defers 4.4.3 "Host not found, try
# again" for type=MX without asking any address record.
# Log: captures/lab/logs/lab-refused.log.
. "$(dirname "$0")/lib.sh"
NAME=lab-refused
RCPT=user@example.test
lab_init "$NAME"
lab_setup
lab_start_nsd
lab_start_unbound "$RES4 $RES6" \
    "access-control: $SND4/32 refuse" "access-control: $SND6/128 refuse"
lab_start_sinks
lab_resolvers "$RES4"
lab_start_postfix pf all

lab_capture_start "$NAME"
lab_dig MX example.test
sleep 1
lab_send pf sender@sender.lab.test "$RCPT" "lab refused"
lab_wait_log pf "to=<$RCPT>.*status=deferred" 60
sleep 1
lab_capture_stop
lab_stop_postfix pf
lab_keep_log pf "$NAME"
cp "$RUN/client.log" "$LAB_DIR/logs/$NAME.client.log"
lab_finish
