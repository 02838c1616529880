#!/bin/bash
# lab-aaaa-rcode.sh: AAAA answered NOTIMP, FORMERR or REFUSED (RFC 4074's
# broken firewalls and DNS proxies) instead of SERVFAIL (lab-aaaa-servfail.sh)
# or NOERROR/NODATA. Per rcode and sender one capture of one message to
# user@broken-aaaa.test (MX 10 mx.broken-aaaa.test, A 10.53.0.25):
#
#   lab-aaaa-<rcode>-postfix: Postfix (lab default, inet_protocols=all).
#   lab-aaaa-<rcode>-exim:    Exim 4.96 (mta-lib.sh, templates/exim.conf.in),
#                             queued with -odq, delivered by "exim -q -v".
#   lab-aaaa-<rcode>-postfix-v6only: Postfix with inet_protocols=ipv6 and
#                             fd53::53 as its resolver (as the second capture
#                             of lab-aaaa-servfail.sh): asks AAAA only.
#   <rcode> = notimp, formerr, refused. MXLAB_RCODES (default "NOTIMP
#   FORMERR REFUSED") and MXLAB_RCODE_CASES (default "postfix exim
#   postfix6") choose a subset.
#
# dnsdist on 10.53.0.53/fd53::53 (templates/dnsdist-aaaa-rcode.conf.in, a
# fresh dnsdist per rcode) answers the rcode itself (RA=1) to AAAA queries
# for mx.broken-aaaa.test and passes everything else to unbound
# (127.0.0.1:5300). Each capture has a fresh MTA instance. If the first
# attempt defers, the script waits GAP (65) s and forces one more attempt
# (Postfix: postqueue -f; Exim: exim -q -v, due again after the 1-minute
# retry rule), so the capture shows whether the MTA loops. A bounce ends
# the capture (nothing left to retry).
# Logs: captures/lab/logs/<capture>.log (Postfix maillog / Exim mainlog),
# Exim's queue-run transcripts in <capture>.client.log.
# Run under the lab lock: (exec 9>/tmp/mxlab.lock; flock -w 900 9 && ...).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/mta-lib.sh"
lab_lock
NAME=lab-aaaa-rcode
RCPT=user@broken-aaaa.test
GAP=${MXLAB_MTA_GAP:-65}
RCODES=${MXLAB_RCODES:-"NOTIMP FORMERR REFUSED"}
CASES=${MXLAB_RCODE_CASES:-"postfix exim postfix6"}
lab_init "$NAME"
lab_setup
lab_start_nsd
lab_start_unbound "127.0.0.1@5300"
lab_start_sinks
lab_resolvers "$RES4"
DNSDIST_PID=

# start_dnsdist RCODE: (re)start dnsdist answering RCODE to AAAA of mx.
start_dnsdist() {
    [ -z "$DNSDIST_PID" ] || stop_pid "$DNSDIST_PID"
    sed "s/@RCODE@/$1/" "$TPL/dnsdist-aaaa-rcode.conf.in" > "$RUN/dnsdist-$1.conf.in"
    lab_start_dnsdist "$RUN/dnsdist-$1.conf.in"
    DNSDIST_PID=$!
    { echo "\$ dig AAAA mx.broken-aaaa.test   ($1)"
      ns_exec "$NS_RES" dig +time=1 +tries=1 @"$RES4" AAAA mx.broken-aaaa.test || true; } \
        >>"$RUN/dnsdist/check.log" 2>&1
    tail -n 30 "$RUN/dnsdist/check.log" | grep -q "status: $1" \
        || die "dnsdist does not answer $1 to AAAA mx.broken-aaaa.test"
}

# pf_case INST CAPTURE [PROTO]: Postfix (inet_protocols=PROTO, default all);
# one forced retry after a deferral.
pf_case() {
    local inst=$1 cap=$2 d=$RUN/$1
    lab_start_postfix "$inst" "${3:-all}"
    lab_capture_start "$cap"
    lab_send "$inst" sender@sender.lab.test "$RCPT" "$cap"
    lab_wait_log "$inst" "to=<$RCPT>.*status=(sent|deferred|bounced)" 60
    if grep -qE "to=<$RCPT>.*status=deferred" "$d/maillog"; then
        log "deferred: waiting ${GAP} s, then postqueue -f"
        sleep "$GAP"
        ns_exec "$NS_SND" postqueue -c "$d/etc" -f
        lab_wait_log "$inst" "to=<$RCPT>.*status=(sent|deferred|bounced)" 60 2
    fi
    sleep 1
    lab_capture_stop
    lab_stop_postfix "$inst"
    lab_keep_log "$inst" "$cap"
}

# exim_case INST CAPTURE: Exim; one more queue run GAP s after a deferral.
exim_case() {
    local inst=$1 cap=$2 ml=$RUN/$1/log/mainlog
    lab_start_exim "$inst"
    lab_capture_start "$cap"
    lab_exim_send "$inst" sender@sender.lab.test "$RCPT" "$cap"
    lab_exim_queue_run "$inst"
    if ! grep -q ' Completed' "$ml"; then
        log "not completed: waiting ${GAP} s, then exim -q -v"
        sleep "$GAP"
        lab_exim_queue_run "$inst"
    fi
    sleep 1
    lab_capture_stop
    lab_exim_keep_log "$inst" "$cap"
}

for rc in $RCODES; do
    lc=$(echo "$rc" | tr 'A-Z' 'a-z')
    start_dnsdist "$rc"
    case " $CASES " in *" postfix "*) pf_case "pf$lc" "lab-aaaa-$lc-postfix";; esac
    case " $CASES " in *" exim "*) exim_case "ex$lc" "lab-aaaa-$lc-exim";; esac
    case " $CASES " in *" postfix6 "*)
        # An IPv6-only host also talks to its resolver over IPv6.
        lab_resolvers "$RES6"
        pf_case "pf6$lc" "lab-aaaa-$lc-postfix-v6only" ipv6
        lab_resolvers "$RES4";;
    esac
done
lab_finish
