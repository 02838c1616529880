#!/bin/bash
# lab-mx-names.sh: record captures/lab-mx-names.pcap, three answers about MX
# names that a mail sender must read correctly.
#
# A real Postfix (inet_protocols=all, smtp_address_preference=ipv4) sends one
# message to each domain below, one after the other:
#   a. user@nullmx.test: the only MX is "0 ." (RFC 7505 null MX). Postfix
#      bounces at once, 5.1.0 "does not accept mail (nullMX)".
#   b. user@nomx.test: MX gets NOERROR/NODATA; nomx.test has an A record
#      (10.53.0.25, the smtp-sink) and no AAAA, so Postfix uses the domain as
#      its implicit MX (RFC 5321 §5.1) and delivers (status=sent).
#   c. user@dangling.test: MX 10 mx.dangling.test, a name that does not
#      exist (A and AAAA NXDOMAIN). Postfix bounces 5.4.4.
# Bounces go to the local sender and are discarded. dig MX of each domain
# first shows the same answers with EDNS. Zones: templates/zones/{nullmx,
# nomx,dangling}.test.zone. Postfix log: captures/lab/logs/lab-mx-names.log;
# dig output: captures/lab/logs/lab-mx-names.client.log.
. "$(dirname "$0")/lib.sh"
NAME=lab-mx-names
lab_init "$NAME"
lab_setup
lab_start_nsd
lab_start_unbound "$RES4 $RES6"
lab_start_sinks
lab_resolvers "$RES4"
lab_start_postfix pf all "smtp_address_preference = ipv4"

lab_capture_start "$NAME"
for d in nullmx.test nomx.test dangling.test; do
    lab_dig MX "$d"
done
sleep 1

# a. null MX: immediate bounce.
lab_send pf sender@sender.lab.test user@nullmx.test "lab null mx"
lab_wait_log pf 'to=<user@nullmx.test>.*status=bounced' 60
sleep 1
# b. no MX, A record: implicit MX, delivered to the sink.
lab_send pf sender@sender.lab.test user@nomx.test "lab implicit mx"
lab_wait_log pf 'to=<user@nomx.test>.*status=sent' 60
sleep 1
# c. MX target without addresses: bounce.
lab_send pf sender@sender.lab.test user@dangling.test "lab dangling mx"
lab_wait_log pf 'to=<user@dangling.test>.*status=bounced' 60
lab_wait_log pf "sender non-delivery notification" 20 2
sleep 1

lab_capture_stop
lab_stop_postfix pf
lab_keep_log pf "$NAME"
cp "$RUN/client.log" "$LAB_DIR/logs/$NAME.client.log"
lab_finish
