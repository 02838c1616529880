#!/bin/bash
# lab-edns-formerr.sh: record captures/lab-edns-formerr.pcap and
# lab-edns-formerr-dnssec.pcap, a resolver that answers FORMERR to every
# query with an EDNS OPT record (PATTERNS.md P15 EDNS_FORMERR).
#
# dnsdist on 10.53.0.53 (templates/dnsdist-edns-formerr.conf.in) answers
# FORMERR itself to any query with an OPT RR and passes queries without OPT
# to unbound (127.0.0.1:5300).
#   lab-edns-formerr: the sender's resolv.conf has "options edns0", so glibc
#     puts an OPT (payload 1200) on every query. dig MX other.test (EDNS
#     1232), then "dig +noedns MX other.test" (the retry dig's warning
#     asks for; dig itself does not retry), then Postfix (inet_protocols=all,
#     smtp_address_preference=ipv4) sends to user@example.test, then
#     getent ahosts mx1.example.test (glibc getaddrinfo).
#   lab-edns-formerr-dnssec: plain resolv.conf (no edns0), Postfix with
#     smtp_dns_support_level=dnssec (Postfix itself sets RES_USE_DNSSEC and
#     RES_USE_EDNS0 for its lookups) sends to user@example.test.
# The captures show whether glibc, dig and Postfix retry without OPT after
# the FORMERR and whether Postfix delivers. Logs: captures/lab/logs/.
. "$(dirname "$0")/lib.sh"
NAME=lab-edns-formerr
RCPT=user@example.test
lab_init "$NAME"
lab_setup
lab_start_nsd
lab_start_unbound "127.0.0.1@5300"
# lab_start_dnsdist probes with dig's default EDNS, which this dnsdist
# answers FORMERR by design: start it here and probe without OPT.
mkdir -p "$RUN/dnsdist"
subst "$TPL/dnsdist-edns-formerr.conf.in" "$RUN/dnsdist/dnsdist.conf"
ip netns exec "$NS_RES" dnsdist --supervised --disable-syslog \
    -C "$RUN/dnsdist/dnsdist.conf" >"$RUN/dnsdist/stderr" 2>&1 &
noedns_ok() { ns_exec "$NS_RES" dig +noedns +time=1 +tries=1 @"$RES4" . SOA 2>/dev/null | grep -q 'status: NOERROR'; }
wait_for "dnsdist" 20 noedns_ok
log "dnsdist up on $RES4/$RES6 (FORMERR to queries with OPT)"
lab_start_sinks

# a. glibc with "options edns0"
lab_resolvers "$RES4"
printf 'options edns0\n' >> "/etc/netns/$NS_SND/resolv.conf"
cp "/etc/netns/$NS_SND/resolv.conf" "$RUN/resolv.conf"
lab_start_postfix pf all "smtp_address_preference = ipv4"
lab_capture_start "$NAME"
lab_dig MX other.test
lab_dig +noedns MX other.test
sleep 1
lab_send pf sender@sender.lab.test "$RCPT" "lab edns formerr"
lab_wait_log pf "to=<$RCPT>.*status=" 90
sleep 2
{ echo "\$ getent ahosts mx1.example.test"; ns_exec "$NS_SND" getent ahosts mx1.example.test; \
  echo "exit status $?"; } >>"$RUN/client.log" 2>&1 || true
sleep 1
lab_capture_stop
lab_stop_postfix pf
lab_keep_log pf "$NAME"
{ echo "\$ cat /etc/resolv.conf  # in the sender namespace"; cat "$RUN/resolv.conf"; cat "$RUN/client.log"; } \
    > "$LAB_DIR/logs/$NAME.client.log"

# b. Postfix asks for DNSSEC (EDNS + DO) itself; resolv.conf without edns0
lab_resolvers "$RES4"
lab_start_postfix pfd all "smtp_address_preference = ipv4" "smtp_dns_support_level = dnssec"
lab_capture_start "$NAME-dnssec"
lab_send pfd sender@sender.lab.test "$RCPT" "lab edns formerr dnssec"
lab_wait_log pfd "to=<$RCPT>.*status=" 90
sleep 1
lab_capture_stop
lab_stop_postfix pfd
lab_keep_log pfd "$NAME-dnssec"
lab_finish
