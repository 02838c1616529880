#!/bin/bash
# lab-mx-target.sh: record captures/lab-mx-target.pcap, MX exchanges that are
# not a plain host name with a usable address (PATTERNS.md P7 and P8).
#
# A real Postfix (inet_protocols=all, smtp_address_preference=ipv4) sends one
# message to each recipient domain below, one after the other, each after
# the previous one has been delivered, bounced or deferred. All domains are
# names in the zone mxt.test (templates/zones/mxt.test.zone); no exchange
# name is shared between two domains, so each lookup belongs to one chain.
#   a. cname.mxt.test     MX 10 alias.cname.mxt.test, which is a CNAME for
#                         host.cname.mxt.test (A 10.53.0.25, the sink).
#   b. deadalias.mxt.test MX 10 alias.deadalias.mxt.test, a CNAME for a name
#                         that does not exist (NXDOMAIN after the CNAME).
#   c. literal.mxt.test   MX 10 10.53.0.26. (an "IP address" as exchange).
#   d. loop.mxt.test      MX 10 mx.loop.mxt.test, A 127.0.0.1.
#   e. zero.mxt.test      MX 10 mx.zero.mxt.test, A 0.0.0.0.
# dig first asks MX and A of the CNAME exchange (EDNS). The Postfix log
# (captures/lab/logs/lab-mx-target.log) shows what Postfix does with each.
. "$(dirname "$0")/lib.sh"
NAME=lab-mx-target
lab_init "$NAME"
lab_setup
lab_start_nsd
lab_start_unbound "$RES4 $RES6"
lab_start_sinks
lab_resolvers "$RES4"
lab_start_postfix pf all "smtp_address_preference = ipv4"

lab_capture_start "$NAME"
lab_dig MX cname.mxt.test
lab_dig A alias.cname.mxt.test
sleep 1
for d in cname deadalias literal loop zero; do
    rcpt=user@$d.mxt.test
    lab_send pf sender@sender.lab.test "$rcpt" "lab mx target $d"
    lab_wait_log pf "to=<$rcpt>.*status=" 60
    sleep 1
done
sleep 1
lab_capture_stop
lab_stop_postfix pf
lab_keep_log pf "$NAME"
cp "$RUN/client.log" "$LAB_DIR/logs/$NAME.client.log"
lab_finish
