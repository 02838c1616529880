#!/bin/bash
# lab-dnsbl.sh: record captures/lab-dnsbl-public.pcap and
# captures/lab-dnsbl-filtered.pcap (PATTERNS.md P12, P16 QUERY_MIX).
#
# lab-dnsbl-public.pcap:
# A RECEIVING mail server: a real Postfix smtpd in the sender namespace
# (10.53.0.10:25) with "smtpd_client_restrictions = reject_rbl_client
# zen.dnsbl.test" (no reply filter, as in many configurations), resolving
# through the lab unbound (10.53.0.53). zen.dnsbl.test (NSD,
# templates/zones/dnsbl.test.zone) answers every name with 127.255.255.254
# and a TXT, the way Spamhaus answers queries that reach it through a
# public/open resolver. The tests declare 10.53.0.53 public with
# "--public-resolvers 10.53.0.53" (no real public resolver is involved).
# Postfix's smtp-source, in the MX namespace (10.53.0.25), opens two SMTP
# sessions one after the other (it gives up after a rejected RCPT). Per session smtpd asks PTR
# 25.0.53.10.in-addr.arpa (NXDOMAIN: "unknown"), then A
# 25.0.53.10.zen.dnsbl.test (127.255.255.254) and the TXT of that name for
# the reply text, and rejects RCPT with 554 5.7.1 "blocked using
# zen.dnsbl.test": the blocklist's error code is read as "listed", so good
# mail is refused.
# lab-dnsbl-filtered.pcap: the same server with the reply filter that
# blocklists recommend, "reject_rbl_client zen.dnsbl.test=127.0.0.[2..11]":
# 127.255.255.254 does not match, so every message is ACCEPTED and spam
# filtering is silently off. 25 clients (10.53.0.100-124, the MX namespace's
# route to 10.53.0.10 switched to each source address in turn) each open two
# parallel sessions (smtp-source -s 2 -m 2), each served by its own smtpd
# process: per session PTR (NXDOMAIN), A under zen.dnsbl.test
# (127.255.255.254) and TXT of the same name (Postfix fetches the reply
# text even though its filter then ignores the answer): 150 queries.
# Recorded with the capture filter "udp port 53 or icmp": DNS only (the
# SMTP traffic would make the file about 100 KB).
# MXLAB_PARTS="public filtered" (default both) records only the parts named.
# Logs: captures/lab/logs/lab-dnsbl-{public,filtered}.log (+ .client.log:
# smtp-source).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/fail-lib.sh"
NAME=lab-dnsbl
PARTS=" ${MXLAB_PARTS:-public filtered} "
lab_init "$NAME"
printf 'zone:\n    name: "dnsbl.test."\n    zonefile: "%s"\n' "$ZONES/dnsbl.test.zone" > "$RUN/nsd-extra.conf"

# dnsbl_lab INST RESTRICTION: the lab, and Postfix instance INST as a
# receiving server: an SMTP listener on the sender's address (master.cf),
# client name lookup (Postfix's default), any local recipient accepted
# (discarded) and the blocklist check.
dnsbl_lab() {
    lab_setup
    fail_start_nsd "$RUN/nsd-extra.conf"
    lab_start_unbound "$RES4 $RES6"
    lab_resolvers "$RES4"
    lab_start_postfix "$1" all
    ns_exec "$NS_SND" postconf -c "$RUN/$1/etc" -e "smtpd_peername_lookup = yes" \
        "local_recipient_maps =" "smtpd_client_restrictions = $2"
    printf '%s:smtp inet n - n - - smtpd\n' "$SND4" >> "$RUN/$1/etc/master.cf"
    ns_exec "$NS_SND" postfix -c "$RUN/$1/etc" reload >>"$RUN/$1/start.log" 2>&1
    wait_for "smtpd listener" 20 ns_exec "$NS_SND" sh -c "ss -ltnH | grep -q '$SND4:25 '"
    log "postfix $1 listens on $SND4:25 ($2)"
}

# --- 1. no reply filter: the error code is read as "listed".
if [ "${PARTS#* public }" != "$PARTS" ]; then
NAME=lab-dnsbl-public
dnsbl_lab pf "reject_rbl_client zen.dnsbl.test"

lab_capture_start "$NAME"
for i in 1 2; do
    { echo "\$ smtp-source -m 1 -M client.lab.test -f sender@example.test -t user@sender.lab.test $SND4:25"
      ns_exec "$NS_MX" smtp-source -m 1 -M client.lab.test -f sender@example.test \
          -t user@sender.lab.test "$SND4:25" 2>&1; echo "exit status $?"; } >>"$RUN/client.log" 2>&1 || true
    lab_wait_log pf "disconnect from" 30 "$i"
    sleep 1
done
lab_wait_log pf "NOQUEUE: reject: RCPT from .*blocked using zen.dnsbl.test" 30 2
sleep 1
lab_capture_stop 1
lab_stop_postfix pf
lab_keep_log pf "$NAME"
fail_keep_client "$NAME"
lab_teardown
fi

# --- 2. the recommended reply filter: the error code is ignored, the mail
# is accepted and nothing is checked (a wave of 50 sessions from 25
# clients). DNS only: the SMTP sessions would make the file too big.
if [ "${PARTS#* filtered }" != "$PARTS" ]; then
NAME=lab-dnsbl-filtered
dnsbl_lab pf2 "reject_rbl_client zen.dnsbl.test=127.0.0.[2..11]"
for i in $(seq 100 124); do ip -n "$NS_MX" addr add "10.53.0.$i/24" dev eth0; done
fail_capture_start_filter "$NAME" "udp port 53 or icmp"
for i in $(seq 100 124); do
    ip -n "$NS_MX" route replace "$SND4/32" dev eth0 src "10.53.0.$i"
    { echo "\$ smtp-source -s 2 -m 2 -M client$i.lab.test -f sender@example.test -t user@sender.lab.test $SND4:25  # from 10.53.0.$i"
      ns_exec "$NS_MX" smtp-source -s 2 -m 2 -M "client$i.lab.test" -f sender@example.test \
          -t user@sender.lab.test "$SND4:25" 2>&1; echo "exit status $?"; } >>"$RUN/client.log" 2>&1 || true
done
lab_wait_log pf2 "postfix/discard.*to=<user@sender.lab.test>.*status=sent" 60 50
lab_capture_stop 1
lab_stop_postfix pf2
lab_keep_log pf2 "$NAME"
fail_keep_client "$NAME"
fi
lab_finish
