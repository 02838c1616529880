#!/bin/bash
# lab-smarthost.sh: Exim 4.96 and OpenSMTPD 6.8.0p2 (unpacked .debs, see
# mta-lib.sh) sending all mail through a smarthost, as lab-relayhost.sh does
# for Postfix. The recipient domain plays no part in routing; only the relay
# host's addresses are looked up.
#
# Resolver arrangement of lab-aaaa-servfail.sh: dnsdist on 10.53.0.53 fronts
# unbound and answers SERVFAIL itself to AAAA queries for mx.broken-aaaa.test
# and mx6.broken-aaaa.test (templates/dnsdist-aaaa-servfail.conf.in). No zone
# change. Every case: a fresh MTA instance and one message to
# user@other.test (exists, never looked up).
#
# Exim: templates/exim-smarthost.conf.in, the manualroute router of Debian's
#   exim4-config for the "smarthost" configuration type:
#   route_list = * HOST byname, host_find_failed = ignore (byname: the
#   system resolver). MXLAB_SMARTHOST_LOOKUP=bydns records the same Exim
#   cases with Exim's own DNS lookups instead, into captures named
#   lab-smarthost-exim-bydns-* (for comparison; not committed). The message
#   is queued (-odq) and the first attempt is a queue run (exim -q -v); a
#   deferred message gets one forced queue run (exim -qff -v) GAP s later.
# OpenSMTPD: templates/smtpd-smarthost.conf.in, action "relay" relay host
#   smtp://HOST, match from local for any action "relay". smtpd -F, the
#   message submitted with sendmail(8); a deferred message gets one forced
#   retry (smtpctl schedule all) GAP s after the first TempFail.
#
# captures/lab-smarthost-exim-nxdomain.pcap: relay.nonexistent.test (NXDOMAIN)
# captures/lab-smarthost-exim-noaddr.pcap: mx6.broken-aaaa.test (A NODATA,
#   AAAA SERVFAIL)
# captures/lab-smarthost-exim-aaaa.pcap: mx.broken-aaaa.test (A 10.53.0.25,
#   AAAA SERVFAIL)
# captures/lab-smarthost-opensmtpd-nxdomain.pcap, -noaddr.pcap: the first
#   two relay hosts with OpenSMTPD.
# Logs: captures/lab/logs/<capture>.log (Exim's mainlog; smtpd's syslog
# lines), <capture>.client.log (queue run transcripts; smtpctl output).
#
# Takes /tmp/mxlab.lock itself unless it inherited it (record-all.sh, or
# "(exec 9>/tmp/mxlab.lock; flock -w 3600 9 && ./lab-smarthost.sh)").
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/mta-lib.sh"
lab_lock
NAME=lab-smarthost
RCPT=user@other.test
GAP=${MXLAB_RELAY_GAP:-65}    # seconds between the two attempts (> 60 s)
LOOKUP=${MXLAB_SMARTHOST_LOOKUP:-byname}
case $LOOKUP in byname) EXNAME=$NAME-exim ;; bydns) EXNAME=$NAME-exim-bydns ;;
    *) die "MXLAB_SMARTHOST_LOOKUP: byname or bydns" ;; esac
lab_init "$NAME"
lab_setup
lab_start_nsd
lab_start_unbound "127.0.0.1@5300"
lab_start_dnsdist "$TPL/dnsdist-aaaa-servfail.conf.in"
lab_start_sinks
lab_resolvers "$RES4"

# exim_run INST OPTION: one queue run (-q, or -qff: forced, frozen too) in
# the foreground, its -v transcript appended to INST/queue-runs.log.
exim_run() {
    local d=$RUN/$1
    { printf '$ exim4 -C %s %s -v    (%s)\n' "$d/etc/exim.conf" "$2" "$(date +%T)"
      lab_exim "$1" "$2" -v 2>&1 || true; } >>"$d/queue-runs.log"
    log "exim $1 $2 done"
}

# exim_case INST CAPTURE RELAY
exim_case() {
    local inst=$1 cap=$2 relay=$3
    local ml=$RUN/$inst/log/mainlog
    EXIM_TPL=$TPL/exim-smarthost.conf.in lab_start_exim "$inst" \
        "RELAY_HOST = $relay" "RELAY_LOOKUP = $LOOKUP"
    lab_capture_start "$cap"
    lab_exim_send "$inst" sender@sender.lab.test "$RCPT" "$cap"
    exim_run "$inst" -q
    if ! grep -q ' Completed' "$ml"; then
        log "waiting ${GAP} s, then exim -qff"
        sleep "$GAP"
        exim_run "$inst" -qff
    fi
    sleep 1
    lab_capture_stop
    lab_exim_keep_log "$inst" "$cap"
}

RESULT='mta delivery .*result="(Ok|TempFail|PermFail)"'

# osmtpd_case INST CAPTURE RELAY
osmtpd_case() {
    local inst=$1 cap=$2 relay=$3
    local ml=$RUN/$inst/maillog
    sed "s|@RELAY@|$relay|g" "$TPL/smtpd-smarthost.conf.in" > "$RUN/$inst.conf.in"
    OS_TPL=$RUN/$inst.conf.in lab_start_opensmtpd "$inst"
    lab_capture_start "$cap"
    lab_osmtpd_send "$inst" sender@sender.lab.test "$RCPT" "$cap"
    lab_wait_log "$inst" "$RESULT" 90
    sleep 2
    lab_osmtpd_queue "$inst"
    if grep -q 'mta delivery .*result="TempFail"' "$ml"; then
        log "waiting ${GAP} s, then smtpctl schedule all"
        sleep "$GAP"
        lab_osmtpd_schedule "$inst"
        lab_wait_log "$inst" "$RESULT" 90 2
        sleep 2
        lab_osmtpd_queue "$inst"
    fi
    lab_capture_stop
    stop_pid "$OS_PID"      # SIGINT: smtpd logs "Exiting"
    mkdir -p "$LAB_DIR/logs"
    cp "$ml" "$LAB_DIR/logs/$cap.log"
    cp "$RUN/$inst/queue-runs.log" "$LAB_DIR/logs/$cap.client.log"
    log "wrote captures/lab/logs/$cap.log, $cap.client.log"
}

exim_case exn "$EXNAME-nxdomain" relay.nonexistent.test
exim_case ex6 "$EXNAME-noaddr"   mx6.broken-aaaa.test
exim_case exa "$EXNAME-aaaa"     mx.broken-aaaa.test
if [ "$LOOKUP" = byname ]; then
    osmtpd_case osn "$NAME-opensmtpd-nxdomain" relay.nonexistent.test
    osmtpd_case os6 "$NAME-opensmtpd-noaddr"   mx6.broken-aaaa.test
fi
lab_finish
