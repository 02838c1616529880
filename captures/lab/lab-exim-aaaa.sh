#!/bin/bash
# lab-exim-aaaa.sh: Exim 4.96 (Debian bookworm's exim4-daemon-light, unpacked
# from the .debs, see mta-lib.sh and captures/README.md) as the sender.
# Resolver arrangement of lab-aaaa-servfail.sh: dnsdist on 10.53.0.53
# answers SERVFAIL to AAAA for mx.broken-aaaa.test and mx6.broken-aaaa.test
# and passes everything else to unbound. Each capture: a fresh Exim
# instance, one message queued (-odq) and delivered by ordinary queue runs
# (exim -q, retry times honoured). If a run defers: one more run 20 s later
# (inside the 1-minute retry interval of templates/exim.conf.in), then runs
# about 65 s apart until delivery or three attempts.
#
# captures/lab-exim-aaaa.pcap: the seed case (P1/P2), user@broken-aaaa.test
#   (MX mx.broken-aaaa.test: A 10.53.0.25, AAAA SERVFAIL).
# captures/lab-exim-aaaa-noa.pcap: user@v6mx.broken-aaaa.test (MX
#   mx6.broken-aaaa.test: AAAA SERVFAIL, no A record: A NODATA).
# captures/lab-exim-nxdomain.pcap: user@nonexistent.test (NXDOMAIN).
# captures/lab-exim-healthy.pcap: user@example.test, healthy: MX 10 mx1, 20 mx2
#   (both with A and AAAA), smtp-sink on all four addresses.
# Logs: captures/lab/logs/<capture>.log (Exim's mainlog), .client.log (the
# queue runs' -v transcripts).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/mta-lib.sh"
lab_lock
NAME=lab-exim
GAP=${MXLAB_MTA_GAP:-65}      # seconds between retries (> 60 s)
lab_init "$NAME"
lab_setup
lab_start_nsd
lab_start_unbound "127.0.0.1@5300"
lab_start_dnsdist "$TPL/dnsdist-aaaa-servfail.conf.in"
lab_start_sinks
lab_resolvers "$RES4"

# exim_case INST CAPTURE RCPT
exim_case() {
    local inst=$1 cap=$2 rcpt=$3 run
    local ml=$RUN/$inst/log/mainlog
    lab_start_exim "$inst"
    lab_capture_start "$cap"
    lab_exim_send "$inst" sender@sender.lab.test "$rcpt" "$cap"
    lab_exim_queue_run "$inst"
    if ! grep -q ' Completed' "$ml"; then
        sleep 20; lab_exim_queue_run "$inst"     # retry time not reached
        for run in 2 3; do
            sleep $((GAP - 20 * (run == 2)))
            lab_exim_queue_run "$inst"
            grep -q ' Completed' "$ml" && break
        done
    fi
    sleep 1
    lab_capture_stop
    lab_exim_keep_log "$inst" "$cap"
}

exim_case ex   "$NAME-aaaa"     user@broken-aaaa.test
exim_case ex6  "$NAME-aaaa-noa" user@v6mx.broken-aaaa.test
exim_case exn  "$NAME-nxdomain" user@nonexistent.test
exim_case exh  "$NAME-healthy"  user@example.test
lab_finish
