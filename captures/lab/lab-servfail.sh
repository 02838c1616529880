#!/bin/bash
# lab-servfail.sh: two captures of SERVFAIL (PATTERNS.md P17), both with a
# real Postfix that has mail queued for several domains.
#
# captures/lab-servfail-storm.pcap: the resolver cannot reach any
#   authoritative server. unbound starts normally (it primes the root from
#   the lab NSD), then NSD is stopped: every query unbound sends upstream is
#   answered by ICMP port unreachable. dig MX example.test, then 14
#   messages to 7 recipient domains (7 zones). First round: unbound does
#   not answer at all while it retries upstream (dig tries 3 times, glibc
#   twice 5 s apart, Postfix defers 4.4.3 after 10 s). Postfix's queue
#   retry (backoff 75 s) 107 s later: unbound now knows the servers are
#   down and answers SERVFAIL at once (< 1 ms) to most questions (20
#   SERVFAIL in 10 ms across 5 zones); a few still time out. Postfix defers
#   4.4.3 again. Last, dig . SOA is answered from unbound's cache.
# captures/lab-servfail-domain.pcap: everything works except one recipient
#   zone: lame.test is delegated to ns.lame.test (10.53.0.4), a second NSD
#   that serves no zone and answers REFUSED (a lame delegation), so unbound
#   answers SERVFAIL for any name in lame.test. Postfix sends to
#   user@lame.test (MX SERVFAIL twice, deferred 4.4.3: no other query) and
#   to three healthy domains (delivered); the recording goes on until
#   Postfix's retry of user@lame.test has failed the same way. After the
#   capture, dig MX and A of lame.test (client log) get SERVFAIL too.
# MXLAB_PARTS="storm domain" (default both) records only the parts named.
# Logs: captures/lab/logs/lab-servfail-{storm,domain}.log (+ .client.log).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/fail-lib.sh"
NAME=lab-servfail
PARTS=" ${MXLAB_PARTS:-storm domain} "
lab_init "$NAME"
: > "$RUN/nsd-extra.conf"

# --- 1. resolver-wide: no authoritative server reachable.
if [ "${PARTS#* storm }" != "$PARTS" ]; then
lab_setup
fail_start_nsd "$RUN/nsd-extra.conf"
lab_start_unbound "$RES4 $RES6"
lab_start_sinks
DOMAINS="example.test other.test nomx.test big.test dangling.test broken-aaaa.test nullmx.test"
lab_resolvers "$RES4"
lab_start_postfix pf1 all "smtp_address_preference = ipv4"
fail_stop_nsd
lab_capture_start "$NAME-storm"
lab_dig MX example.test
sleep 1
n=0
for i in 1 2; do
    for d in $DOMAINS; do
        lab_send pf1 sender@sender.lab.test "user$i@$d" "lab servfail storm $i"
        n=$((n + 1))
    done
done
lab_wait_log pf1 "to=<user[12]@.*status=deferred" 60 "$n"
# Postfix retries every deferred message once its backoff (75 s) is over.
lab_wait_log pf1 "to=<user[12]@.*status=deferred" 150 $((2 * n))
# The resolver still answers what it has cached (the root, primed at start).
lab_dig . SOA
lab_capture_stop 2
lab_stop_postfix pf1
lab_keep_log pf1 "$NAME-storm"
fail_keep_client "$NAME-storm"
lab_teardown
fi

# --- 2. one zone broken: lame.test (lame delegation), the others fine.
if [ "${PARTS#* domain }" != "$PARTS" ]; then
lab_setup
fail_start_nsd "$RUN/nsd-extra.conf"
fail_start_lame_nsd
lab_start_unbound "$RES4 $RES6"
lab_start_sinks
lab_resolvers "$RES4"
lab_start_postfix pf2 all "smtp_address_preference = ipv4"
lab_capture_start "$NAME-domain"
lab_send pf2 sender@sender.lab.test user@lame.test "lab servfail domain"
lab_wait_log pf2 "to=<user@lame.test>.*status=deferred" 60
for d in example.test other.test nomx.test; do
    lab_send pf2 sender@sender.lab.test "user@$d" "lab servfail domain, healthy $d"
done
lab_wait_log pf2 "to=<user@(example|other|nomx).test>.*status=sent" 60 3
# Postfix retries the deferred message after its backoff (75 s).
lab_wait_log pf2 "to=<user@lame.test>.*status=deferred" 150 2
lab_capture_stop 2
# After the capture (a real MTA asks MX only): the admin's dig MX and A.
lab_dig MX lame.test
lab_dig A lame.test
lab_stop_postfix pf2
lab_keep_log pf2 "$NAME-domain"
fail_keep_client "$NAME-domain"
fi
lab_finish
