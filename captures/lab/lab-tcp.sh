#!/bin/bash
# lab-tcp.sh: record captures/lab-tcp.pcap, truncation and TCP retry
# (PATTERNS.md P14, the working case).
#
# big.test has 12 MX RRs with long names (about 900 bytes: too big for a
# 512-byte non-EDNS answer) and a TXT RRset of about 2 KB (too big even for
# EDNS 1232). In the sender namespace:
#   1. dig TXT big.test (EDNS 1232): UDP answer with TC=1, dig retries over
#      TCP to the same server and gets the full RRset;
#   2. a real Postfix sends to user@big.test: glibc's MX query (no EDNS,
#      512 bytes) gets TC=1 and is repeated over TCP; Postfix then resolves
#      the exchanges (A answer, AAAA NODATA) and delivers to 10.53.0.25.
# Log: captures/lab/logs/lab-tcp.log.
. "$(dirname "$0")/lib.sh"
NAME=lab-tcp
RCPT=user@big.test
lab_init "$NAME"
lab_setup
lab_start_nsd
lab_start_unbound "$RES4 $RES6"
lab_start_sinks
lab_resolvers "$RES4"
lab_start_postfix pf all "smtp_address_preference = ipv4"

lab_capture_start "$NAME"
lab_dig TXT big.test
sleep 1
lab_send pf sender@sender.lab.test "$RCPT" "lab tcp"
lab_wait_log pf "to=<$RCPT>.*status=sent" 60
sleep 1
lab_capture_stop
lab_stop_postfix pf
lab_keep_log pf "$NAME"
cp "$RUN/client.log" "$LAB_DIR/logs/$NAME.client.log"
lab_finish
