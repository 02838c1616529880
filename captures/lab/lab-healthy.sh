#!/bin/bash
# lab-healthy.sh: record captures/lab-healthy.pcap, mail that flows.
#
# NSD is authoritative for a fake root, test., example.test and other.test;
# unbound resolves recursively from it. In the sender namespace:
#   1. dig behaves like an MTA for other.test: MX, then A and AAAA of each
#      exchange, in preference order (dig sends EDNS 1232 + COOKIE, AD=1);
#   2. a real Postfix (inet_protocols=all, smtp_address_preference=ipv4)
#      delivers user@example.test: MX example.test, A/AAAA of mx1 and mx2
#      (glibc res_search, no EDNS), then SMTP to 10.53.0.25:25 (smtp-sink);
#   3. glibc getaddrinfo (getent ahosts www.example.test): A and AAAA sent
#      back-to-back from one socket.
# Postfix log: captures/lab/logs/lab-healthy.log; dig/getent output:
# captures/lab/logs/lab-healthy.client.log.
. "$(dirname "$0")/lib.sh"
NAME=lab-healthy
lab_init "$NAME"
lab_setup
lab_start_nsd
lab_start_unbound "$RES4 $RES6"
lab_start_sinks
lab_resolvers "$RES4"
lab_start_postfix pf all "smtp_address_preference = ipv4"

lab_capture_start "$NAME"

# 1. dig as an MTA would: MX, then A and AAAA per exchange (by preference).
out=$(ns_exec "$NS_SND" dig MX other.test)
printf '$ dig MX other.test\n%s\n' "$out" >>"$RUN/client.log"
for h in $(printf '%s\n' "$out" | awk '$4 == "MX" { print $5, $6 }' | sort -n | awk '{ print $2 }'); do
    lab_dig A "$h"
    lab_dig AAAA "$h"
done
sleep 1

# 2. Postfix delivers a message to example.test.
lab_send pf sender@sender.lab.test user@example.test "lab healthy"
lab_wait_log pf 'to=<user@example.test>.*status=sent' 60
sleep 1

# 3. glibc getaddrinfo(AF_UNSPEC) for a web name.
{ echo '$ getent ahosts www.example.test'; ns_exec "$NS_SND" getent ahosts www.example.test; } \
    >>"$RUN/client.log" 2>&1 || true

lab_capture_stop
lab_stop_postfix pf
lab_keep_log pf "$NAME"
cp "$RUN/client.log" "$LAB_DIR/logs/$NAME.client.log"
lab_finish
