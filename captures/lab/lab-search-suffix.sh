#!/bin/bash
# lab-search-suffix.sh: the resolver library's search list appended to mail
# names (PATTERNS.md P20 SEARCH_SUFFIX_EXPANSION), two captures.
#
# Postfix with "smtp_dns_resolver_options = res_defnames, res_dnsrch" makes
# its lookups with res_search(), so glibc applies the resolv.conf search
# list: a name with at least ndots dots is asked as is first and, when that
# gives NXDOMAIN or NODATA, again with each search domain appended; a name
# with fewer dots gets the search domains first.
#
# captures/lab-search-suffix.pcap: resolv.conf "search lab.test" (default
#   ndots 1). Postfix delivers to user@nomx.test and user@v4only.test. The
#   failing questions are repeated with ".lab.test" appended: MX nomx.test
#   (NODATA) -> MX nomx.test.lab.test (NXDOMAIN); AAAA nomx.test (NODATA)
#   -> AAAA nomx.test.lab.test; AAAA mx.v4only.test (NODATA) -> AAAA
#   mx.v4only.test.lab.test. lab.test has no wildcard: all NXDOMAIN, mail
#   flows (two names with the same suffix).
# captures/lab-search-suffix-wildcard.pcap: resolv.conf "search wild.test"
#   and "options ndots:5" (as in Kubernetes pods); wild.test has a wildcard
#   "* A 10.53.0.26". Postfix (inet_protocols=ipv4) delivers to
#   user@example.test: MX example.test.wild.test (NODATA: the wildcard has
#   no MX) -> MX example.test (mx1, mx2); A mx1.example.test.wild.test is
#   answered by the wildcard with 10.53.0.26, so Postfix delivers the
#   message for mx1.example.test (10.53.0.25) to 10.53.0.26: the wrong host.
# Logs: captures/lab/logs/lab-search-suffix{,-wildcard}.log.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/diag-lib.sh"
NAME=lab-search-suffix
lab_init "$NAME"
lab_setup
lab_start_nsd
lab_start_unbound "$RES4"
lab_start_sinks
SEARCH_OPTS="smtp_dns_resolver_options = res_defnames, res_dnsrch"

# --- 1. search lab.test, default ndots: suffix only after a failure.
lab_resolvers "$RES4"
diag_resolv_append "search lab.test"
lab_start_postfix pf all "smtp_address_preference = ipv4" "$SEARCH_OPTS"
lab_capture_start "$NAME"
lab_send pf sender@sender.lab.test user@nomx.test "lab search-suffix 1"
lab_wait_log pf "to=<user@nomx.test>.*status=(sent|deferred|bounced)" 30
lab_send pf sender@sender.lab.test user@v4only.test "lab search-suffix 2"
lab_wait_log pf "to=<user@v4only.test>.*status=(sent|deferred|bounced)" 30
sleep 1
lab_capture_stop
lab_stop_postfix pf
lab_keep_log pf "$NAME"

# --- 2. search wild.test (wildcard A), ndots:5: every name gets the suffix
# first; the wildcard answers the exchanges' A questions.
lab_resolvers "$RES4"
diag_resolv_append "search wild.test" "options ndots:5"
lab_start_postfix pfw ipv4 "$SEARCH_OPTS"
lab_capture_start "$NAME-wildcard"
lab_send pfw sender@sender.lab.test user@example.test "lab search-suffix wildcard"
lab_wait_log pfw "to=<user@example.test>.*status=(sent|deferred|bounced)" 30
sleep 1
lab_capture_stop
lab_stop_postfix pfw
lab_keep_log pfw "$NAME-wildcard"
lab_finish
