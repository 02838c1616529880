#!/bin/bash
# record-all.sh: re-record every lab capture (captures/lab-*.pcap), the
# Postfix logs (captures/lab/logs/) and print a summary. Run as root on
# Debian 12 with unbound, nsd, dnsdist, postfix, tcpdump, bind9-dnsutils and
# iproute2/iptables installed, and node >= 20 with npm for lab-haraka-aaaa.sh
# (its first run installs Haraka from the npm registry into
# /var/tmp/mxlab-haraka); lab-courier-aaaa.sh fetches Courier's .debs with
# apt-get download into /var/tmp/mxlab-courier on its first run and needs
# overlayfs, as lab-dma-aaaa.sh, lab-dma-ndots.sh and lab-nullmailer-relay.sh
# do (their .debs into /var/tmp/mxlab-dma and /var/tmp/mxlab-nullmailer); lab-dane*.sh need
# ldnsutils and openssl; lab-query-volume.sh needs dnsperf; lab-wire-variety.sh
# needs knot-dnsutils, ldnsutils and python3-dnspython; lab-musl.sh needs
# musl-tools and musl-dev (musl-gcc); lab-qmail.sh needs gcc and fetches
# bind9's .deb into /var/tmp/mxlab-bind on its first run; lab-inbound.sh
# needs swaks and libio-socket-inet6-perl (swaks over IPv6). Takes about half
# an hour (many scenarios force a retry 65 s after a deferral, some twice).
# Not run by CI: the captures are committed. Scenarios run one at a time
# (they share the mxl-* namespaces); a lock refuses a second concurrent run.
set -euo pipefail
LAB_DIR=$(cd "$(dirname "$0")" && pwd)
exec 9>/tmp/mxlab.lock
flock -n 9 || { echo "record-all: another lab run holds /tmp/mxlab.lock" >&2; exit 1; }
SCRIPTS="lab-healthy.sh lab-aaaa-servfail.sh lab-nxdomain.sh lab-refused.sh
         lab-bind-resolver.sh
         lab-kresd-resolver.sh
         lab-pdns-resolver.sh
         lab-dnsmasq-resolver.sh
         lab-forwarder.sh
         lab-forwarder-resolved.sh
         lab-relayhost.sh lab-smarthost.sh lab-nullmailer-relay.sh
         lab-dead-resolver.sh lab-tcp.sh lab-mx-names.sh lab-slow-resolver.sh
         lab-tcp-blocked.sh
         lab-mx-target.sh lab-disagree.sh lab-edns-formerr.sh
         lab-stale.sh lab-dns64.sh lab-auth-aaaa.sh lab-unmatched.sh lab-search-suffix.sh
         lab-sendmail-aaaa.sh lab-exim-aaaa.sh lab-aaaa-rcode.sh lab-opensmtpd-aaaa.sh
         lab-haraka-aaaa.sh lab-courier-aaaa.sh lab-dma-aaaa.sh lab-dma-ndots.sh
         lab-chasquid-aaaa.sh
         lab-musl.sh
         lab-qmail.sh
         lab-inbound.sh
         lab-dnssec.sh lab-servfail.sh lab-dnsbl.sh lab-query-volume.sh
         lab-ratelimit.sh
         lab-dane.sh lab-dane-exim.sh
         lab-resolv-options.sh
         lab-wire-variety.sh"
for s in $SCRIPTS; do
    echo "=== $s" >&2
    "$LAB_DIR/$s"
done
echo "=== summary" >&2
cd "$LAB_DIR/.."
for f in lab-*.pcap; do
    printf '%-36s %3d packets %7d bytes\n' "$f" \
        "$(tcpdump -nn -r "$f" 2>/dev/null | wc -l)" "$(stat -c %s "$f")"
done
