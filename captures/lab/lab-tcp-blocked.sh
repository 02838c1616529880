#!/bin/bash
# lab-tcp-blocked.sh: record captures/lab-tcp-blocked.pcap, truncation
# whose TCP retry fails (PATTERNS.md P14, the broken case of lab-tcp.sh).
#
# Same zones as lab-tcp.sh (big.test: 12 long MX RRs, ~900 bytes, and a
# ~2.2 KB TXT RRset), unbound on 10.53.0.53, but an iptables rule in mxl-res
# answers every TCP SYN to 10.53.0.53:53 with a RST (REJECT --reject-with
# tcp-reset), as a firewall that lets only UDP/53 through does. In the
# sender namespace:
#   1. dig +tries=1 TXT big.test (EDNS 1232): UDP answer TC=1, the TCP
#      retry is refused, dig gives up;
#   2. a real Postfix sends to user@big.test: glibc's MX query (no EDNS,
#      512 bytes) gets TC=1, the TCP retry is reset, glibc tries again
#      (attempts:2) with the same result and returns TRY_AGAIN; Postfix
#      defers (dsn=4.4.3, Name service error ... type=MX ... try again).
# Log: captures/lab/logs/lab-tcp-blocked.log.
. "$(dirname "$0")/lib.sh"
NAME=lab-tcp-blocked
RCPT=user@big.test
lab_init "$NAME"
lab_setup
lab_start_nsd
lab_start_unbound "$RES4 $RES6"
ns_exec "$NS_RES" iptables -A INPUT -d "$RES4" -p tcp --dport 53 \
    -j REJECT --reject-with tcp-reset
ns_exec "$NS_RES" ip6tables -A INPUT -d "$RES6" -p tcp --dport 53 \
    -j REJECT --reject-with tcp-reset
log "TCP to $RES4:53 and [$RES6]:53 is reset"
lab_start_sinks
lab_resolvers "$RES4"
lab_start_postfix pf all "smtp_address_preference = ipv4"

lab_capture_start "$NAME"
lab_dig +tries=1 TXT big.test
sleep 1
lab_send pf sender@sender.lab.test "$RCPT" "lab tcp blocked"
lab_wait_log pf "to=<$RCPT>.*status=deferred" 60
sleep 1
lab_capture_stop
lab_stop_postfix pf
lab_keep_log pf "$NAME"
cp "$RUN/client.log" "$LAB_DIR/logs/$NAME.client.log"
lab_finish
