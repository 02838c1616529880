# fail-lib.sh: helpers for the failure recordings (lab-dnsbl.sh,
# lab-servfail.sh, lab-dnssec.sh). Sourced after lib.sh; uses its variables
# and functions, changes none.

# fail_start_nsd EXTRA_CONF: lab_start_nsd with the nsd.conf lines in the
# file EXTRA_CONF appended (zones whose zonefile is an absolute path, e.g.
# a zone signed at recording time under $RUN).
fail_start_nsd() {
    mkdir -p "$RUN/nsd"
    subst "$TPL/nsd.conf.in" "$RUN/nsd/nsd.conf"
    cat "$1" >> "$RUN/nsd/nsd.conf"
    nsd-checkconf "$RUN/nsd/nsd.conf" || die "nsd.conf invalid"
    ip netns exec "$NS_AUTH" nsd -d -c "$RUN/nsd/nsd.conf" >"$RUN/nsd/stderr" 2>&1 &
    wait_for "nsd" 20 dns_ok "$NS_AUTH" "$AUTH4" 53 example.test SOA
    log "nsd up on $AUTH4/$AUTH6"
}

# fail_stop_nsd: stop the lab NSD (by its pid file), so that every
# authoritative server of the lab is gone (ICMP port unreachable).
fail_stop_nsd() {
    local pid
    pid=$(cat "$RUN/nsd/nsd.pid")
    ns_exec "$NS_AUTH" kill "$pid"
    wait_for "nsd to exit" 20 sh -c "! kill -0 $pid 2>/dev/null"
    log "nsd stopped (pid $pid)"
}

# fail_start_unbound: lab_start_unbound_edited (lib.sh).
fail_start_unbound() { lab_start_unbound_edited "$@"; }

# fail_client CMD...: run CMD in the sender namespace, output into the
# client log (like lab_dig, any command).
fail_client() {
    { printf '$ %s\n' "$*"; ns_exec "$NS_SND" "$@" || true; } >>"$RUN/client.log" 2>&1
}

# fail_keep_client NAME: copy the client log to logs/NAME.client.log and
# start a new one.
fail_keep_client() {
    mkdir -p "$LAB_DIR/logs"
    cp "$RUN/client.log" "$LAB_DIR/logs/$1.client.log"
    : > "$RUN/client.log"
}

# fail_start_lame_nsd: a second NSD on LAME4 (10.53.0.4, added to the
# authoritative namespace) that serves no zone: REFUSED to everything. It is
# the only name server of lame.test (test.zone), a lame delegation.
LAME4=10.53.0.4
fail_start_lame_nsd() {
    mkdir -p "$RUN/nsd-lame"
    ip -n "$NS_AUTH" addr add "$LAME4/24" dev eth0
    subst "$TPL/nsd-lame.conf.in" "$RUN/nsd-lame/nsd.conf"
    nsd-checkconf "$RUN/nsd-lame/nsd.conf" || die "nsd-lame.conf invalid"
    ip netns exec "$NS_AUTH" nsd -d -c "$RUN/nsd-lame/nsd.conf" >"$RUN/nsd-lame/stderr" 2>&1 &
    wait_for "lame nsd" 20 sh -c "ip netns exec $NS_AUTH dig +time=1 +tries=1 @$LAME4 lame.test SOA | grep -q 'status: REFUSED'"
    log "lame nsd up on $LAME4 (REFUSED to everything)"
}

# fail_capture_start_filter NAME FILTER: lab_capture_start with a tcpdump
# capture filter (for captures that would be too big with the SMTP traffic).
fail_capture_start_filter() {
    CAP_NAME=$1
    CAP_FILE=$RUN/$CAP_NAME.pcap
    rm -f "$CAP_FILE"
    ip netns exec "$NS_SND" tcpdump -i eth0 -s 0 -U -n -Z root -w "$CAP_FILE" "$2" \
        2>"$RUN/tcpdump-$CAP_NAME.err" &
    CAP_PID=$!
    wait_for "tcpdump" 10 grep -q 'listening on' "$RUN/tcpdump-$CAP_NAME.err"
    sleep 0.5
    log "capturing $CAP_NAME on $NS_SND eth0 (filter: $2)"
}
