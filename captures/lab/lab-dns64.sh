#!/bin/bash
# lab-dns64.sh: DNS64 (PATTERNS.md P20 DNS64_SYNTHESIZED), one capture.
#
# unbound (10.53.0.53) with module-config "dns64 iterator" and dns64-prefix
# 64:ff9b::/96 (RFC 6147 well-known prefix). v4only.test's only MX host,
# mx.v4only.test, has an A record (10.53.0.25) and no AAAA.
#
# captures/lab-dns64.pcap: dig AAAA mx.v4only.test gets 64:ff9b::a35:19,
#   synthesized from the A record. Then Postfix (inet_protocols=all,
#   smtp_address_preference=ipv6) delivers to user@v4only.test: MX, A
#   10.53.0.25, AAAA 64:ff9b::a35:19 (synthesized). It tries the IPv6
#   address first; the lab has no NAT64 (no route to 64:ff9b::/96), so
#   that connect fails at once and Postfix delivers over IPv4.
# Logs: captures/lab/logs/lab-dns64.log, lab-dns64.client.log.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/diag-lib.sh"
NAME=lab-dns64
RCPT=user@v4only.test
lab_init "$NAME"
lab_setup
lab_start_nsd
diag_start_unbound 's/^\( *module-config:\).*/\1 "dns64 iterator"/' "$RES4" \
    "dns64-prefix: 64:ff9b::/96"
grep -E 'module-config|dns64' "$RUN/unbound/unbound.conf" | sed 's/^/    unbound.conf: /' >&2
lab_start_sinks
lab_resolvers "$RES4"
lab_start_postfix pf all "smtp_address_preference = ipv6"

lab_capture_start "$NAME"
lab_dig +tries=1 +time=5 AAAA mx.v4only.test
sleep 1
lab_send pf sender@sender.lab.test "$RCPT" "lab dns64"
lab_wait_log pf "to=<$RCPT>.*status=(sent|deferred)" 40
sleep 1
lab_capture_stop
lab_stop_postfix pf
lab_keep_log pf "$NAME"
cp "$RUN/client.log" "$LAB_DIR/logs/$NAME.client.log"
lab_finish
