#!/bin/bash
# lab-kresd-resolver.sh: record captures/lab-res-kresd.pcap: Knot Resolver kresd
# (Debian 12 knot-resolver 5.6, unpacked with its libknot13 etc., not installed)
# as the sender's resolver, the lab NSD/dnsdist as authoritative, dig and
# getent as clients (resolvers-lib.sh: res_setup_auth, res_scenarios; the
# resolver has dnssec-bogus.test's key as its only trust anchor and does not
# serve 10.53.0.11).
# Logs: captures/lab/logs/lab-res-kresd.client.log (+ the resolver's log).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/fail-lib.sh"
. "$(dirname "$0")/resolvers-lib.sh"
NAME=lab-res-kresd
lab_init "$NAME"
lab_setup
res_setup_auth
res_start_kresd
lab_resolvers "$RES4"
res_capture_start "$NAME"
res_scenarios
res_capture_stop 2
res_keep "$NAME" "$RUN/kresd/stderr"
lab_finish
