# shellcheck shell=bash
# diag-lib.sh: helpers for the P20 diagnostics recordings (lab-stale.sh,
# lab-dns64.sh, lab-auth-aaaa.sh, lab-unmatched.sh, lab-search-suffix.sh).
# Sourced after lib.sh; uses its variables and functions, changes none.

# diag_start_unbound SED_SCRIPT "IFACE ..." ["server: line" ...]: like
# lab_start_unbound, but the generated unbound.conf is first edited with the
# sed script SED_SCRIPT (e.g. to replace the module-config line); extra
# lines go into the server: clause.
diag_start_unbound() {
    local sedscript=$1 ifaces=$2; shift 2
    mkdir -p "$RUN/unbound"
    local i l ilines='' alines=''
    for i in $ifaces; do ilines="$ilines    interface: $i\n"; done
    for l in "$@"; do alines="$alines    $l\n"; done
    subst "$TPL/unbound.conf.in" "$RUN/unbound/unbound.conf.tmp"
    awk -v I="$ilines" -v A="$alines" '
        /^@INTERFACES@$/ { printf "%s", I; next }
        /^@ACL@$/        { printf "%s", A; next }
        { print }' "$RUN/unbound/unbound.conf.tmp" \
        | sed 's/\\n/\n/g' | sed -e "$sedscript" > "$RUN/unbound/unbound.conf"
    rm -f "$RUN/unbound/unbound.conf.tmp"
    unbound-checkconf "$RUN/unbound/unbound.conf" >/dev/null || die "unbound.conf invalid"
    ip netns exec "$NS_RES" unbound -d -c "$RUN/unbound/unbound.conf" >"$RUN/unbound/stderr" 2>&1 &
    local first=${ifaces%% *} addr port=53
    addr=${first%@*}; [ "$addr" != "$first" ] && port=${first#*@}
    wait_for "unbound" 20 dns_ok "$NS_RES" "$addr" "$port" . SOA
    log "unbound up on $ifaces"
}

# diag_resolv_append LINE...: append lines (search, options) to the
# sender's resolv.conf written by lab_resolvers (same inode).
diag_resolv_append() {
    local f=/etc/netns/$NS_SND/resolv.conf l
    for l in "$@"; do printf '%s\n' "$l" >> "$f"; done
    sed 's/^/    resolv.conf: /' "$f" >&2
}

# diag_capture_start_ns NS NAME: lab_capture_start on another namespace's
# eth0 (e.g. the resolver's: sender <-> resolver and resolver <->
# authoritative traffic). Stopped by lab_capture_stop as usual.
diag_capture_start_ns() {
    local ns=$1
    CAP_NAME=$2
    CAP_FILE=$RUN/$CAP_NAME.pcap
    rm -f "$CAP_FILE"
    ip netns exec "$ns" tcpdump -i eth0 -s 0 -U -n -Z root -w "$CAP_FILE" \
        2>"$RUN/tcpdump-$CAP_NAME.err" &
    # shellcheck disable=SC2034  # read by lab_capture_stop (lib.sh)
    CAP_PID=$!
    wait_for "tcpdump" 10 grep -q 'listening on' "$RUN/tcpdump-$CAP_NAME.err"
    sleep 0.5
    log "capturing $CAP_NAME on $ns eth0"
}

# diag_client CMD...: run CMD in the sender namespace, output into the
# client log (like lab_dig, any command).
diag_client() {
    { printf '$ %s\n' "$*"; ns_exec "$NS_SND" "$@" || true; } >>"$RUN/client.log" 2>&1
}
