#!/bin/bash
# lab-inbound.sh: a real Postfix as an INBOUND mail server (smtpd listening
# on 10.53.0.10 and fd53::10 port 25, smtpd_peername_lookup = yes,
# smtpd_client_restrictions = reject_unknown_client_hostname) whose reverse
# (PTR) and forward-confirming (A/AAAA of the PTR name) lookups of the
# connecting SMTP client succeed or fail. The client is swaks in its own
# namespace, mxl-cli (10.53.0.30, .31, .32, fd53::30; lab_node below);
# swaks needs IO::Socket::INET6 (libio-socket-inet6-perl) for IPv6.
# Postfix runs in mxl-snd (the capture point, as for every lab capture):
# each pcap holds the client's SMTP session with Postfix and Postfix's DNS
# with its resolver. captures/README.md, "Inbound Postfix, reverse lookups
# (lab-inbound.sh)", says what happened on the wire.
#
# Resolver: dnsdist (templates/dnsdist-inbound.conf.in) on 10.53.0.53 and
# fd53::53 in front of unbound (127.0.0.1:5300, local-zone nodefault for
# 10.in-addr.arpa and d.f.ip6.arpa), both started afresh per capture (empty
# cache). The reverse zones 0.53.10.in-addr.arpa and fd53::/64's ip6.arpa
# zone (templates/zones/) are served by the lab NSD; client.lab.test and
# client2.lab.test live in lab.test. resolv.conf: nameserver 10.53.0.53, no
# options (glibc: timeout 5, attempts 2).
#
# captures/lab-inbound-healthy.pcap       no rule; client 10.53.0.30, then
#                                         fd53::30: PTR -> client.lab.test,
#                                         A / AAAA match; one message each
# captures/lab-inbound-ptr-servfail.pcap  every PTR answered SERVFAIL by
#                                         dnsdist; client 10.53.0.30 twice,
#                                         5 s apart, then fd53::30
# captures/lab-inbound-ptr-drop.pcap      every PTR dropped by dnsdist;
#                                         client 10.53.0.30 once
# captures/lab-inbound-ptr-nxdomain.pcap  no rule; client 10.53.0.31 (no PTR
#                                         record: NXDOMAIN from NSD)
# captures/lab-inbound-fcrdns-fail.pcap   A client2.lab.test answered
#                                         SERVFAIL by dnsdist; client
#                                         10.53.0.32 (PTR client2.lab.test)
# Logs: captures/lab/logs/<capture>.log (that capture's Postfix instance's
# maillog) and <capture>.client.log (resolv.conf, the rule, versions, each
# swaks transcript with its start time and exit status, then, after the
# capture had stopped, dig checks and dnsdist's own counters). Takes
# /tmp/mxlab.lock itself unless it inherited it. About two minutes.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/mta-lib.sh"
. "$(dirname "$0")/fail-lib.sh"
lab_lock
NAME=lab-inbound
NS_CLI=$LAB_NS-cli
CLI4=10.53.0.30;  CLI6=fd53::30     # client.lab.test (forward-confirmed)
NOPTR4=10.53.0.31                   # no PTR record
FCR4=10.53.0.32                     # PTR client2.lab.test
RCPT=user@inbound.lab.test
command -v dnsdist >/dev/null 2>&1 || die "missing tool: dnsdist"
command -v swaks >/dev/null 2>&1 || die "missing tool: swaks"
perl -MIO::Socket::INET6 -e 1 2>/dev/null || die "swaks needs IO::Socket::INET6 for IPv6 (libio-socket-inet6-perl)"
lab_init "$NAME"

# The reverse zones (absolute paths: fail_start_nsd appends them).
{ printf 'zone:\n    name: "0.53.10.in-addr.arpa."\n    zonefile: "%s"\n' \
      "$ZONES/0.53.10.in-addr.arpa.zone"
  printf 'zone:\n    name: "0.0.0.0.0.0.0.0.0.0.0.0.3.5.d.f.ip6.arpa."\n    zonefile: "%s"\n' \
      "$ZONES/0.0.0.0.0.0.0.0.0.0.0.0.3.5.d.f.ip6.arpa.zone"; } > "$RUN/nsd-extra.conf"

# Postfix's main.cf: the usual lab template with smtpd listening on the
# lab addresses (not loopback-only), peer name lookups on, and its own
# host name; lab_start_postfix appends the scenario lines.
sed -e 's|^inet_interfaces = .*|inet_interfaces = 10.53.0.10, [fd53::10]|' \
    -e 's|^smtpd_peername_lookup = .*|smtpd_peername_lookup = yes|' \
    -e 's|^myhostname = .*|myhostname = inbound.lab.test|' \
    "$TPL/postfix-main.cf.in" > "$RUN/postfix-inbound-main.cf.in"
if ! grep -q '^inet_interfaces = 10.53.0.10' "$RUN/postfix-inbound-main.cf.in" \
   || ! grep -q '^smtpd_peername_lookup = yes' "$RUN/postfix-inbound-main.cf.in"; then
    die "postfix-main.cf.in changed: inet_interfaces/smtpd_peername_lookup not found"
fi
export PF_MAIN_TPL=$RUN/postfix-inbound-main.cf.in
export PF_MASTER_TPL=$TPL/postfix-inbound-master.cf.in
PF_EXTRA=("smtpd_client_restrictions = reject_unknown_client_hostname"
          "local_recipient_maps =")

# dd_console CMD: run CMD on the dnsdist console (inside mxl-res).
dd_console() {
    ip netns exec "$NS_RES" dnsdist -C "$RUN/dnsdist/dnsdist.conf" -c -e "$1" 2>&1 || true
}

smtpd_listening() {
    ns_exec "$NS_SND" sh -c "ss -ltnH | grep -c ':25 ' | grep -qx 2"
}

# client SRC DST: one SMTP session from SRC (in mxl-cli) to Postfix at DST
# with swaks, transcript into the client log.
client() {
    local src=$1 dst=$2 rc=0
    { echo "\$ swaks --server $dst --port 25 --local-interface $src --helo client.lab.test --from sender@client.lab.test --to $RCPT --timeout 60    # in $NS_CLI, $(date +%T.%N | cut -c1-12)"
      ns_exec "$NS_CLI" swaks --server "$dst" --port 25 --local-interface "$src" \
          --helo client.lab.test --from sender@client.lab.test --to "$RCPT" \
          --header "Subject: $CAP_NAME" \
          --header "Message-Id: <$CAP_NAME.$n.$RANDOM@client.lab.test>" --body "mxsniff lab message ($CAP_NAME)." \
          --timeout 60 || rc=$?
      echo "exit status $rc    ($(date +%T.%N | cut -c1-12))"; } >>"$RUN/client.log" 2>&1
    log "swaks $src -> $dst: exit $rc, last reply before QUIT: $(grep -E '^<' "$RUN/client.log" | tail -n 2 | head -n 1)"
}

# inbound_case CAPTURE INST "DNSDIST RULE" GAP SRC:DST...: one capture with
# a fresh unbound, dnsdist and Postfix instance; one SMTP session per
# SRC:DST pair (v6 pairs written SRC,DST), GAP seconds apart.
inbound_case() {
    local cap=$1 inst=$2 rule=$3 gap=$4 pair n=0
    shift 4
    lab_start_unbound "127.0.0.1@5300" 'local-zone: "10.in-addr.arpa." nodefault' \
        'local-zone: "d.f.ip6.arpa." nodefault'
    UB_PID=$!
    sed -e "s|@KEY@|$KEY|" -e "s|@RULE@|${rule:--- (no rule: every query goes to unbound)}|" \
        "$TPL/dnsdist-inbound.conf.in" > "$RUN/dnsdist-$cap.conf.in"
    lab_start_dnsdist "$RUN/dnsdist-$cap.conf.in"
    DD_PID=$!
    lab_start_postfix "$inst" all "${PF_EXTRA[@]}"
    wait_for "smtpd of $inst on port 25" 20 smtpd_listening
    : > "$RUN/client.log"
    { echo "# Postfix $(postconf -d -h mail_version) (instance $inst in $NS_SND), swaks $(swaks --version 2>/dev/null | head -n 1 | awk '{print $NF}') in $NS_CLI"
      echo "\$ postconf -c $RUN/$inst/etc inet_interfaces smtpd_peername_lookup smtpd_client_restrictions unknown_client_reject_code    # (the last one: Postfix's default)"
      ns_exec "$NS_SND" postconf -c "$RUN/$inst/etc" inet_interfaces smtpd_peername_lookup smtpd_client_restrictions unknown_client_reject_code
      echo "\$ cat /etc/resolv.conf  # in $NS_SND (Postfix)"
      cat "/etc/netns/$NS_SND/resolv.conf"
      echo "# dnsdist $(dnsdist --version 2>/dev/null | head -1 | awk '{print $2}') on $RES4, rule:"
      printf '#   %s\n' "${rule:-(none)}"
      echo "# unbound $(unbound -V 2>/dev/null | sed -n 's/^Version //p') on 127.0.0.1:5300, started for this capture (empty cache)"
      echo "# nsd $(nsd -v 2>&1 | sed -n '1s/^NSD version //p') on $AUTH4: 0.53.10.in-addr.arpa (30 PTR client.lab.test, 32 PTR client2.lab.test), fd53::/64 ip6.arpa (::30 PTR client.lab.test), lab.test (client A 10.53.0.30, AAAA fd53::30; client2 A 10.53.0.32)"
    } >>"$RUN/client.log" 2>&1
    lab_capture_start "$cap"
    for pair in "$@"; do
        [ "$n" -gt 0 ] && sleep "$gap"
        n=$((n + 1))
        case $pair in
            *,*) client "${pair%,*}" "${pair#*,}" ;;
            *)   client "${pair%:*}" "${pair#*:}" ;;
        esac
    done
    # Postfix's log lines of the last session (disconnect) and delivery.
    lab_wait_log "$inst" 'disconnect from ' 30 "$n"
    lab_capture_stop 2
    printf '\n# After the capture had stopped (not in the pcap), dig in %s:\n' "$NS_SND" >>"$RUN/client.log"
    lab_dig +time=2 +tries=1 @"$RES4" -x "$CLI4"
    case $cap in
        lab-inbound-ptr-nxdomain) lab_dig +time=2 +tries=1 @"$RES4" -x "$NOPTR4" ;;
        lab-inbound-fcrdns-fail)  lab_dig +time=2 +tries=1 @"$RES4" -x "$FCR4"
                                  lab_dig +time=2 +tries=1 @"$RES4" A client2.lab.test ;;
        *)                        lab_dig +time=2 +tries=1 @"$RES4" A client.lab.test ;;
    esac
    { printf '$ dnsdist -c -e "showRules()"\n'; dd_console 'showRules()'
      printf '$ dnsdist -c -e "dumpStats()"   # query, response and rule counters\n'
      dd_console 'dumpStats()' | tr -s ' \t' '\n' | paste - - \
          | grep -E '^(queries|responses|self-answered|rule-drop|rule-servfail|tcp-queries|frontend-noerror|frontend-nxdomain|frontend-servfail|downstream-timeouts)[[:space:]]' \
          | sort
      printf '\n# tcpdump on %s eth0:\n' "$NS_SND"
      grep -E 'packets (captured|received|dropped)' "$RUN/tcpdump-$cap.err" || true
    } >>"$RUN/client.log"
    lab_stop_postfix "$inst"
    stop_pid "$DD_PID"
    stop_pid "$UB_PID"
    DD_PID=
    UB_PID=
    lab_keep_log "$inst" "$cap"
    cp "$RUN/client.log" "$LAB_DIR/logs/$cap.client.log"
    log "wrote captures/lab/logs/$cap.client.log"
}

lab_setup
# The SMTP client host (lab_node: eth0 on the bridge, MAC 02:53:00:00:00:30).
ip netns add "$NS_CLI"
lab_node "$NS_CLI" 0x30 "$CLI4" "$NOPTR4" "$FCR4" -- "$CLI6"
sleep 0.5
fail_start_nsd "$RUN/nsd-extra.conf"
lab_resolvers "$RES4"
KEY=$(head -c 32 /dev/urandom | base64)
DD_PID=
UB_PID=

inbound_case lab-inbound-healthy      pf1 '' 2 \
    "$CLI4:$SND4" "$CLI6,$SND6"
inbound_case lab-inbound-ptr-servfail pf2 \
    'addAction(QTypeRule(DNSQType.PTR), RCodeAction(DNSRCode.SERVFAIL))' 5 \
    "$CLI4:$SND4" "$CLI4:$SND4" "$CLI6,$SND6"
inbound_case lab-inbound-ptr-drop     pf3 \
    'addAction(QTypeRule(DNSQType.PTR), DropAction())' 1 \
    "$CLI4:$SND4"
inbound_case lab-inbound-ptr-nxdomain pf4 '' 1 \
    "$NOPTR4:$SND4"
inbound_case lab-inbound-fcrdns-fail  pf5 \
    'addAction(AndRule({QTypeRule(DNSQType.A), QNameRule("client2.lab.test.")}), RCodeAction(DNSRCode.SERVFAIL))' 1 \
    "$FCR4:$SND4"
lab_finish
