# shellcheck shell=bash
# diag-lib.sh: helpers for the P20 diagnostics recordings (lab-stale.sh,
# lab-dns64.sh, lab-auth-aaaa.sh, lab-unmatched.sh, lab-search-suffix.sh).
# Sourced after lib.sh; uses its variables and functions, changes none.

# diag_start_unbound: lab_start_unbound_edited (lib.sh).
diag_start_unbound() { lab_start_unbound_edited "$@"; }

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
