#!/bin/bash
# lab-disagree.sh: record captures/lab-disagree.pcap, two real resolvers that
# give different answers about one recipient domain (PATTERNS.md P13).
#
# The sender's resolv.conf lists two resolvers and "options rotate":
#   10.53.0.53  unbound resolving from the lab root (current zones; mxt.test
#               from NSD 10.53.0.2, templates/zones/mxt.test.zone)
#   10.53.0.56  a second unbound (templates/unbound-stale.conf.in) with a
#               stub-zone sending mxt.test to an old secondary: a second NSD
#               on 10.53.0.3 serving a stale copy of mxt.test (older serial,
#               zones/mxt.test.stale.zone) taken before moved.mxt.test was
#               added. For it every name under moved.mxt.test is NXDOMAIN.
# With rotate, glibc starts each res_send at the next server (a per-process
# counter with a random start), so Postfix's MX, A and AAAA questions
# alternate between the two resolvers. A real Postfix (inet_protocols=all,
# smtp_address_preference=ipv4) sends two messages to user@moved.mxt.test,
# the second after the first has bounced or been delivered: the same smtp
# process handles both, so the second message's MX question goes to the
# other resolver. Neither resolver fails (no SERVFAIL, so glibc never fails
# over): each answer is final, and which one Postfix gets depends on the
# rotation. At the end dig asks MX moved.mxt.test of each resolver.
# Postfix log: captures/lab/logs/lab-disagree.log; dig output:
# captures/lab/logs/lab-disagree.client.log.
. "$(dirname "$0")/lib.sh"
NAME=lab-disagree
RCPT=user@moved.mxt.test
STALE_NSD4=10.53.0.3
RES2_4=10.53.0.56
lab_init "$NAME"
lab_setup
ip -n "$NS_AUTH" addr add "$STALE_NSD4/24" dev eth0
ip -n "$NS_RES" addr add "$RES2_4/24" dev eth0
lab_start_nsd
mkdir -p "$RUN/nsd-stale"
subst "$TPL/nsd-stale.conf.in" "$RUN/nsd-stale/nsd.conf"
nsd-checkconf "$RUN/nsd-stale/nsd.conf" || die "nsd-stale.conf invalid"
ip netns exec "$NS_AUTH" nsd -d -c "$RUN/nsd-stale/nsd.conf" >"$RUN/nsd-stale/stderr" 2>&1 &
wait_for "stale nsd" 20 dns_ok "$NS_AUTH" "$STALE_NSD4" 53 mxt.test SOA
log "stale nsd up on $STALE_NSD4"
lab_start_unbound "$RES4"
mkdir -p "$RUN/unbound-stale"
subst "$TPL/unbound-stale.conf.in" "$RUN/unbound-stale/unbound.conf"
unbound-checkconf "$RUN/unbound-stale/unbound.conf" >/dev/null || die "unbound-stale.conf invalid"
ip netns exec "$NS_RES" unbound -d -c "$RUN/unbound-stale/unbound.conf" >"$RUN/unbound-stale/stderr" 2>&1 &
wait_for "stale unbound" 20 dns_ok "$NS_RES" "$RES2_4" 53 . SOA
log "stale unbound up on $RES2_4"
lab_start_sinks
lab_resolvers "$RES4" "$RES2_4"
printf 'options rotate\n' >> "/etc/netns/$NS_SND/resolv.conf"
cp "/etc/netns/$NS_SND/resolv.conf" "$RUN/resolv.conf"
lab_start_postfix pf all "smtp_address_preference = ipv4"

lab_capture_start "$NAME"
for i in 1 2; do
    lab_send pf sender@sender.lab.test "$RCPT" "lab disagree $i"
    lab_wait_log pf "to=<$RCPT>.*status=" 60 "$i"
    sleep 1
done
lab_dig MX moved.mxt.test @"$RES4"
lab_dig MX moved.mxt.test @"$RES2_4"
sleep 1
lab_capture_stop
lab_stop_postfix pf
lab_keep_log pf "$NAME"
{ echo "\$ cat /etc/resolv.conf  # in the sender namespace"; cat "$RUN/resolv.conf"; cat "$RUN/client.log"; } \
    > "$LAB_DIR/logs/$NAME.client.log"
lab_finish
