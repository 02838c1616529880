#!/bin/bash
# lab-relayhost.sh: Postfix relaying everything through a smarthost
# (relayhost), four captures. A very common configuration: the MTA never
# looks up the recipient domain, only the relay host.
#
# Resolver arrangement of lab-aaaa-servfail.sh: dnsdist on 10.53.0.53 fronts
# unbound (127.0.0.1:5300) and answers SERVFAIL itself to AAAA queries for
# mx.broken-aaaa.test and mx6.broken-aaaa.test (templates/
# dnsdist-aaaa-servfail.conf.in); everything else is resolved normally. No
# zone change: the relay names are names the lab zones already have (or,
# for the NXDOMAIN case, do not have). Every case: a fresh Postfix instance
# (inet_protocols=all) and one message to user@other.test, a domain that
# exists (MX mail.other.test) but that Postfix must never look up, because
# with a relayhost the recipient domain plays no part in routing.
#
# captures/lab-relayhost-aaaa.pcap: relayhost = [mx.broken-aaaa.test]
#   (brackets: no MX lookup). A 10.53.0.25, AAAA SERVFAIL; Postfix delivers
#   over IPv4.
# captures/lab-relayhost-nxdomain.pcap: relayhost = [relay.nonexistent.test]
#   (NXDOMAIN: nonexistent.test is not delegated). Postfix defers; one
#   retry forced with "postqueue -f" GAP (65) s after the first deferral.
# captures/lab-relayhost-noaddr.pcap: relayhost = [mx6.broken-aaaa.test]
#   (AAAA SERVFAIL, A NODATA). Deferred; one forced retry, as above.
# captures/lab-relayhost-mx.pcap: relayhost = example.test (no brackets:
#   MX example.test first, then the exchanges' A/AAAA), delivered;
#   smtp_address_preference = ipv4 (as lab-healthy.sh) so the SYN goes to
#   10.53.0.25 on every recording.
# Logs: captures/lab/logs/<capture>.log.
#
# Takes /tmp/mxlab.lock itself unless it inherited it (record-all.sh, or
# "(exec 9>/tmp/mxlab.lock; flock -w 3600 9 && ./lab-relayhost.sh)").
. "$(dirname "$0")/lib.sh"
if [ "$(readlink /proc/self/fd/9 2>/dev/null)" != /tmp/mxlab.lock ]; then
    exec 9>/tmp/mxlab.lock
    flock -n 9 || die "another lab run holds /tmp/mxlab.lock"
fi
NAME=lab-relayhost
RCPT=user@other.test
GAP=${MXLAB_RELAY_GAP:-65}    # seconds between the two attempts (> 60 s)
lab_init "$NAME"
lab_setup
lab_start_nsd
lab_start_unbound "127.0.0.1@5300"
lab_start_dnsdist "$TPL/dnsdist-aaaa-servfail.conf.in"
lab_start_sinks
lab_resolvers "$RES4"

# relay_case INST CAPTURE sent|deferred MAIN.CF-LINE...: one message through
# a fresh instance; "deferred": wait GAP s after the first deferral, force
# one queue run (postqueue -f) and wait for the second deferral.
relay_case() {
    local inst=$1 cap=$2 want=$3; shift 3
    local d=$RUN/$inst
    lab_start_postfix "$inst" all "$@"
    lab_capture_start "$cap"
    lab_send "$inst" sender@sender.lab.test "$RCPT" "$cap"
    if [ "$want" = sent ]; then
        lab_wait_log "$inst" "to=<$RCPT>.*status=sent" 60
    else
        lab_wait_log "$inst" "to=<$RCPT>.*status=deferred" 60
        log "waiting ${GAP} s, then postqueue -f"
        sleep "$GAP"
        ns_exec "$NS_SND" postqueue -c "$d/etc" -f
        lab_wait_log "$inst" "to=<$RCPT>.*status=deferred" 60 2
    fi
    sleep 1
    lab_capture_stop
    lab_stop_postfix "$inst"
    lab_keep_log "$inst" "$cap"
}

relay_case pfa "$NAME-aaaa" sent "relayhost = [mx.broken-aaaa.test]"
relay_case pfn "$NAME-nxdomain" deferred "relayhost = [relay.nonexistent.test]"
relay_case pf6 "$NAME-noaddr" deferred "relayhost = [mx6.broken-aaaa.test]"
relay_case pfm "$NAME-mx" sent "relayhost = example.test" \
    "smtp_address_preference = ipv4"
lab_finish
