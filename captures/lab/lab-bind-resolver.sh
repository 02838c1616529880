#!/bin/bash
# lab-bind-resolver.sh: record captures/lab-res-bind.pcap: BIND 9 named
# (Debian 12 bind9 9.18, unpacked, not installed) as the sender's recursive
# resolver, the lab NSD/dnsdist as authoritative, dig and getent as clients
# (resolvers-lib.sh: res_setup_auth, res_scenarios). named validates with
# dnssec-bogus.test's key as its only trust anchor and refuses 10.53.0.11.
# Logs: captures/lab/logs/lab-res-bind.{client.log,named.log}.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/fail-lib.sh"
. "$(dirname "$0")/resolvers-lib.sh"
NAME=lab-res-bind
lab_init "$NAME"
lab_setup
res_setup_auth
res_start_named
lab_resolvers "$RES4"
res_capture_start "$NAME"
res_scenarios
res_capture_stop 2
res_keep "$NAME" "$RUN/named/named.log"
lab_finish
