#!/bin/bash
# lab-dead-resolver.sh: three captures of unreachable resolvers (PATTERNS.md
# P10). The real unbound listens on 10.53.0.53 only; in namespace mxl-res:
#   10.53.0.54 is assigned but nothing listens on port 53 (kernel answers
#              ICMP port unreachable),
#   10.53.0.55 is assigned and iptables DROPs UDP/TCP port 53 (silence).
#
# captures/lab-dead-resolver-icmp.pcap: resolv.conf = 10.53.0.54. dig MX
#   example.test, then Postfix to user@example.test: every query answered by
#   ICMP port unreachable; glibc gives up at once (TRY_AGAIN), Postfix defers
#   4.4.3 for type=MX. The capture goes on 6 s after the last query.
# captures/lab-dead-resolver-drop.pcap: resolv.conf = 10.53.0.55. Postfix's
#   MX query is retransmitted by glibc after 5 s (same ID, new socket), then
#   Postfix defers 4.4.3 at 10 s; then glibc getaddrinfo (getent ahosts
#   mx1.example.test) sends A+AAAA, times out and retries.
# captures/lab-dead-resolver-failover.pcap: resolv.conf = 10.53.0.55 then
#   10.53.0.53. Each of Postfix's lookups waits 5 s for the dead primary and
#   is then answered by the secondary (PRIMARY_FAILOVER); mail is delivered.
# Logs: captures/lab/logs/lab-dead-resolver-{icmp,drop,failover}.log.
. "$(dirname "$0")/lib.sh"
NAME=lab-dead-resolver
RCPT=user@example.test
lab_init "$NAME"
lab_setup
lab_start_nsd
lab_start_unbound "$RES4 $RES6"
lab_start_sinks

# --- 1. nothing listens: ICMP port unreachable.
lab_resolvers "$DEAD4"
lab_start_postfix pf1 all
lab_capture_start "$NAME-icmp"
lab_dig MX example.test
sleep 1
lab_send pf1 sender@sender.lab.test "$RCPT" "lab dead resolver icmp"
lab_wait_log pf1 "to=<$RCPT>.*status=deferred" 60
# Keep recording past the 5 s answer timeout of the last query.
lab_capture_stop 6
lab_stop_postfix pf1
lab_keep_log pf1 "$NAME-icmp"
cp "$RUN/client.log" "$LAB_DIR/logs/$NAME-icmp.client.log"
: > "$RUN/client.log"

# --- 2. packets dropped: timeouts and glibc retransmissions.
lab_resolvers "$DROP4"
lab_start_postfix pf2 all
lab_capture_start "$NAME-drop"
lab_send pf2 sender@sender.lab.test "$RCPT" "lab dead resolver drop"
lab_wait_log pf2 "to=<$RCPT>.*status=deferred" 60
sleep 1
{ echo '$ getent ahosts mx1.example.test'; ns_exec "$NS_SND" timeout 60 getent ahosts mx1.example.test;
  echo "exit status $?"; } >>"$RUN/client.log" 2>&1 || true
lab_capture_stop
lab_stop_postfix pf2
lab_keep_log pf2 "$NAME-drop"
cp "$RUN/client.log" "$LAB_DIR/logs/$NAME-drop.client.log"

# --- 3. dead primary, working secondary: every lookup pays 5 s.
lab_resolvers "$DROP4" "$RES4"
lab_start_postfix pf3 all "smtp_address_preference = ipv4"
lab_capture_start "$NAME-failover"
lab_send pf3 sender@sender.lab.test "$RCPT" "lab dead resolver failover"
lab_wait_log pf3 "to=<$RCPT>.*status=sent" 120
sleep 1
lab_capture_stop
lab_stop_postfix pf3
lab_keep_log pf3 "$NAME-failover"
lab_finish
