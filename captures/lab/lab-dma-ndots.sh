#!/bin/bash
# lab-dma-ndots.sh: dma (the DragonFly Mail Agent, Debian 12's dma
# 0.13-1+b1, as in lab-dma-aaaa.sh) with the resolv.conf a Kubernetes pod
# gets:
#
#   search mail.svc.cluster.local svc.cluster.local cluster.local
#   nameserver 10.53.0.53
#   options ndots:5
#
# A name with fewer than 5 dots is tried by glibc's res_search() (dma's MX
# lookup) and getaddrinfo() (dma's exchange lookups) WITH each search
# suffix first, and only then as given. The lab DNS has no cluster.local:
# unbound asks the lab root (NSD), which answers NXDOMAIN for every
# *.cluster.local name (SOA of the root "."), as a cluster's CoreDNS answers
# NXDOMAIN for a name it does not know. So every suffixed query is NXDOMAIN
# and glibc goes on to the next suffix, then to the name as given. After
# each capture the client log shows what the resolver answers for the
# suffixed names (dig, not captured).
#
# Resolver arrangement of lab-dma-aaaa.sh: dnsdist on 10.53.0.53 answers
# SERVFAIL to AAAA for mx.broken-aaaa.test (exactly that name: the suffixed
# names pass to unbound) and passes everything else to unbound.
#
# captures/lab-dma-ndots-healthy.pcap: user@example.test (MX 10 mx1, 20
#   mx2, both with A and AAAA), delivered.
# captures/lab-dma-ndots-nxdomain.pcap: user@nonexistent.test (NXDOMAIN).
# captures/lab-dma-ndots-aaaa.pcap: user@broken-aaaa.test (MX
#   mx.broken-aaaa.test: A 10.53.0.25, AAAA SERVFAIL).
# Logs: captures/lab/logs/<capture>.log (dma's syslog lines), .client.log
# (the submission, mailq, the bounce if any, the resolv.conf dma saw, and
# after the capture getaddrinfo() with dma's hints and dig of the suffixed
# names).
#
# Trials (captures not committed): MXLAB_DMA_CASES picks the cases (default
# "healthy nxdomain aaaa"); MXLAB_DMA_NAME, the capture prefix (default
# lab-dma-ndots); the dma-lib.sh settings (MXLAB_DMA_ROOT, ...).
# Takes /tmp/mxlab.lock itself or inherits it from record-all.sh. About 20 s.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/mta-lib.sh"
. "$(dirname "$0")/dma-lib.sh"
lab_lock
NAME=${MXLAB_DMA_NAME:-lab-dma-ndots}
DMA_CASES=${MXLAB_DMA_CASES:-healthy nxdomain aaaa}
SEARCH="mail.svc.cluster.local svc.cluster.local cluster.local"

# ndots_resolv: the sender's resolv.conf as a pod gets it (rewritten in
# place, like lab_resolvers; lab_dma_run binds it on dma's /etc/resolv.conf).
ndots_resolv() {
    local f=/etc/netns/$NS_SND/resolv.conf
    { printf '# mxsniff lab: sender resolv.conf (%s), as in a Kubernetes pod\n' "$LAB_NAME"
      printf 'search %s\n' "$SEARCH"
      printf 'nameserver %s\n' "$RES4"
      printf 'options ndots:5\n'; } > "$f.tmp"
    cat "$f.tmp" > "$f"; rm -f "$f.tmp"
    sed 's/^/    resolv.conf: /' "$f" >&2
}

# dma_case_after INST CAPTURE (called by dma_case after the capture): the
# resolv.conf dma saw, and what the lab resolver answers for the recipient
# domain with each search suffix and for the suffixes themselves (dig asks
# the nameserver of that resolv.conf; no search list: dig has +nosearch by
# default). Not captured.
DMA_DOMAIN=
dma_case_after() {
    local inst=$1 s
    lab_dma_cmd "$inst" "cat /etc/resolv.conf  (dma's view)" cat /etc/resolv.conf
    for s in $SEARCH; do
        lab_dma_cmd "$inst" "dig MX $DMA_DOMAIN.$s  [not captured]" \
            dig +noall +comments +authority MX "$DMA_DOMAIN.$s"
    done
    lab_dma_cmd "$inst" "dig SOA cluster.local  [not captured]" \
        dig +noall +comments +answer +authority SOA cluster.local
}

lab_init "$NAME"
lab_setup
lab_start_nsd
lab_start_unbound "127.0.0.1@5300"
lab_start_dnsdist "$TPL/dnsdist-aaaa-servfail.conf.in"
lab_start_sinks
ndots_resolv

for c in $DMA_CASES; do
    case $c in
    healthy)  DMA_DOMAIN=example.test
              dma_case dkh "$NAME-healthy"  user@example.test mx1.example.test;;
    nxdomain) DMA_DOMAIN=nonexistent.test
              dma_case dkn "$NAME-nxdomain" user@nonexistent.test nonexistent.test;;
    aaaa)     DMA_DOMAIN=broken-aaaa.test
              dma_case dka "$NAME-aaaa"     user@broken-aaaa.test mx.broken-aaaa.test;;
    *) die "unknown case $c";;
    esac
done
lab_finish
