#!/bin/bash
# lab-forwarder.sh: record captures/lab-forwarder.pcap: a mail host whose
# MTA asks a local stub forwarder, captured on every interface (-i any), so
# both legs of each question are in the file.
#
# The sender namespace runs dnsmasq 2.90 (Debian 12 dnsmasq-base, unpacked,
# not installed; templates/dnsmasq-stub.conf.in) on 127.0.0.53, as
# systemd-resolved's stub listens on a stock Debian/Ubuntu host; its
# resolv.conf names only 127.0.0.53. dnsmasq forwards each question (RD=1,
# from 10.53.0.10, its own query ID and port) to the lab resolver
# 10.53.0.53: dnsdist in front of unbound, answering SERVFAIL to AAAA
# mx.broken-aaaa.test as in lab-aaaa-servfail.sh.
#
# Postfix (inet_protocols=all) sends to user@broken-aaaa.test: MX, A, AAAA
# over lo to 127.0.0.53; dnsmasq asks 10.53.0.53 over eth0 for every
# question it has not cached (it does not cache SERVFAIL, so each AAAA goes
# upstream). Postfix delivers over IPv4. Then getent ahosts on the same
# host: A from dnsmasq's cache, AAAA forwarded again.
# The capture is Linux cooked (SLL2), and a -i any capture sees every
# loopback packet twice (out and in).
# Logs: captures/lab/logs/lab-forwarder.log (Postfix), .stub.log (dnsmasq's
# query log: which question it forwarded, which it answered from cache).
#
# captures/lab-forwarder-unbound.pcap: the same with unbound 1.17 as the
# stub (templates/unbound-stub.conf.in: forward-zone "." to 10.53.0.53,
# caching, no validation) and a second Postfix instance. Logs:
# lab-forwarder-unbound.log, .stub.log (unbound's query and reply log).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/fail-lib.sh"
. "$(dirname "$0")/resolvers-lib.sh"
NAME=lab-forwarder
RCPT=user@broken-aaaa.test
STUB=127.0.0.53
lab_init "$NAME"
lab_setup
lab_start_nsd
lab_start_unbound "127.0.0.1@5300"
lab_start_dnsdist "$TPL/dnsdist-aaaa-servfail.conf.in"
lab_start_sinks

res_tree dnsmasq usr/sbin/dnsmasq dnsmasq-base
mkdir -p "$RUN/stub"
subst "$TPL/dnsmasq-stub.conf.in" "$RUN/stub/dnsmasq.conf"
ip netns exec "$NS_SND" "$RES_TREE/usr/sbin/dnsmasq" --conf-file="$RUN/stub/dnsmasq.conf" \
    >"$RUN/stub/stderr" 2>&1 </dev/null &
wait_for "dnsmasq stub" 20 dns_ok "$NS_SND" "$STUB" 53 example.test SOA
log "dnsmasq stub up on $STUB in $NS_SND"
lab_resolvers "$STUB"

# stub_delivery INST CAPTURE STUBLOG: a Postfix instance sends one message
# through the stub, then getent asks the exchange; capture on every
# interface of the sender namespace; logs kept as CAPTURE.{log,client.log,
# stub.log}.
stub_delivery() {
    local inst=$1 cap=$2 stublog=$3
    : >"$RUN/client.log"
    lab_start_postfix "$inst" all
    lab_capture_start "$cap" any
    lab_send "$inst" sender@sender.lab.test "$RCPT" "$cap"
    lab_wait_log "$inst" "to=<$RCPT>.*status=sent" 60
    sleep 2
    { echo "\$ getent ahosts mx.broken-aaaa.test"; ns_exec "$NS_SND" getent ahosts mx.broken-aaaa.test; } \
        >>"$RUN/client.log" 2>&1 || true
    lab_capture_stop
    lab_stop_postfix "$inst"
    lab_keep_log "$inst" "$cap"
    cp "$RUN/client.log" "$LAB_DIR/logs/$cap.client.log"
    cp "$stublog" "$LAB_DIR/logs/$cap.stub.log"
}

stub_delivery pf "$NAME" "$RUN/stub/dnsmasq.log"

# --- 2. the same with unbound as the stub (forward-zone "." to 10.53.0.53)
stop_pid "$(cat "$RUN/stub/dnsmasq.pid")"
wait_for "dnsmasq stub gone" 10 sh -c "! ip netns exec $NS_SND ss -lunH | grep -q '$STUB:53 '"
mkdir -p "$RUN/stub-unbound"
subst "$TPL/unbound-stub.conf.in" "$RUN/stub-unbound/unbound.conf"
unbound-checkconf "$RUN/stub-unbound/unbound.conf" >/dev/null || die "unbound-stub.conf invalid"
ip netns exec "$NS_SND" unbound -d -c "$RUN/stub-unbound/unbound.conf" >"$RUN/stub-unbound/stderr" 2>&1 &
wait_for "unbound stub" 20 dns_ok "$NS_SND" "$STUB" 53 example.test SOA
log "unbound stub up on $STUB in $NS_SND"
stub_delivery pf2 "$NAME-unbound" "$RUN/stub-unbound/unbound.log"
lab_finish
