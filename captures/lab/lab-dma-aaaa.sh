#!/bin/bash
# lab-dma-aaaa.sh: the DragonFly Mail Agent (Debian 12's dma 0.13-1+b1,
# unpacked from the .deb, never installed) as the sender. Without a
# SMARTHOST dma delivers to the recipient's MX itself (dns.c): glibc
# res_search() for the MX, then getaddrinfo(AF_UNSPEC) for every exchange
# before the first connection. Resolver arrangement of lab-aaaa-servfail.sh:
# dnsdist on 10.53.0.53 answers SERVFAIL to AAAA for mx.broken-aaaa.test
# and mx6.broken-aaaa.test and passes everything else to unbound. Each
# capture: a fresh spool, one message submitted with dma's sendmail(8)
# interface; dma queues it and forks a delivery process.
#
# captures/lab-dma-aaaa.pcap: the seed case (P1/P2),
#   user@broken-aaaa.test (MX mx.broken-aaaa.test: A 10.53.0.25, AAAA SERVFAIL).
# captures/lab-dma-aaaa-noa.pcap: user@v6mx.broken-aaaa.test (MX
#   mx6.broken-aaaa.test: AAAA SERVFAIL, no A record: A NODATA).
# captures/lab-dma-nxdomain.pcap: user@nonexistent.test (NXDOMAIN).
# captures/lab-dma-healthy.pcap: user@example.test, healthy: MX 10 mx1, 20 mx2
#   (both with A and AAAA), smtp-sink on all four addresses.
# Logs: captures/lab/logs/<capture>.log (dma's syslog lines), .client.log
# (the submission, mailq listings, the bounce if one was delivered to the
# sender's local mailbox, and, after the capture, what getaddrinfo()
# returns for the exchange with dma's hints).
#
# Retries: a deferred message stays with its delivery process, which
# sleeps in 30 s steps (dma.c deliver(): MIN_RETRY 300 s, then 1.5-2.5
# times the last wait, up to 3 h; bounce after 5 days) and retries at the
# next step after "dma -q" touched the spool's flush file (Debian's
# /etc/cron.d/dma runs "dma -q" every five minutes). If a case defers, the
# script runs "dma -q" FLUSH (default 65) seconds after the deferral, so
# the retry comes at the 90 s step, and stops after ATTEMPTS (default 3)
# attempts or a final result. None of the four cases defers with dma 0.13
# (it delivers or bounces at once), so the four captures take about 20 s.
#
# Installation: "apt-get download dma", "dpkg-deb -x" into DMA_ROOT
# (default /var/tmp/mxlab-dma), only when missing; no maintainer script
# runs. dma's paths are compiled in (/etc/dma/dma.conf, /etc/aliases,
# /var/spool/dma, /var/mail, /usr/lib/dma/dma-mbox-create), so every dma
# command runs in a private mount namespace (lab_dma_run): nothing is
# written to the host's /etc, /usr or /var.
#
# Trials (captures not committed): MXLAB_DMA_CASES picks the cases (default
# "aaaa aaaa-noa nxdomain healthy"; "deferred" points resolv.conf at the
# dropping 10.53.0.55 so that dma defers); MXLAB_DMA_FLUSH=0 forces no
# retry (dma's own backoff: the second attempt 300 s after the deferral);
# MXLAB_DMA_ATTEMPTS; MXLAB_DMA_HOSTNAME (default sender.lab.test, whose
# domain glibc takes as its search list); MXLAB_DMA_NAME, the capture
# prefix (so that a trial does not replace the committed captures).
#
# The functions (lab_dma_tree, lab_dma_conf, lab_dma_run, lab_start_dma,
# lab_dma_send, lab_dma_gai, dma_case, ...) are in dma-lib.sh, shared with
# lab-dma-ndots.sh.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/mta-lib.sh"
. "$(dirname "$0")/dma-lib.sh"
lab_lock
NAME=${MXLAB_DMA_NAME:-lab-dma}
DMA_CASES=${MXLAB_DMA_CASES:-aaaa aaaa-noa nxdomain healthy}

lab_init "$NAME"
lab_setup
lab_start_nsd
lab_start_unbound "127.0.0.1@5300"
lab_start_dnsdist "$TPL/dnsdist-aaaa-servfail.conf.in"
lab_start_sinks
lab_resolvers "$RES4"

for c in $DMA_CASES; do
    case $c in
    aaaa)     dma_case dm  "$NAME-aaaa"     user@broken-aaaa.test mx.broken-aaaa.test;;
    aaaa-noa) dma_case dm6 "$NAME-aaaa-noa" user@v6mx.broken-aaaa.test mx6.broken-aaaa.test;;
    nxdomain) dma_case dmn "$NAME-nxdomain" user@nonexistent.test nonexistent.test;;
    healthy)  dma_case dmh "$NAME-healthy"  user@example.test mx1.example.test;;
    # Trial only (no committed capture): none of the four cases above
    # defers, so this shows dma's own retries. resolv.conf points at
    # 10.53.0.55, whose port 53 is dropped: the MX lookup times out
    # (TRY_AGAIN) and dma defers.
    deferred) lab_resolvers "$DROP4"
              dma_case dmd "$NAME-deferred" user@example.test
              lab_resolvers "$RES4";;
    *) die "unknown case $c";;
    esac
done
lab_finish
