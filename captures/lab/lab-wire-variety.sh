#!/bin/bash
# lab-wire-variety.sh: record captures/lab-wire-*.pcap, DNS wire variety
# from real client and server software (no MTA): the shapes public test
# traces contain, for checking mxsniff's decoder, matcher and counters
# against tshark (tests/xcheck) and the RFCs. captures/README.md "Wire
# variety (lab-wire-variety.sh)" says what each capture holds.
#
# Servers: the lab NSD (authoritative, 10.53.0.2 / fd53::2) with cookies,
# NSID, EDNS sizes 4096 and three zones made here: dane.test signed with
# VALID signatures plus a 2 KB TXT RRset (big DNSSEC answers),
# dnssec-bogus.test signed with EXPIRED signatures (EDE from unbound), and
# xfr.test (900 A records, transfers allowed to the sender only, NOTIFY to
# the sender). The lab unbound (10.53.0.53 / fd53::53, and 10.53.0.53@5300)
# validates both signed zones, answers NSID, identity/version (CHAOS), EDE,
# UDP up to 4096 bytes, and refuses blocked.test (local-zone always_refuse).
# Clients in the sender namespace: dig, kdig, drill, host, nslookup,
# getent, nsupdate, a second NSD as secondary of xfr.test (10.53.0.10), and
# dnspython (captures/lab/wire-tools.py) for crafted queries, pipelining
# over TCP and mDNS/LLMNR-style traffic.
#
#   lab-wire-edns     EDNS options and versions (UDP)
#   lab-wire-tcp      TCP: +tcp, several queries per connection, pipelined
#                     queries answered out of order, TC=1 then TCP retry
#   lab-wire-xfr      AXFR/IXFR from NSD (multi-message), NOTIFY, a real
#                     NSD secondary, refused transfer
#   lab-wire-opcodes  UPDATE, NOTIFY, IQUERY/STATUS, CHAOS, ANY, odd counts
#   lab-wire-frag     IPv6 and IPv4 fragmented UDP answers (MTU 1280/576)
#   lab-wire-mdns     mDNS/LLMNR-style traffic and DNS on port 5300
#   lab-wire-names    names (case, escaped bytes, longest), root, rare types
#   lab-wire-tsig     TSIG: signed queries and transfers, BADSIG, BADKEY
# Client output: captures/lab/logs/lab-wire-*.client.log.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/fail-lib.sh"
NAME=lab-wire-variety
TOOLS=$(dirname "$0")/wire-tools.py
TOOLS=$(cd "$(dirname "$TOOLS")" && pwd)/wire-tools.py
lab_init "$NAME"
for t in kdig drill host nslookup nsupdate ldns-keygen ldns-signzone; do
    command -v "$t" >/dev/null 2>&1 || die "missing tool: $t (knot-dnsutils, ldnsutils, bind9-dnsutils)"
done
/usr/bin/python3 -c 'import dns.message' 2>/dev/null || die "missing python3-dnspython"
PY=/usr/bin/python3

# --- zones -----------------------------------------------------------------
mkdir -p "$RUN/keys" "$RUN/zones"
( cd "$RUN/keys"
  # dane.test, valid signatures, TLSA data fixed, big TXT RRset appended.
  sed -e 's/@TLSA@/0c72ac70b745ac19998811b131d662c9ac69dbdbe7cb23e5b514b56664c5d3d6/' \
      "$ZONES/dane.test.zone" > dane.test.zone
  grep -E '^@ +IN TXT' "$ZONES/big.test.zone" >> dane.test.zone
  k1=$(ldns-keygen -a ECDSAP256SHA256 -k dane.test)
  ldns-signzone -i "$(date -u -d '-1 day' +%Y%m%d%H%M%S)" \
      -e "$(date -u -d '+30 days' +%Y%m%d%H%M%S)" -f dane.test.signed dane.test.zone "$k1"
  # dnssec-bogus.test, signatures expired in 2024.
  cp "$ZONES/dnssec-bogus.test.zone" dnssec-bogus.test.zone
  k2=$(ldns-keygen -a ECDSAP256SHA256 -k dnssec-bogus.test)
  ldns-signzone -e 20240201000000 -i 20240101000000 -f dnssec-bogus.test.signed \
      dnssec-bogus.test.zone "$k2"
  cat "$k1.key" "$k2.key" > anchors.key )
grep -q 'RRSIG	TXT 13 2 300 ' "$RUN/keys/dane.test.signed" || die "signing dane.test failed"
# xfr.test: 800 A records (about 17 KB in an AXFR: NSD writes at most 16 KB
# per message, so the transfer takes two messages).
xfr_zone() {   # xfr_zone SERIAL
    printf '$ORIGIN xfr.test.\n$TTL 300\n'
    printf '@ IN SOA ns.nic.test. hostmaster.xfr.test. %s 3600 900 604800 300\n' "$1"
    printf '@ IN NS ns.nic.test.\n'
    local i
    for i in $(seq 1 800); do printf 'h%03d IN A 10.53.%d.%d\n' "$i" $((i / 250 + 1)) $((i % 250 + 1)); done
}
xfr_zone 2024060101 > "$RUN/zones/xfr.test.zone"
# tsig.test: the same records, transfers only with the TSIG key wire-key.
xfr_zone 2024060101 | sed 's/xfr\.test\./tsig.test./g' > "$RUN/zones/tsig.test.zone"
TSIG_SECRET=bXhzbmlmZi1sYWItdHNpZy1rZXktMzItYnl0ZXMtbG9uZyE=
TSIG_WRONG=d3Jvbmctc2VjcmV0LWZvci10aGUtbGFiLXRzaWctdGVzdCE=
cat > "$RUN/nsd-extra.conf" <<EOF
server:
    answer-cookie: yes
    nsid: "ascii_auth.lab.test"
    ipv4-edns-size: 4096
    ipv6-edns-size: 4096
zone:
    name: "dane.test."
    zonefile: "$RUN/keys/dane.test.signed"
zone:
    name: "dnssec-bogus.test."
    zonefile: "$RUN/keys/dnssec-bogus.test.signed"
key:
    name: "wire-key"
    algorithm: hmac-sha256
    secret: "$TSIG_SECRET"
zone:
    name: "tsig.test."
    zonefile: "$RUN/zones/tsig.test.zone"
    provide-xfr: $SND4 wire-key
    provide-xfr: $SND6 wire-key
zone:
    name: "xfr.test."
    zonefile: "$RUN/zones/xfr.test.zone"
    provide-xfr: $SND4 NOKEY
    provide-xfr: $SND6 NOKEY
    notify: $SND4 NOKEY
EOF

lab_setup
fail_start_nsd "$RUN/nsd-extra.conf"
fail_start_unbound 's/^\( *module-config:\).*/\1 "validator iterator"/; s/^\( *hide-identity:\).*/\1 no/; s/^\( *hide-version:\).*/\1 no/' \
    "$RES4 $RES6 $RES4@5300" \
    "trust-anchor-file: \"$RUN/keys/anchors.key\"" "ede: yes" "val-log-level: 2" \
    "nsid: \"ascii_res.lab.test\"" "identity: \"res.lab.test\"" "version: \"lab-unbound\"" \
    "max-udp-size: 4096" "local-zone: \"blocked.test.\" always_refuse"
lab_resolvers "$RES4"

# NSD sends NOTIFY for xfr.test to the sender (10.53.0.10) from its start
# on and repeats it while nothing answers (ICMP port unreachable): outside
# the transfer capture those packets are filtered out, so that each capture
# holds what its section is about.
QUIET='not (udp and src host 10.53.0.2 and dst port 53) and not (icmp and dst host 10.53.0.2)'
cap_start() { fail_capture_start_filter "$1" "$QUIET"; }
# MXLAB_WIRE_ONLY="names tsig" records only those sections (default: all).
want() { case " ${MXLAB_WIRE_ONLY:-all} " in *" all "*|*" $1 "*) return 0;; esac; return 1; }
client() { fail_client "$@"; }
keep() { fail_keep_client "$1"; }
D() { client dig "$@"; }
K() { client kdig "$@"; }

# --- 1. EDNS variety (UDP) ----------------------------------------------------
if want edns; then
cap_start lab-wire-edns
D @"$RES4" example.test MX                       # dig: COOKIE by default
D @"$RES4" +nsid example.test SOA                # NSID from unbound
D @"$AUTH4" +nsid +norec example.test SOA        # NSID + server cookie from NSD
K @"$RES4" +cookie +padding www.example.test A   # kdig: cookie, padding
K @"$RES4" +subnet=10.53.0.0/24 mx1.example.test A
D @"$RES4" +subnet=fd53::/56 mx1.example.test AAAA
D @"$RES4" +ednsopt=65001:abcd +ednsopt=65002 other.test MX   # unknown options
D @"$RES4" +edns=1 www.example.test AAAA          # BADVERS, then EDNS 0
D @"$RES4" +edns=1 +noednsneg example.test A      # BADVERS only
D @"$RES4" +noedns example.test TXT                # no OPT at all
D @"$RES4" +bufsize=65535 +dnssec dane.test MX    # DO, AD, max payload
D @"$RES4" +bufsize=4096 +dnssec dane.test TXT    # big DNSSEC answer (UDP)
D @"$RES4" +dnssec dane.test DNSKEY
client drill -D @"$RES4" dane.test MX              # drill: DO
D @"$RES4" dnssec-bogus.test MX                   # SERVFAIL + EDE (bogus)
D @"$RES4" dnssec-bogus.test A                    # again, from the cache
D @"$RES4" +cd dnssec-bogus.test MX               # CD: answer
D @"$RES4" blocked.test A                         # REFUSED (+ EDE?)
K @"$RES4" +nsid +cookie +subnet=10.53.0.10/32 +ednsopt=65003:00 +padding=128 example.test MX
lab_capture_stop
keep lab-wire-edns
fi

# --- 2. TCP variety -----------------------------------------------------------
if want tcp; then
cap_start lab-wire-tcp
D @"$RES4" +tcp example.test MX
D @"$RES4" +tcp +keepopen mx1.example.test A mx2.example.test A other.test MX
K @"$RES4" +tcp +keepopen www.example.test A www.example.test AAAA example.test SOA
# Pipelined in one segment: an uncached name first, cached names after it;
# unbound answers the cached ones first (out of order).
client "$PY" "$TOOLS" pipeline "$RES4" mx1.other.test AAAA example.test MX mx1.example.test A
client "$PY" "$TOOLS" pipeline "$RES6" mx2.other.test AAAA example.test MX
D @"$RES4" big.test TXT                           # TC=1, then TCP retry
client host -t TXT big.test "$RES4"               # no EDNS: TC=1, TCP retry
D @"$RES6" +tcp +dnssec dane.test TXT             # big over TCP, IPv6
lab_capture_stop
keep lab-wire-tcp
fi

# --- 3. Zone transfers and NOTIFY -------------------------------------------
if want xfr; then
mkdir -p "$RUN/nsd2"
cat > "$RUN/nsd2/nsd.conf" <<EOF
server:
    ip-address: $SND4
    port: 53
    server-count: 1
    username: ""
    chroot: ""
    database: ""
    zonesdir: "$RUN/nsd2"
    zonelistfile: "$RUN/nsd2/zone.list"
    xfrdfile: "$RUN/nsd2/xfrd.state"
    xfrdir: "$RUN/nsd2"
    pidfile: "$RUN/nsd2/nsd.pid"
    logfile: "$RUN/nsd2/nsd.log"
    verbosity: 2
remote-control:
    control-enable: no
zone:
    name: "xfr.test."
    zonefile: "xfr.test.zone"
    request-xfr: $AUTH4 NOKEY
    allow-notify: $AUTH4 NOKEY
EOF
nsd-checkconf "$RUN/nsd2/nsd.conf" || die "secondary nsd.conf invalid"
lab_capture_start lab-wire-xfr
D @"$AUTH4" xfr.test AXFR                         # two messages
K @"$AUTH6" xfr.test AXFR
D @"$AUTH4" xfr.test IXFR=2024060101              # up to date: one SOA
D @"$AUTH4" +notcp xfr.test IXFR=2024060100       # IXFR over UDP
D @"$AUTH4" example.test AXFR                     # not allowed: REFUSED
# A real secondary: NSD in the sender namespace asks for the SOA and
# transfers the zone; then the primary gets a new serial (SIGHUP) and sends
# NOTIFY to the secondary, which asks again.
ip netns exec "$NS_SND" nsd -d -c "$RUN/nsd2/nsd.conf" >"$RUN/nsd2/stderr" 2>&1 &
wait_for "secondary transfer" 30 grep -q 'xfr.test.*\(committed\|serial 2024060101\)' "$RUN/nsd2/nsd.log"
sleep 1
xfr_zone 2024060102 | sed 's/^h800 IN A .*/h800 IN A 10.53.9.9/' > "$RUN/zones/xfr.test.zone"
kill -HUP "$(cat "$RUN/nsd/nsd.pid")"
wait_for "secondary after notify" 30 grep -q 'serial 2024060102\|2024060102' "$RUN/nsd2/nsd.log"
sleep 2
K @"$AUTH4" xfr.test NOTIFY=2024060102            # kdig NOTIFY to the primary
lab_capture_stop 2
kill "$(cat "$RUN/nsd2/nsd.pid")" 2>/dev/null || true
sed 's/^/    secondary: /' "$RUN/nsd2/nsd.log" | grep -i 'xfr\|notify\|serial' | head -20 >&2 || true
keep lab-wire-xfr
fi

# --- 4. Opcodes, classes, odd counts ------------------------------------------
if want opcodes; then
cap_start lab-wire-opcodes
printf 'server %s\nzone example.test\nupdate add new.example.test. 300 IN A 10.53.0.99\nsend\n' "$AUTH4" > "$RUN/update.txt"
client nsupdate -v "$RUN/update.txt"              # TCP UPDATE to NSD
printf 'server %s\nzone example.test\nupdate delete www.example.test. A\nsend\n' "$AUTH4" > "$RUN/update2.txt"
client nsupdate "$RUN/update2.txt"                # UDP UPDATE to NSD
printf 'server %s\nzone example.test\nupdate add new.example.test. 300 IN A 10.53.0.99\nsend\n' "$RES4" > "$RUN/update3.txt"
client nsupdate "$RUN/update3.txt"                # UPDATE to unbound
K @"$AUTH4" example.test NOTIFY                   # NOTIFY for a zone NSD is primary of
K @"$RES4" example.test NOTIFY=1                  # NOTIFY to a resolver
D @"$RES4" CH TXT version.bind
D @"$RES4" CH TXT id.server
D @"$RES4" CH TXT hostname.bind
D @"$AUTH4" CH TXT version.server                 # NSD: hidden (REFUSED)
D @"$RES4" example.test ANY
D @"$AUTH4" example.test ANY                      # NSD refuse-any
D @"$RES4" -c ANY example.test A                   # QCLASS * (255)
D @"$RES4" -c HS example.test A                    # QCLASS HS
client "$PY" "$TOOLS" crafted "$RES4"
client "$PY" "$TOOLS" crafted "$AUTH4"
client host example.test "$RES4"                  # A, AAAA, MX
client nslookup -type=mx example.test "$RES4"
client getent ahosts www.example.test             # glibc, both families
client drill @"$RES4" -t example.test MX          # drill over TCP
lab_capture_stop
keep lab-wire-opcodes
fi

# --- 5. Fragments -------------------------------------------------------------
if want frag; then
cap_start lab-wire-frag
ip -n "$NS_RES" link set eth0 mtu 1280
D @"$RES6" +bufsize=4096 big.test TXT             # IPv6 fragments (unbound)
D @"$RES6" +bufsize=4096 +dnssec dane.test TXT
D @"$RES4" +bufsize=4096 big.test TXT             # IPv4 fragments at 1280
ip -n "$NS_AUTH" link set eth0 mtu 1280
D @"$AUTH6" +bufsize=4096 +norec big.test TXT     # IPv6 fragments (NSD)
ip -n "$NS_RES" link set eth0 mtu 576              # IPv6 leaves eth0 of mxl-res
D @"$RES4" +bufsize=4096 +dnssec dane.test TXT    # IPv4 fragments at 576
lab_capture_stop
ip -n "$NS_RES" link set eth0 mtu 1500
ip -n "$NS_AUTH" link set eth0 mtu 1500
# An MTU below 1280 took IPv6 off the interface: put the address back.
ip -n "$NS_RES" addr add "$RES6/64" dev eth0 nodad 2>/dev/null || true
keep lab-wire-frag
fi

# --- 6. mDNS / LLMNR-style traffic, DNS on another port ----------------------
if want mdns; then
ip -n "$NS_SND" route add 224.0.0.0/4 dev eth0
ip -n "$NS_RES" route add 224.0.0.0/4 dev eth0
ip netns exec "$NS_RES" "$PY" "$TOOLS" responder 0.0.0.0 5353 >"$RUN/resp1.log" 2>&1 &
ip netns exec "$NS_RES" "$PY" "$TOOLS" responder 0.0.0.0 5355 >"$RUN/resp2.log" 2>&1 &
ip netns exec "$NS_RES" "$PY" "$TOOLS" responder :: 5353 >"$RUN/resp3.log" 2>&1 &
sleep 1
cap_start lab-wire-mdns
client "$PY" "$TOOLS" mcast 224.0.0.251 5353 printer.local eth0
client "$PY" "$TOOLS" mcast 224.0.0.252 5355 fileserver eth0
client "$PY" "$TOOLS" mcast ff02::fb 5353 printer.local eth0
D -p 5300 @"$RES4" example.test MX                 # DNS on port 5300
D @"$RES4" www.example.test A                      # and one on port 53
lab_capture_stop
keep lab-wire-mdns
fi

# --- 7. Names and types -------------------------------------------------------
if want names; then
cap_start lab-wire-names
D @"$RES4" Www.ExAmPlE.TeSt A                      # mixed case, echoed
K @"$RES4" MX1.EXAMPLE.TEST AAAA
D @"$RES4" 'we\.ird.example.test' A                # a dot inside a label
D @"$RES4" '\200\001\255.example.test' A           # bytes >= 0x80
D @"$RES4" 'sp\032ace.example.test' TXT             # a space
D @"$RES4" "$(printf 'l%.0s' $(seq 1 63)).example.test" A     # 63-byte label
D @"$RES4" "$(printf 'abcdefghi.%.0s' $(seq 1 24))example.test" A  # 253 bytes
D @"$RES4" . NS
D @"$RES4" . SOA
D @"$RES4" test. DNSKEY
D @"$RES4" example.test HTTPS
D @"$RES4" example.test SVCB
D @"$RES4" example.test CAA
D @"$RES4" _25._tcp.mx1.example.test TLSA
D @"$RES4" example.test TYPE65534
D @"$RES4" example.test NULL
D @"$RES4" _submission._tcp.example.test SRV
D @"$RES4" -x 10.53.0.25                           # PTR (RFC 1918 reverse)
D @"$RES4" +adflag +cdflag www.example.test AAAA
K @"$RES4" +noall +answer +qr example.test. MX
lab_capture_stop
keep lab-wire-names
fi

# --- 8. TSIG ------------------------------------------------------------------
if want tsig; then
cap_start lab-wire-tsig
D @"$AUTH4" -y "hmac-sha256:wire-key:$TSIG_SECRET" tsig.test SOA     # signed answer
D @"$AUTH4" -y "hmac-sha256:wire-key:$TSIG_SECRET" tsig.test AXFR    # every message signed
K @"$AUTH6" -y "hmac-sha256:wire-key:$TSIG_SECRET" tsig.test AXFR
D @"$AUTH4" tsig.test AXFR                        # no key: REFUSED
D @"$AUTH4" -y "hmac-sha256:wire-key:$TSIG_WRONG" tsig.test SOA      # BADSIG
D @"$AUTH4" -y "hmac-sha256:no-such-key:$TSIG_SECRET" tsig.test SOA  # BADKEY
printf 'server %s\nkey hmac-sha256:wire-key %s\nzone tsig.test\nupdate add n.tsig.test. 300 IN A 10.53.0.99\nsend\n' "$AUTH4" "$TSIG_SECRET" > "$RUN/update-tsig.txt"
client nsupdate "$RUN/update-tsig.txt"            # signed UPDATE: NOTIMP
D @"$RES4" -y "hmac-sha256:wire-key:$TSIG_SECRET" example.test MX    # unbound: no TSIG
lab_capture_stop
keep lab-wire-tsig
fi

lab_finish
