#!/bin/bash
# lab-stale.sh: serve-stale (PATTERNS.md P20 STALE_ANSWER), one capture.
#
# unbound (10.53.0.53) with serve-expired (serve-expired-ttl 3600,
# serve-expired-client-timeout 1800 ms, RFC 8767), ede + ede-serve-expired,
# and cache-max-ttl 10 so cached answers expire 10 s after they were fetched.
# The sender's resolv.conf has "options edns0", so glibc (and Postfix) send
# an OPT record and can receive the EDE option.
#
# captures/lab-stale.pcap: Postfix delivers to user@example.test (fresh
#   answers fill unbound's cache). Then NSD, the only authoritative server,
#   is stopped and the cache is left to expire (12 s). dig MX example.test
#   gets the expired answer with EDE 3 (Stale Answer) after unbound's 1.8 s
#   client timeout. Postfix delivers a second message on the same expired
#   data: its queries carry no OPT (Postfix clears RES_USE_EDNS0 from
#   resolv.conf unless it wants DNSSEC), so the stale answers (1.8 s late,
#   TTL 30) carry no EDE. After "smtp_dns_support_level = dnssec" and a
#   reload, Postfix asks with EDNS0+DO and a third message is delivered on
#   answers with EDE 3: mail still flows.
# Logs: captures/lab/logs/lab-stale.log, lab-stale.client.log.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/diag-lib.sh"
NAME=lab-stale
RCPT=user@example.test
lab_init "$NAME"
lab_setup
lab_start_nsd
diag_start_unbound '' "$RES4" \
    "serve-expired: yes" "serve-expired-ttl: 3600" \
    "serve-expired-client-timeout: 1800" "serve-expired-reply-ttl: 30" \
    "ede: yes" "ede-serve-expired: yes" "cache-max-ttl: 10"
lab_start_sinks
lab_resolvers "$RES4"
diag_resolv_append "options edns0"
lab_start_postfix pf all "smtp_address_preference = ipv4"

lab_capture_start "$NAME"
lab_send pf sender@sender.lab.test "$RCPT" "lab stale 1 (fresh)"
lab_wait_log pf "to=<$RCPT>.*status=sent" 30
log "stopping NSD (the only authoritative server)"
kill "$(cat "$RUN/nsd/nsd.pid")"
nsd_down() { ! dns_ok "$NS_AUTH" "$AUTH4" 53 example.test SOA; }
wait_for "nsd stopped" 10 nsd_down
sleep 12
lab_dig +tries=1 +time=5 MX example.test
sleep 1
lab_send pf sender@sender.lab.test "$RCPT" "lab stale 2 (expired data)"
lab_wait_log pf "to=<$RCPT>.*status=sent" 60 2
# Postfix clears RES_USE_EDNS0 unless it wants DNSSEC: with the default
# smtp_dns_support_level its queries carry no OPT and the stale answers no
# EDE. With smtp_dns_support_level = dnssec it asks with EDNS0 + DO.
ns_exec "$NS_SND" postconf -c "$RUN/pf/etc" -e "smtp_dns_support_level = dnssec"
ns_exec "$NS_SND" postfix -c "$RUN/pf/etc" reload >>"$RUN/pf/start.log" 2>&1
sleep 2
lab_send pf sender@sender.lab.test "$RCPT" "lab stale 3 (expired data, EDNS)"
lab_wait_log pf "to=<$RCPT>.*status=sent" 60 3
sleep 1
lab_capture_stop
lab_stop_postfix pf
lab_keep_log pf "$NAME"
cp "$RUN/client.log" "$LAB_DIR/logs/$NAME.client.log"
lab_finish
