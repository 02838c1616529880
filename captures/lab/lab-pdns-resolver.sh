#!/bin/bash
# lab-pdns-resolver.sh: record captures/lab-res-pdns.pcap: PowerDNS Recursor
# (Debian 12 pdns-recursor 4.8, unpacked, not installed; EDE switched on)
# as the sender's resolver, the lab NSD/dnsdist as authoritative, dig and
# getent as clients (resolvers-lib.sh: res_setup_auth, res_scenarios; the
# resolver has dnssec-bogus.test's key as its only trust anchor and does not
# serve 10.53.0.11).
# Logs: captures/lab/logs/lab-res-pdns.client.log (+ the resolver's log).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/fail-lib.sh"
. "$(dirname "$0")/resolvers-lib.sh"
NAME=lab-res-pdns
lab_init "$NAME"
lab_setup
res_setup_auth
res_start_pdns
lab_resolvers "$RES4"
res_capture_start "$NAME"
res_scenarios
res_capture_stop 2
res_keep "$NAME" "$RUN/pdns/stderr"
lab_finish
