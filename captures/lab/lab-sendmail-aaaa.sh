#!/bin/bash
# lab-sendmail-aaaa.sh: the seed case (PATTERNS.md P1/P2) with a real
# AAAA-first MTA: Sendmail 8.17.1.9 (Debian bookworm's binary, unpacked from
# the .debs, see lib.sh lab_sendmail_tree and captures/README.md).
#
# Same resolver arrangement as lab-aaaa-servfail.sh: dnsdist on 10.53.0.53
# answers SERVFAIL to AAAA for mx.broken-aaaa.test (the only MX of
# broken-aaaa.test) and passes everything else to unbound (127.0.0.1:5300).
# The sender talks to 10.53.0.53 over IPv4; it has fd53::10, so Sendmail
# runs with InetMode AF_INET6 and looks up AAAA first.
#
# captures/lab-sendmail-aaaa.pcap: upstream configuration (no
#   ResolverOptions): one message queued, three forced queue runs ~65 s
#   apart (sendmail -q). Each run asks AAAA for mx.broken-aaaa.test, gets
#   SERVFAIL, never asks A, and defers dsn=4.4.3 "Name server:
#   mx.broken-aaaa.test.: host name lookup failure".
# captures/lab-sendmail-aaaa-workaround.pcap: the same with
#   ResolverOptions=+WorkAroundBrokenAAAA (what Debian's packaged
#   configuration sets, and the sender-side fix PATTERNS.md P1 names):
#   after the AAAA SERVFAIL Sendmail asks A and delivers over IPv4.
# Logs: captures/lab/logs/lab-sendmail-aaaa{,-workaround}.log (Sendmail's
# syslog lines), .client.log (the queue runs' -v transcripts).
. "$(dirname "$0")/lib.sh"
NAME=lab-sendmail-aaaa
RCPT=user@broken-aaaa.test
GAP=${MXLAB_SM_GAP:-65}       # seconds between forced queue runs (> 60 s)
lab_init "$NAME"
lab_setup
lab_start_nsd
lab_start_unbound "127.0.0.1@5300"
lab_start_dnsdist "$TPL/dnsdist-aaaa-servfail.conf.in"
lab_start_sinks
lab_resolvers "$RES4"

# --- 1. Upstream Sendmail: AAAA SERVFAIL, no A, deferred on every run.
lab_start_sendmail sm
lab_capture_start "$NAME"
lab_sm_send sm sender@sender.lab.test "$RCPT" "lab sendmail aaaa"
for run in 1 2 3; do
    [ "$run" = 1 ] || sleep "$GAP"
    lab_sm_queue_run sm
    lab_wait_log sm "to=$RCPT, .*stat=Deferred" 60 "$run"
done
lab_capture_stop
lab_keep_log sm "$NAME"
cp "$RUN/sm/queue-runs.log" "$LAB_DIR/logs/$NAME.client.log"

# --- 2. WorkAroundBrokenAAAA: A after the AAAA SERVFAIL, delivered.
lab_start_sendmail smw "define(\`confBIND_OPTS', \`+WorkAroundBrokenAAAA')dnl"
lab_capture_start "$NAME-workaround"
lab_sm_send smw sender@sender.lab.test "$RCPT" "lab sendmail aaaa workaround"
lab_sm_queue_run smw
lab_wait_log smw "to=$RCPT, .*stat=Sent" 60
lab_capture_stop
lab_keep_log smw "$NAME-workaround"
cp "$RUN/smw/queue-runs.log" "$LAB_DIR/logs/$NAME-workaround.client.log"
lab_finish
