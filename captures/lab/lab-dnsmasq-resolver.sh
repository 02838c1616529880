#!/bin/bash
# lab-dnsmasq-resolver.sh: record captures/lab-res-dnsmasq.pcap: dnsmasq (Debian 12
# dnsmasq-base 2.90, unpacked, not installed), a forwarder to a validating
# unbound on 127.0.0.1:5300,
# as the sender's resolver, the lab NSD/dnsdist as authoritative, dig and
# getent as clients (resolvers-lib.sh: res_setup_auth, res_scenarios; the
# resolver has dnssec-bogus.test's key as its only trust anchor and does not
# serve 10.53.0.11).
# Logs: captures/lab/logs/lab-res-dnsmasq.client.log (+ the resolver's log).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/fail-lib.sh"
. "$(dirname "$0")/resolvers-lib.sh"
NAME=lab-res-dnsmasq
lab_init "$NAME"
lab_setup
res_setup_auth
res_start_dnsmasq
lab_resolvers "$RES4"
res_capture_start "$NAME"
res_scenarios
res_capture_stop 2
res_keep "$NAME" "$RUN/dnsmasq/dnsmasq.log" "$RUN/unbound/unbound.log"
lab_finish
