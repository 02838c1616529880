#!/bin/bash
# lab-opensmtpd-aaaa.sh: OpenSMTPD 6.8.0p2 (Debian bookworm's opensmtpd,
# unpacked from the .deb, see mta-lib.sh and captures/README.md) as the
# sender. Resolver arrangement of lab-aaaa-servfail.sh: dnsdist on
# 10.53.0.53 answers SERVFAIL to AAAA for mx.broken-aaaa.test and
# mx6.broken-aaaa.test and passes everything else to unbound. Each capture:
# a fresh smtpd (no MX or route cache from the previous case), one message
# submitted with the package's sendmail(8); if smtpd defers it, retries are
# forced about 65 s apart with "smtpctl schedule all" (its own scheduler
# would wait longer) until delivery or three attempts.
#
# captures/lab-opensmtpd-aaaa.pcap: the seed case (P1/P2),
#   user@broken-aaaa.test (MX mx.broken-aaaa.test: A 10.53.0.25, AAAA SERVFAIL).
# captures/lab-opensmtpd-aaaa-noa.pcap: user@v6mx.broken-aaaa.test (MX
#   mx6.broken-aaaa.test: AAAA SERVFAIL, no A record: A NODATA).
# captures/lab-opensmtpd-nxdomain.pcap: user@nonexistent.test (NXDOMAIN).
# captures/lab-opensmtpd-healthy.pcap: user@example.test, healthy: MX 10 mx1, 20 mx2
#   (both with A and AAAA), smtp-sink on all four addresses.
# Logs: captures/lab/logs/<capture>.log (smtpd's syslog lines), .client.log
# (smtpctl commands and the queue).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/mta-lib.sh"
lab_lock
NAME=lab-opensmtpd
GAP=${MXLAB_MTA_GAP:-65}      # seconds between forced retries (> 60 s)
lab_init "$NAME"
lab_setup
lab_start_nsd
lab_start_unbound "127.0.0.1@5300"
lab_start_dnsdist "$TPL/dnsdist-aaaa-servfail.conf.in"
lab_start_sinks
lab_resolvers "$RES4"

RESULT='mta delivery .*result="(Ok|TempFail|PermFail)"'

# osmtpd_case INST CAPTURE RCPT
osmtpd_case() {
    local inst=$1 cap=$2 rcpt=$3 run
    local ml=$RUN/$inst/maillog
    lab_start_opensmtpd "$inst"
    lab_capture_start "$cap"
    lab_osmtpd_send "$inst" sender@sender.lab.test "$rcpt" "$cap"
    lab_wait_log "$inst" "$RESULT" 90
    sleep 2
    lab_osmtpd_queue "$inst"
    if grep -q 'mta delivery .*result="TempFail"' "$ml"; then
        for run in 2 3; do
            sleep "$GAP"
            lab_osmtpd_schedule "$inst"
            lab_wait_log "$inst" "$RESULT" 90 "$run"
            sleep 2
            lab_osmtpd_queue "$inst"
            grep -q 'mta delivery .*result="Ok"' "$ml" && break
        done
    fi
    lab_capture_stop
    stop_pid "$OS_PID"      # SIGINT: smtpd logs "Exiting"
    mkdir -p "$LAB_DIR/logs"
    cp "$ml" "$LAB_DIR/logs/$cap.log"
    cp "$RUN/$inst/queue-runs.log" "$LAB_DIR/logs/$cap.client.log"
    log "wrote captures/lab/logs/$cap.log, $cap.client.log"
}

osmtpd_case os   "$NAME-aaaa"     user@broken-aaaa.test
osmtpd_case os6  "$NAME-aaaa-noa" user@v6mx.broken-aaaa.test
osmtpd_case osn  "$NAME-nxdomain" user@nonexistent.test
osmtpd_case osh  "$NAME-healthy"  user@example.test
lab_finish
