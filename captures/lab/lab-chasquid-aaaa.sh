#!/bin/bash
# lab-chasquid-aaaa.sh: chasquid (Debian 12's chasquid 1.11-2+b2, a Go
# program: Go 1.19's own DNS resolver, not glibc's) as the sender, unpacked
# from the .deb, never installed (chasquid-lib.sh). chasquid has no
# smarthost: its SMTP courier looks up the recipient domain's MX (Go
# net.LookupMX), fetches the domain's MTA-STS policy (TXT
# _mta-sts.<domain> first), and dials each exchange by name
# (net.DialTimeout: Go looks up A and AAAA in parallel). Resolver
# arrangement of lab-aaaa-servfail.sh: dnsdist on 10.53.0.53 answers
# SERVFAIL to AAAA for mx.broken-aaaa.test and mx6.broken-aaaa.test and
# passes everything else to unbound. Each capture: a fresh chasquid (no
# queue, no STS cache), one message submitted over SMTP submission (TLS,
# AUTH as sender@sender.lab.test, on the sender's loopback); if the attempt
# fails temporarily the capture waits for chasquid's own retry (1 min plus
# up to 1 min jitter), MXLAB_CQ_ATTEMPTS (default 2) attempts in all.
#
# captures/lab-chasquid-aaaa.pcap: the seed case (P1/P2),
#   user@broken-aaaa.test (MX mx.broken-aaaa.test: A 10.53.0.25, AAAA SERVFAIL).
# captures/lab-chasquid-aaaa-noa.pcap: user@v6mx.broken-aaaa.test (MX
#   mx6.broken-aaaa.test: AAAA SERVFAIL, no A record: A NODATA).
# captures/lab-chasquid-nxdomain.pcap: user@nonexistent.test (NXDOMAIN).
# captures/lab-chasquid-healthy.pcap: user@example.test, healthy: MX 10 mx1,
#   20 mx2 (both with A and AAAA), smtp-sink on all four addresses.
# captures/lab-chasquid-deferred.pcap: user@example.test with resolv.conf
#   pointing at 10.53.0.55, whose port 53 is dropped (Go's timeouts and
#   attempts, chasquid's deferral and first retry).
# Logs: captures/lab/logs/<capture>.log (chasquid's mail log),
# <capture>.chasquid.log (its daemon log with -v 1: the courier's errors),
# <capture>.client.log (the submission, the bounce if one was delivered).
#
# MXLAB_CQ_CASES picks the cases (default "aaaa aaaa-noa nxdomain healthy
# deferred"); MXLAB_CQ_NAME is the capture prefix (default lab-chasquid),
# so that a trial does not replace the committed captures.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/mta-lib.sh"
. "$(dirname "$0")/chasquid-lib.sh"
lab_lock
NAME=${MXLAB_CQ_NAME:-lab-chasquid}
CQ_CASES=${MXLAB_CQ_CASES:-aaaa aaaa-noa nxdomain healthy deferred}

lab_init "$NAME"
lab_setup
lab_start_nsd
lab_start_unbound "127.0.0.1@5300"
lab_start_dnsdist "$TPL/dnsdist-aaaa-servfail.conf.in"
lab_start_sinks
lab_resolvers "$RES4"

for c in $CQ_CASES; do
    case $c in
    aaaa)     cq_case cq  "$NAME-aaaa"     user@broken-aaaa.test;;
    aaaa-noa) cq_case cq6 "$NAME-aaaa-noa" user@v6mx.broken-aaaa.test;;
    nxdomain) cq_case cqn "$NAME-nxdomain" user@nonexistent.test;;
    healthy)  cq_case cqh "$NAME-healthy"  user@example.test;;
    deferred) lab_resolvers "$DROP4"
              cq_case cqd "$NAME-deferred" user@example.test
              lab_resolvers "$RES4";;
    *) die "unknown case $c";;
    esac
done
lab_finish
