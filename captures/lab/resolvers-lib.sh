# shellcheck shell=bash
# resolvers-lib.sh: helpers for the recordings with other recursive
# resolvers (lab-bind-resolver.sh, lab-kresd-resolver.sh,
# lab-pdns-resolver.sh, lab-dnsmasq-resolver.sh). Sourced after lib.sh and
# fail-lib.sh; uses their variables and functions, changes none.
#
# The resolvers are NOT installed (their post-install scripts would start
# services on the host): like lab_sendmail_tree, the .debs are fetched with
# "apt-get download" and unpacked with "dpkg-deb -x" into
# /var/tmp/mxlab-<name> (MXLAB_RES_ROOT overrides /var/tmp), together with
# the library packages the host lacks. Each resolver runs only inside the
# lab's resolver namespace, listens only on RES4/RES6 port 53, uses the lab
# NSD as its only root server and gets its config from templates/.
#
# The authoritative side (res_setup_auth) is the same for every resolver:
#   10.53.0.2   lab NSD: the root, test. and the usual zones, from a copy of
#               templates/zones whose test.zone delegates dnssec-bogus.test
#               to ns.dnssec-bogus.test (10.53.0.5) instead of ns.nic.test
#   10.53.0.5   NSD with dnssec-bogus.test only, signed at recording time
#               with signatures that expired in 2024 (the resolver has the
#               zone's key as its only trust anchor). A separate server, so
#               that resolvers follow a referral into the zone: kresd 5.6
#               checks its trust anchors at zone cuts and, with the zone
#               served by the root's own server (no referral), never
#               validated it.
#   10.53.0.3   dnsdist in front of a second NSD with badauth.test
#               (templates/dnsdist-res-auth.conf.in): drops AAAA queries for
#               mx.badauth.test, answers SERVFAIL to AAAA for
#               mx2.badauth.test (RFC 4074 §4); A/MX/NS/SOA answered
#   10.53.0.4   lame NSD (fail-lib.sh): REFUSED to everything (lame.test)
# The sender gets a second address, OTHER4 (10.53.0.11), outside the
# resolver's access list: dig -b OTHER4 shows what a refused client gets.

RES_ROOT_BASE=${MXLAB_RES_ROOT:-/var/tmp}
AUTH2_4=10.53.0.3
SIGNED4=10.53.0.5
OTHER4=10.53.0.11
BOGUS_ZONE=dnssec-bogus.test

# res_tree NAME BIN PKG...: unpack PKG... into /var/tmp/mxlab-NAME (once) and
# check that BIN (relative to the tree) finds all its libraries, with the
# tree's lib directory on LD_LIBRARY_PATH. Sets RES_TREE.
res_tree() {
    local name=$1 bin=$2 d t; shift 2
    RES_TREE=$RES_ROOT_BASE/mxlab-$name
    for t in apt-get dpkg-deb ldd; do
        command -v "$t" >/dev/null 2>&1 || die "missing tool: $t"
    done
    if [ ! -x "$RES_TREE/$bin" ]; then
        log "fetching $* into $RES_TREE"
        mkdir -p "$RES_TREE/debs"
        ( cd "$RES_TREE/debs" && apt-get download "$@" ) >&2 \
            || die "apt-get download $* failed"
        for d in "$RES_TREE"/debs/*.deb; do dpkg-deb -x "$d" "$RES_TREE"; done
    fi
    [ -x "$RES_TREE/$bin" ] || die "no $RES_TREE/$bin after unpacking"
    if LD_LIBRARY_PATH=$RES_TREE/usr/lib/x86_64-linux-gnu ldd "$RES_TREE/$bin" | grep -q 'not found'; then
        die "$bin lacks libraries: $(LD_LIBRARY_PATH=$RES_TREE/usr/lib/x86_64-linux-gnu ldd "$RES_TREE/$bin" | grep 'not found' | tr '\n' ' ')"
    fi
    for d in "$RES_TREE"/debs/*.deb; do log "  ${d##*/}"; done
}

# res_subst IN OUT [KEY=VALUE ...]: subst (lib.sh) plus @KEY@ -> VALUE.
res_subst() {
    local in=$1 out=$2 kv; shift 2
    subst "$in" "$out.tmp"
    for kv in "$@"; do
        sed -i "s|@${kv%%=*}@|${kv#*=}|g" "$out.tmp"
    done
    mv "$out.tmp" "$out"
}

# res_sign_bogus: sign dnssec-bogus.test with signatures valid from
# 2024-01-01 to 2024-02-01 only (all expired), as lab-dnssec.sh does.
# Leaves $RUN/keys/anchor.key (DNSKEY RR) and anchor.ds (DS RR) and sets
# TA_FLAGS TA_PROTO TA_ALG TA_KEY (the DNSKEY's fields) and TA_DS (the DS
# rdata: tag alg digest-type digest).
res_sign_bogus() {
    local t
    for t in ldns-signzone ldns-keygen ldns-key2ds; do
        command -v "$t" >/dev/null || die "missing ldnsutils ($t)"
    done
    mkdir -p "$RUN/keys"
    ( cd "$RUN/keys" || exit 1
      key=$(ldns-keygen -a ECDSAP256SHA256 -k "$BOGUS_ZONE")
      # The zone's own server: ns.dnssec-bogus.test (SIGNED4).
      sed "s/^@ *IN NS .*/@               IN NS   ns.$BOGUS_ZONE.\nns              IN A    $SIGNED4/" \
          "$ZONES/$BOGUS_ZONE.zone" > "$BOGUS_ZONE.zone"
      grep -q "^ns  *IN A  *$SIGNED4" "$BOGUS_ZONE.zone" || exit 1
      ldns-signzone -e 20240201000000 -i 20240101000000 -f "$BOGUS_ZONE.signed" \
          "$BOGUS_ZONE.zone" "$key"
      cp "$key.key" anchor.key
      ldns-key2ds -n -2 anchor.key > anchor.ds )
    grep -q 'RRSIG	MX 13 2 300 20240201000000' "$RUN/keys/$BOGUS_ZONE.signed" \
        || die "signing failed"
    read -r TA_FLAGS TA_PROTO TA_ALG TA_KEY < <(awk '{
        for (i = 1; i <= NF; i++) if ($i == "DNSKEY") break
        k = ""; for (j = i + 4; j <= NF && $j !~ /^;/; j++) k = k $j
        print $(i + 1), $(i + 2), $(i + 3), k; exit }' "$RUN/keys/anchor.key")
    TA_DS=$(awk '{ for (i = 1; i <= NF; i++) if ($i == "DS") break
        print $(i + 1), $(i + 2), $(i + 3), $(i + 4); exit }' "$RUN/keys/anchor.ds")
    if [ -z "$TA_KEY" ] || [ -z "$TA_DS" ]; then die "cannot parse the trust anchor"; fi
}

# res_zones_copy: $RUN/zones = templates/zones with test.zone delegating
# dnssec-bogus.test to ns.dnssec-bogus.test (SIGNED4, glue); ZONES (lib.sh)
# points there for the rest of the run (NSD's zonesdir, root hints).
res_zones_copy() {
    mkdir -p "$RUN/zones"
    cp "$ZONES"/* "$RUN/zones/"
    sed -i "s/^dnssec-bogus *IN NS .*/dnssec-bogus    IN NS   ns.$BOGUS_ZONE.\nns.dnssec-bogus IN A    $SIGNED4/" \
        "$RUN/zones/test.zone"
    grep -q "^ns.dnssec-bogus IN A    $SIGNED4" "$RUN/zones/test.zone" \
        || die "cannot delegate $BOGUS_ZONE in the copy of test.zone"
    ZONES=$RUN/zones
}

# res_setup_auth: the authoritative side described at the top.
res_setup_auth() {
    res_sign_bogus
    res_zones_copy
    : > "$RUN/nsd-extra.conf"
    fail_start_nsd "$RUN/nsd-extra.conf"
    fail_start_lame_nsd
    ip -n "$NS_AUTH" addr add "$SIGNED4/24" dev eth0
    mkdir -p "$RUN/nsd-signed"
    subst "$TPL/nsd-signed.conf.in" "$RUN/nsd-signed/nsd.conf"
    nsd-checkconf "$RUN/nsd-signed/nsd.conf" || die "nsd-signed.conf invalid"
    ip netns exec "$NS_AUTH" nsd -d -c "$RUN/nsd-signed/nsd.conf" >"$RUN/nsd-signed/stderr" 2>&1 &
    wait_for "nsd (signed)" 20 dns_ok "$NS_AUTH" "$SIGNED4" 53 "$BOGUS_ZONE" SOA
    ip -n "$NS_AUTH" addr add "$AUTH2_4/24" dev eth0
    mkdir -p "$RUN/nsd2" "$RUN/dnsdist-auth"
    subst "$TPL/nsd-badauth.conf.in" "$RUN/nsd2/nsd.conf"
    nsd-checkconf "$RUN/nsd2/nsd.conf" || die "nsd-badauth.conf invalid"
    ip netns exec "$NS_AUTH" nsd -d -c "$RUN/nsd2/nsd.conf" >"$RUN/nsd2/stderr" 2>&1 &
    wait_for "nsd2" 20 dns_ok "$NS_AUTH" 127.0.0.1 5301 badauth.test SOA
    subst "$TPL/dnsdist-res-auth.conf.in" "$RUN/dnsdist-auth/dnsdist.conf"
    ip netns exec "$NS_AUTH" dnsdist --supervised --disable-syslog \
        -C "$RUN/dnsdist-auth/dnsdist.conf" >"$RUN/dnsdist-auth/stderr" 2>&1 &
    wait_for "dnsdist (AAAA drop/SERVFAIL)" 20 dns_ok "$NS_AUTH" "$AUTH2_4" 53 badauth.test SOA
    log "badauth.test on $AUTH2_4 (dnsdist drops AAAA of mx., SERVFAILs AAAA of mx2.), lame.test on $LAME4, $BOGUS_ZONE on $SIGNED4"
    ip -n "$NS_SND" addr add "$OTHER4/24" dev eth0
}

# res_wait_up DESC: wait until the resolver under test answers on RES4
# (probed from inside the resolver namespace: not on the sender's wire).
res_wait_up() {
    wait_for "$1" 30 dns_ok "$NS_RES" "$RES4" 53 . SOA
    log "$1 up on $RES4/$RES6"
}

# --- BIND 9 named ---------------------------------------------------------
res_start_named() {
    res_tree bind usr/sbin/named bind9
    mkdir -p "$RUN/named"
    res_subst "$TPL/named-resolver.conf.in" "$RUN/named/named.conf" \
        "TA_ZONE=$BOGUS_ZONE" "TA_FLAGS=$TA_FLAGS" "TA_PROTO=$TA_PROTO" \
        "TA_ALG=$TA_ALG" "TA_KEY=$TA_KEY" "OTHER4=$OTHER4"
    [ -x /usr/bin/named-checkconf ] && { /usr/bin/named-checkconf "$RUN/named/named.conf" \
        || die "named.conf invalid"; }
    ip netns exec "$NS_RES" "$RES_TREE/usr/sbin/named" -f -n 1 \
        -c "$RUN/named/named.conf" >"$RUN/named/stderr" 2>&1 &
    res_wait_up "named ($("$RES_TREE/usr/sbin/named" -v))"
}

# --- Knot Resolver kresd --------------------------------------------------
# kresd looks for its Lua modules under the compiled-in
# /usr/lib/x86_64-linux-gnu/knot-resolver: it runs in a private mount
# namespace where an overlay of the unpacked tree's lib directory over the
# host's makes them (and libknot etc.) appear there. Nothing outside that
# process tree sees the mount; the host's directory is unchanged.
KRESD_PKGS="knot-resolver libknot13 libzscanner4 libdnssec9 libxdp1"
res_start_kresd() {
    # shellcheck disable=SC2086 # a list of package names
    res_tree kresd usr/sbin/kresd $KRESD_PKGS
    mkdir -p "$RUN/kresd"
    res_subst "$TPL/kresd.conf.in" "$RUN/kresd/config" \
        "TA_ZONE=$BOGUS_ZONE" "TA_FLAGS=$TA_FLAGS" "TA_PROTO=$TA_PROTO" \
        "TA_ALG=$TA_ALG" "TA_KEY=$TA_KEY" "OTHER4=$OTHER4"
    local lib=/usr/lib/x86_64-linux-gnu
    # shellcheck disable=SC2016 # expanded by the inner sh
    ip netns exec "$NS_RES" unshare -m --propagation private sh -c '
        mount -t overlay mxlab-kresd -o "lowerdir=$1$2:$2" "$2" || exit 1
        cd "$3" && exec "$1/usr/sbin/kresd" -n -c config .' sh "$RES_TREE" "$lib" "$RUN/kresd" \
        >"$RUN/kresd/stderr" 2>&1 </dev/null &
    # shellcheck disable=SC2016 # expanded by the inner sh
    res_wait_up "kresd ($(cd /tmp && ip netns exec "$NS_RES" unshare -m --propagation private sh -c \
        'mount -t overlay mxlab-kresd -o "lowerdir=$1$2:$2" "$2" && "$1/usr/sbin/kresd" -V' \
        sh "$RES_TREE" "$lib"))"
}

# --- PowerDNS Recursor ----------------------------------------------------
res_start_pdns() {
    res_tree pdns usr/sbin/pdns_recursor pdns-recursor libboost-context1.74.0
    mkdir -p "$RUN/pdns"
    res_subst "$TPL/recursor.conf.in" "$RUN/pdns/recursor.conf"
    res_subst "$TPL/recursor.lua.in" "$RUN/pdns/recursor.lua" \
        "TA_ZONE=$BOGUS_ZONE" "TA_DS=$TA_DS"
    ip netns exec "$NS_RES" env LD_LIBRARY_PATH="$RES_TREE/usr/lib/x86_64-linux-gnu" \
        "$RES_TREE/usr/sbin/pdns_recursor" --config-dir="$RUN/pdns" \
        >"$RUN/pdns/stderr" 2>&1 </dev/null &
    res_wait_up "pdns_recursor ($(LD_LIBRARY_PATH=$RES_TREE/usr/lib/x86_64-linux-gnu \
        "$RES_TREE/usr/sbin/pdns_recursor" --version 2>&1 | sed -n 's/.*\(PowerDNS Recursor [0-9.]*\).*/\1/p'))"
}

# --- dnsmasq (forwarder) ----------------------------------------------------
# dnsmasq on RES4/RES6 forwards everything to a validating unbound on
# 127.0.0.1:5300 in the same namespace (ede: yes, dnssec-bogus.test's key
# as trust anchor), the usual small-office/home-router setup.
res_start_dnsmasq() {
    res_tree dnsmasq usr/sbin/dnsmasq dnsmasq-base
    fail_start_unbound 's/^\( *module-config:\).*/\1 "validator iterator"/' "127.0.0.1@5300" \
        "trust-anchor-file: \"$RUN/keys/anchor.key\"" "ede: yes"
    mkdir -p "$RUN/dnsmasq"
    res_subst "$TPL/dnsmasq.conf.in" "$RUN/dnsmasq/dnsmasq.conf"
    ip netns exec "$NS_RES" "$RES_TREE/usr/sbin/dnsmasq" --conf-file="$RUN/dnsmasq/dnsmasq.conf" \
        >"$RUN/dnsmasq/stderr" 2>&1 </dev/null &
    res_wait_up "dnsmasq ($("$RES_TREE/usr/sbin/dnsmasq" --version | head -1 | sed 's/  Copyright.*//'))"
}

# res_capture_start NAME: the sender-side capture (lab_capture_start) plus,
# for the run directory only (not committed), the resolver's own interface:
# its iterative traffic to the authoritative servers.
RES_SIDE_PID=
res_capture_start() {
    ip netns exec "$NS_RES" tcpdump -i eth0 -s 0 -U -n -Z root -w "$RUN/$1-resolver-side.pcap" \
        2>"$RUN/tcpdump-$1-resolver-side.err" &
    RES_SIDE_PID=$!
    lab_capture_start "$1"
}
res_capture_stop() {
    lab_capture_stop "${1:-1}"
    stop_pid "$RES_SIDE_PID"
    log "resolver side: $RUN/$CAP_NAME-resolver-side.pcap ($(tcpdump -nn -r "$RUN/$CAP_NAME-resolver-side.pcap" 2>/dev/null | wc -l) packets)"
}

# res_client CMD...: run CMD in the sender namespace with its wall time,
# output into the client log.
res_client() {
    local t0 t1 rc=0
    t0=$(date +%s.%N)
    { printf '$ %s\n' "$*"; ns_exec "$NS_SND" "$@" || rc=$?; echo "# exit status $rc"; } >>"$RUN/client.log" 2>&1
    t1=$(date +%s.%N)
    printf '# wall time %.3f s\n\n' "$(echo "$t1 - $t0" | bc)" >>"$RUN/client.log"
}

# res_scenarios: the client side, the same for every resolver. dig asks
# once with a long timeout (+tries=1 +time=20) so that the capture shows
# when (and whether) the resolver answers; getent shows glibc's behaviour.
#   1. AAAA mx.badauth.test (the authoritative drops AAAA), then A, then
#      getent ahosts (glibc A+AAAA on one socket)
#   1b. the same for mx2.badauth.test (the authoritative answers SERVFAIL)
#   2. MX dnssec-bogus.test (expired signatures: bogus)
#   3. MX lame.test (the only authoritative answers REFUSED)
#   4. MX nosuch.test (NXDOMAIN, SOA of test.: negative TTL 900)
#   5. MX example.test from OTHER4 (not in the resolver's access list)
#   6. MX example.test from the sender (healthy)
res_scenarios() {
    local d=(dig +tries=1 +time=20)
    res_client "${d[@]}" AAAA mx.badauth.test
    sleep 1
    res_client "${d[@]}" A mx.badauth.test
    sleep 1
    res_client timeout 30 getent ahosts mx.badauth.test
    sleep 2
    res_client "${d[@]}" AAAA mx2.badauth.test
    sleep 1
    res_client "${d[@]}" A mx2.badauth.test
    sleep 1
    res_client timeout 30 getent ahosts mx2.badauth.test
    sleep 2
    res_client "${d[@]}" MX "$BOGUS_ZONE"
    sleep 1
    res_client "${d[@]}" MX lame.test
    sleep 1
    res_client "${d[@]}" MX nosuch.test
    sleep 1
    res_client dig +tries=1 +time=5 -b "$OTHER4" MX example.test
    sleep 1
    res_client "${d[@]}" MX example.test
}

# res_keep NAME FILE...: keep the client log and resolver logs under
# captures/lab/logs/NAME.*.
res_keep() {
    local name=$1 f; shift
    mkdir -p "$LAB_DIR/logs"
    cp "$RUN/client.log" "$LAB_DIR/logs/$name.client.log"
    : > "$RUN/client.log"
    for f in "$@"; do
        [ -f "$f" ] && cp "$f" "$LAB_DIR/logs/$name.${f##*/}"
    done
    log "wrote captures/lab/logs/$name.client.log"
}
