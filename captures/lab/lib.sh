# lib.sh: shared helpers for the mxsniff lab recordings (sourced, not run).
#
# Builds a private test network out of Linux network namespaces, starts
# real DNS/mail software inside them and records what the sender sees with
# tcpdump. Every address used here (10.53.0.0/24, fd53::/64) exists only
# inside the namespaces created below; the namespaces have no route to
# anything else, so no packet can leave the lab. Everything is torn down
# on exit (trap), including /etc/netns/mxl-* (resolv.conf/hosts overrides).
#
# Topology (one bridge, in its own namespace, joins all nodes):
#
#   mxl-snd   eth0 10.53.0.10  fd53::10   sender: Postfix, dig, getent (capture here)
#   mxl-res   eth0 10.53.0.53  fd53::53   resolver: unbound (and dnsdist)
#                  10.53.0.54             nothing listens (ICMP port unreachable)
#                  10.53.0.55             UDP/TCP 53 dropped by iptables in mxl-res
#   mxl-auth  eth0 10.53.0.2   fd53::2    authoritative: NSD (fake root, test., zones)
#   mxl-mx    eth0 10.53.0.25  fd53::25   SMTP sinks (Postfix smtp-sink), mx1 / mx
#                  10.53.0.26  fd53::26   mx2 / mail.other.test
#   mxl-net   br0                         bridge only, no addresses
#
# It does not: touch the host's network, its /etc/resolv.conf, the system
# Postfix instance (/etc/postfix is never read: each lab instance has its own
# config_directory), or kill any process it did not start (teardown kills
# only processes that live in the mxl-* namespaces, by pid).
#
# Usage in a scenario script:
#   . "$(dirname "$0")/lib.sh"; lab_init NAME; lab_setup; ...; lab_finish

set -euo pipefail

LAB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CAPTURES_DIR=$(cd "$LAB_DIR/.." && pwd)
TPL=$LAB_DIR/templates
ZONES=$TPL/zones
RUN_BASE=${MXLAB_RUN:-/tmp/mxlab}

# MXLAB_NS (default mxl) prefixes the namespace names, so that two
# recordings can run at once with different prefixes (each its own lab).
LAB_NS=${MXLAB_NS:-mxl}
case $LAB_NS in *[!a-z0-9]*|'') echo "lib.sh: MXLAB_NS must be [a-z0-9]+" >&2; exit 2;; esac
NS_NET=$LAB_NS-net
NS_SND=$LAB_NS-snd
NS_RES=$LAB_NS-res
NS_AUTH=$LAB_NS-auth
NS_MX=$LAB_NS-mx
LAB_NODES="$NS_SND $NS_RES $NS_AUTH $NS_MX"

SND4=10.53.0.10;  SND6=fd53::10
RES4=10.53.0.53;  RES6=fd53::53
DEAD4=10.53.0.54              # address with no listener
DROP4=10.53.0.55              # address whose port 53 is dropped
AUTH4=10.53.0.2;  AUTH6=fd53::2
MX1_4=10.53.0.25; MX1_6=fd53::25
MX2_4=10.53.0.26; MX2_6=fd53::26

LAB_NAME=
RUN=
CAP_PID=
CAP_FILE=
CAP_NAME=
LAB_MADE_NETNS_DIR=0

log() { printf '[%s %s] %s\n' "$(date +%T)" "${LAB_NAME:-lab}" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# ns_exec NS CMD...: run CMD inside namespace NS (with its /etc/netns files).
# Background daemons are started with "ip netns exec" directly (not through
# this function) so that $! is the daemon's own pid (ip execs the command).
ns_exec() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

lab_require() {
    [ "$(id -u)" = 0 ] || die "must run as root (network namespaces)"
    local t
    for t in ip tcpdump dig nsd unbound unbound-checkconf nsd-checkconf postfix \
             postconf smtp-sink getent iptables sed awk; do
        command -v "$t" >/dev/null 2>&1 || die "missing tool: $t"
    done
}

# stop_pid PID: SIGINT, wait up to 5 s, then SIGKILL; reaps our child.
stop_pid() {
    local pid=$1 i
    kill -INT "$pid" 2>/dev/null || return 0
    for i in $(seq 1 25); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.2
    done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

# lab_teardown: idempotent; safe to call when nothing exists.
lab_teardown() {
    set +e
    [ -n "${CAP_PID:-}" ] && stop_pid "$CAP_PID"
    CAP_PID=
    local ns pid pids
    for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep "^$LAB_NS-"); do
        pids=$(ip netns pids "$ns" 2>/dev/null)
        for pid in $pids; do kill "$pid" 2>/dev/null; done
    done
    for _ in 1 2 3 4 5 6 7 8 9 10; do
        pids=
        for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep "^$LAB_NS-"); do
            pids="$pids $(ip netns pids "$ns" 2>/dev/null)"
        done
        [ -z "${pids// /}" ] && break
        sleep 0.3
    done
    for pid in $pids; do kill -KILL "$pid" 2>/dev/null; done
    for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep "^$LAB_NS-"); do
        ip netns del "$ns" 2>/dev/null
    done
    rm -rf /etc/netns/"$LAB_NS"-*
    # Remove /etc/netns only if this run created it (and it is empty).
    [ "${LAB_MADE_NETNS_DIR:-0}" = 1 ] && rmdir /etc/netns 2>/dev/null
    set -e
    return 0
}

lab_on_exit() {
    local rc=$?
    lab_teardown
    if [ "$rc" != 0 ]; then log "failed (rc=$rc); run files kept in $RUN"; fi
    return "$rc"
}

# lab_init NAME: check tools, fresh run directory, cleanup trap.
lab_init() {
    LAB_NAME=$1
    lab_require
    RUN=$RUN_BASE/$LAB_NAME
    rm -rf "$RUN"; mkdir -p "$RUN"
    chmod 755 "$RUN_BASE" "$RUN"
    trap lab_on_exit EXIT
    trap 'exit 130' INT TERM
    lab_teardown
}

# mac for a node: 02:53:00:00:00:XX (stable frames across re-recordings).
lab_mac() { printf '02:53:00:00:00:%02x' "$1"; }

# lab_node NS IDX ADDR4... -- ADDR6...: veth eth0 in NS, peer on the bridge.
lab_node() {
    local ns=$1 idx=$2; shift 2
    local peer=p${ns#"$LAB_NS"-}
    ip link add eth0 netns "$ns" address "$(lab_mac "$idx")" type veth \
        peer name "$peer" netns "$NS_NET"
    ip -n "$NS_NET" link set "$peer" master br0 up
    ns_exec "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 \
        net.ipv6.conf.default.accept_dad=0 net.ipv6.conf.eth0.accept_dad=0 \
        net.ipv6.conf.eth0.accept_ra=0 net.ipv6.conf.eth0.router_solicitations=0 \
        net.ipv6.conf.eth0.dad_transmits=0
    local a v6=0
    for a in "$@"; do
        if [ "$a" = -- ]; then v6=1; continue; fi
        if [ $v6 = 0 ]; then ip -n "$ns" addr add "$a/24" dev eth0
        else ip -n "$ns" addr add "$a/64" dev eth0 nodad; fi
    done
    ip -n "$ns" link set lo up
    ip -n "$ns" link set eth0 up
    # veth hands packets over with CHECKSUM_PARTIAL, so tcpdump shows UDP/TCP
    # checksums as bad (as on any host capturing its own traffic). Keep that
    # by default; MXLAB_FIX_CSUM=1 turns tx offload off (needs ethtool).
    if [ "${MXLAB_FIX_CSUM:-0}" = 1 ]; then
        ns_exec "$ns" ethtool -K eth0 tx off >/dev/null
    fi
    mkdir -p "/etc/netns/$ns"
    printf '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n' \
        > "/etc/netns/$ns/hosts"
    # Nothing inside the lab may use the host's resolver: default to a dead
    # loopback resolver; the sender's file is rewritten by lab_resolvers.
    printf 'nameserver 127.0.0.1\n' > "/etc/netns/$ns/resolv.conf"
}

lab_setup() {
    log "creating namespaces"
    [ -d /etc/netns ] || LAB_MADE_NETNS_DIR=1
    local ns
    for ns in $NS_NET $LAB_NODES; do ip netns add "$ns"; done
    ns_exec "$NS_NET" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
        net.ipv6.conf.default.disable_ipv6=1
    ip -n "$NS_NET" link add br0 type bridge
    ip -n "$NS_NET" link set br0 up
    lab_node "$NS_SND"  0x10 "$SND4" -- "$SND6"
    lab_node "$NS_RES"  0x53 "$RES4" "$DEAD4" "$DROP4" -- "$RES6"
    lab_node "$NS_AUTH" 0x02 "$AUTH4" -- "$AUTH6"
    lab_node "$NS_MX"   0x25 "$MX1_4" "$MX2_4" -- "$MX1_6" "$MX2_6"
    # Port 53 of DROP4 is a black hole (timeouts, no ICMP).
    ns_exec "$NS_RES" iptables -A INPUT -d "$DROP4" -p udp --dport 53 -j DROP
    ns_exec "$NS_RES" iptables -A INPUT -d "$DROP4" -p tcp --dport 53 -j DROP
    lab_resolvers "$RES4"
    # Let the bridge learn and settle (no STP on a fresh bridge: forward at once).
    sleep 0.5
}

# lab_resolvers ADDR...: the sender's /etc/resolv.conf (rewritten in place so
# that running processes see the same inode). Call before starting Postfix.
# When LAB_RESOLV_OPTIONS is set and not empty, an "options ..." line with
# its words follows the nameserver lines (lab-resolv-options.sh); unset, the
# file is as it always was.
lab_resolvers() {
    local f=/etc/netns/$NS_SND/resolv.conf a
    { printf '# mxsniff lab: sender resolv.conf (%s)\n' "$LAB_NAME"
      for a in "$@"; do printf 'nameserver %s\n' "$a"; done
      if [ -n "${LAB_RESOLV_OPTIONS:-}" ]; then
          printf 'options %s\n' "$LAB_RESOLV_OPTIONS"
      fi; } > "$f.tmp"
    cat "$f.tmp" > "$f"; rm -f "$f.tmp"
}

# wait_for DESC TIMEOUT CMD...: poll CMD every 0.2 s until it succeeds.
wait_for() {
    local desc=$1 t=$2; shift 2
    local end=$(( $(date +%s) + t ))
    until "$@" >/dev/null 2>&1; do
        [ "$(date +%s)" -lt "$end" ] || die "timeout waiting for $desc"
        sleep 0.2
    done
}

# dns_ok NS SERVER PORT NAME TYPE: true when SERVER answers with NOERROR.
dns_ok() {
    ns_exec "$1" dig +time=1 +tries=1 -p "$3" @"$2" "$4" "$5" 2>/dev/null \
        | grep -q 'status: NOERROR'
}

subst() {   # subst IN OUT: replace @RUN@ @ZONES@ placeholders.
    sed -e "s|@RUN@|$RUN|g" -e "s|@ZONES@|$ZONES|g" "$1" > "$2"
}

lab_start_nsd() {
    mkdir -p "$RUN/nsd"
    subst "$TPL/nsd.conf.in" "$RUN/nsd/nsd.conf"
    nsd-checkconf "$RUN/nsd/nsd.conf" || die "nsd.conf invalid"
    ip netns exec "$NS_AUTH" nsd -d -c "$RUN/nsd/nsd.conf" >"$RUN/nsd/stderr" 2>&1 &
    wait_for "nsd" 20 dns_ok "$NS_AUTH" "$AUTH4" 53 example.test SOA
    log "nsd up on $AUTH4/$AUTH6"
}

# lab_start_unbound "IFACE@PORT ..." ["access-control: NET ACTION" ...]
lab_start_unbound() {
    local ifaces=$1; shift
    mkdir -p "$RUN/unbound"
    local i acl ilines='' alines=''
    for i in $ifaces; do ilines="$ilines    interface: $i\n"; done
    for acl in "$@"; do alines="$alines    $acl\n"; done
    subst "$TPL/unbound.conf.in" "$RUN/unbound/unbound.conf.tmp"
    awk -v I="$ilines" -v A="$alines" '
        /^@INTERFACES@$/ { printf "%s", I; next }
        /^@ACL@$/        { printf "%s", A; next }
        { print }' "$RUN/unbound/unbound.conf.tmp" \
        | sed 's/\\n/\n/g' > "$RUN/unbound/unbound.conf"
    rm -f "$RUN/unbound/unbound.conf.tmp"
    unbound-checkconf "$RUN/unbound/unbound.conf" >/dev/null || die "unbound.conf invalid"
    ip netns exec "$NS_RES" unbound -d -c "$RUN/unbound/unbound.conf" >"$RUN/unbound/stderr" 2>&1 &
    local first=${ifaces%% *} addr port=53
    addr=${first%@*}; [ "$addr" != "$first" ] && port=${first#*@}
    # Probe from inside mxl-res (loopback/local traffic, never on the
    # sender's interface). Primes the root only.
    wait_for "unbound" 20 dns_ok "$NS_RES" "$addr" "$port" . SOA
    log "unbound up on $ifaces"
}

# lab_start_dnsdist TEMPLATE: dnsdist in mxl-res, probed on RES4:53.
lab_start_dnsdist() {
    mkdir -p "$RUN/dnsdist"
    subst "$1" "$RUN/dnsdist/dnsdist.conf"
    ip netns exec "$NS_RES" dnsdist --supervised --disable-syslog \
        -C "$RUN/dnsdist/dnsdist.conf" >"$RUN/dnsdist/stderr" 2>&1 &
    wait_for "dnsdist" 20 dns_ok "$NS_RES" "$RES4" 53 . SOA
    log "dnsdist up on $RES4/$RES6"
}

# SMTP sinks: Postfix's smtp-sink test server on all four MX addresses.
lab_start_sinks() {
    mkdir -p "$RUN/sink"
    local a
    for a in "$MX1_4" "[$MX1_6]" "$MX2_4" "[$MX2_6]"; do
        ip netns exec "$NS_MX" smtp-sink -u nobody -h mx.lab.test "$a:25" 64 \
            >>"$RUN/sink/stderr" 2>&1 &
    done
    wait_for "smtp-sink" 10 ns_exec "$NS_MX" sh -c \
        "ss -ltnH | grep -c ':25 ' | grep -qx 4"
    log "smtp-sinks up on $MX1_4 $MX2_4 $MX1_6 $MX2_6 port 25"
}

# lab_start_postfix INST INET_PROTOCOLS [main.cf line ...]
# A private Postfix instance (config, queue and data under $RUN/INST) in the
# sender namespace. Its log goes to $RUN/INST/maillog (postlogd).
# PF_MAIN_TPL / PF_MASTER_TPL name other main.cf / master.cf templates
# (default templates/postfix-main.cf.in, postfix-master.cf.in; lab-inbound.sh).
lab_start_postfix() {
    local inst=$1 proto=$2; shift 2
    local d=$RUN/$inst
    mkdir -p "$d/etc" "$d/queue" "$d/data"
    chown postfix "$d/data"
    subst "${PF_MAIN_TPL:-$TPL/postfix-main.cf.in}" "$d/etc/main.cf.tmp"
    sed -e "s|@INET_PROTOCOLS@|$proto|" -e "s|@PFDIR@|$d|g" -e '/^@EXTRA@$/d' "$d/etc/main.cf.tmp" > "$d/etc/main.cf"
    rm -f "$d/etc/main.cf.tmp"
    local l
    for l in "$@"; do printf '%s\n' "$l" >> "$d/etc/main.cf"; done
    cp "${PF_MASTER_TPL:-$TPL/postfix-master.cf.in}" "$d/etc/master.cf"
    ns_exec "$NS_SND" postfix -c "$d/etc" check >"$d/start.log" 2>&1 || true
    ns_exec "$NS_SND" postfix -c "$d/etc" start >>"$d/start.log" 2>&1 \
        || { script -qc "postfix -c $d/etc check" /dev/null >&2 || true
             die "postfix $inst did not start"; }
    wait_for "postfix $inst master" 20 test -s "$d/queue/pid/master.pid"
    wait_for "postfix $inst log" 20 grep -q 'daemon started' "$d/maillog"
    log "postfix $inst up (inet_protocols=$proto)"
}

lab_stop_postfix() {
    local d=$RUN/$1
    ns_exec "$NS_SND" postfix -c "$d/etc" stop >>"$d/start.log" 2>&1 || true
    local i
    for i in $(seq 1 50); do
        [ -s "$d/queue/pid/master.pid" ] || break
        kill -0 "$(tr -d ' ' < "$d/queue/pid/master.pid")" 2>/dev/null || break
        sleep 0.2
    done
}

# lab_send INST FROM RCPT SUBJECT: submit one message with Postfix sendmail.
lab_send() {
    local d=$RUN/$1
    printf 'From: <%s>\nTo: <%s>\nSubject: %s\nMessage-ID: <%s@sender.lab.test>\n\nmxsniff lab message (%s).\n' \
        "$2" "$3" "$4" "$LAB_NAME.$RANDOM" "$LAB_NAME" \
        | ns_exec "$NS_SND" sendmail -C "$d/etc" -f "$2" -- "$3"
    log "submitted $2 -> $3 via postfix $1"
}

log_count_ge() { [ "$(grep -cE -- "$2" "$1" 2>/dev/null)" -ge "$3" ]; }

# lab_wait_log INST REGEX TIMEOUT [COUNT]: wait for COUNT matching log lines.
lab_wait_log() {
    local f=$RUN/$1/maillog re=$2 t=$3 n=${4:-1}
    wait_for "log /$re/ x$n in $1" "$t" log_count_ge "$f" "$re" "$n"
    grep -E -- "$re" "$f" | tail -n "$n" | sed 's/^/    /' >&2
}

# lab_capture_start NAME [IFACE]: tcpdump on the sender's eth0 (or IFACE,
# e.g. any), full snaplen.
lab_capture_start() {
    CAP_NAME=$1
    local ifc=${2:-eth0}
    CAP_FILE=$RUN/$CAP_NAME.pcap
    rm -f "$CAP_FILE"
    ip netns exec "$NS_SND" tcpdump -i "$ifc" -s 0 -U -n -Z root -w "$CAP_FILE" \
        2>"$RUN/tcpdump-$CAP_NAME.err" &
    CAP_PID=$!
    wait_for "tcpdump" 10 grep -q 'listening on' "$RUN/tcpdump-$CAP_NAME.err"
    sleep 0.5
    log "capturing $CAP_NAME on $NS_SND $ifc"
}

# lab_capture_stop [LINGER]: wait LINGER seconds (default 1) for trailing
# packets, stop tcpdump, copy the pcap into captures/.
# shellcheck disable=SC2120
lab_capture_stop() {
    sleep "${1:-1}"
    stop_pid "$CAP_PID"
    CAP_PID=
    cp "$CAP_FILE" "$CAPTURES_DIR/$CAP_NAME.pcap"
    local size pk
    size=$(stat -c %s "$CAPTURES_DIR/$CAP_NAME.pcap")
    pk=$(tcpdump -nn -r "$CAPTURES_DIR/$CAP_NAME.pcap" 2>/dev/null | wc -l)
    log "wrote captures/$CAP_NAME.pcap ($pk packets, $size bytes)"
    [ "$size" -lt 204800 ] || log "WARNING: $CAP_NAME.pcap is larger than 200 KB"
}

# lab_keep_log INST NAME: copy the instance's maillog to logs/NAME.log.
lab_keep_log() {
    mkdir -p "$LAB_DIR/logs"
    cp "$RUN/$1/maillog" "$LAB_DIR/logs/$2.log"
    log "wrote captures/lab/logs/$2.log"
}

# lab_dig ARGS...: dig inside the sender namespace, output into the run log.
lab_dig() {
    { printf '$ dig %s\n' "$*"; ns_exec "$NS_SND" dig "$@" || true; } >>"$RUN/client.log" 2>&1
}

lab_finish() {
    lab_teardown
    trap - EXIT INT TERM
    log "done"
}

# --- Sendmail in the lab (lab-sendmail-aaaa.sh) ---------------------------
# Debian's sendmail packages conflict with the installed postfix package
# (both provide mail-transport-agent), so Sendmail is not installed: the
# .debs are fetched with "apt-get download" and unpacked with "dpkg-deb -x"
# into a private tree (SM_ROOT); the binary runs from there with its own
# sendmail.cf. Nothing is written to /etc/mail or /usr.
SM_PKGS="sendmail-bin sendmail-base sendmail-cf"
SM_ROOT=${MXLAB_SENDMAIL_ROOT:-/var/tmp/mxlab-sendmail}
SM_BIN=$SM_ROOT/usr/libexec/sendmail/sendmail
SM_CF_DIR=$SM_ROOT/usr/share/sendmail/cf

# lab_sendmail_tree: unpack the Sendmail .debs into SM_ROOT (once).
lab_sendmail_tree() {
    local d t
    for t in m4 python3 unshare apt-get dpkg-deb; do
        command -v "$t" >/dev/null 2>&1 || die "missing tool: $t"
    done
    if [ ! -x "$SM_BIN" ]; then
        log "fetching $SM_PKGS into $SM_ROOT"
        mkdir -p "$SM_ROOT/debs"
        # shellcheck disable=SC2086 # a list of package names
        ( cd "$SM_ROOT/debs" && apt-get download $SM_PKGS ) >&2 \
            || die "apt-get download $SM_PKGS failed"
        for d in "$SM_ROOT"/debs/*.deb; do dpkg-deb -x "$d" "$SM_ROOT"; done
    fi
    [ -x "$SM_BIN" ] || die "no $SM_BIN after unpacking"
    ! ldd "$SM_BIN" | grep -q 'not found' \
        || die "sendmail lacks libraries: $(ldd "$SM_BIN" | grep 'not found' | tr '\n' ' ')"
    for d in "$SM_ROOT"/debs/*.deb; do log "  ${d##*/}"; done
}

# lab_syslog_start INST: a small syslog receiver (datagram socket
# $RUN/INST/log.sock) in the sender namespace that writes what it gets to
# $RUN/INST/maillog in the usual file format ("Mon dd hh:mm:ss host tag:").
# Sendmail has no log file option; lab_sm gives it this socket as /dev/log.
lab_syslog_start() {
    local d=$RUN/$1
    mkdir -p "$d"; : > "$d/maillog"
    ip netns exec "$NS_SND" python3 -c '
import os, re, socket, sys
path, out = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
os.chmod(path, 0o666)
with open(out, "a", buffering=1) as f:
    while True:
        m = s.recv(65536).decode("utf-8", "replace").rstrip("\n\0")
        m = re.sub(r"^<[0-9]+>", "", m)
        f.write(m[:15] + " sender " + m[16:] + "\n")
' "$d/log.sock" "$d/maillog" >"$d/syslog.stderr" 2>&1 &
    wait_for "syslog socket $1" 10 test -S "$d/log.sock"
}

# lab_sm INST ARGS...: run the unpacked sendmail with INST's sendmail.cf in
# the sender namespace, in a private mount and UTS namespace: host name
# sender.lab.test, and a private /dev (tmpfs with null/zero/random/urandom)
# whose /dev/log is INST's syslog socket. Nothing outside that process
# tree sees the mounts.
lab_sm() {
    local d=$RUN/$1; shift
    # shellcheck disable=SC2016 # expanded by the inner sh
    ip netns exec "$NS_SND" unshare -m -u --propagation private sh -c '
        set -e
        d=$1; shift
        hostname sender.lab.test
        mount -t tmpfs -o mode=0755,size=64k mxlab-dev /dev
        mknod -m 666 /dev/null c 1 3; mknod -m 666 /dev/zero c 1 5
        mknod -m 666 /dev/random c 1 8; mknod -m 666 /dev/urandom c 1 9
        ln -s /proc/self/fd /dev/fd; ln -s "$d/log.sock" /dev/log
        exec "$@"' sh "$d" "$SM_BIN" -C "$d/etc/sendmail.cf" "$@"
}

# lab_start_sendmail INST [m4 line ...]: build INST's sendmail.cf from
# templates/sendmail.mc.in (extra m4 lines replace @EXTRA@) with the
# unpacked sendmail-cf tree, make its queue, aliases, service switch and
# syslog receiver, and add sender.lab.test to the sender's hosts file.
# No daemon is started: lab_sm_send queues, lab_sm_queue_run delivers.
lab_start_sendmail() {
    local inst=$1; shift
    local d=$RUN/$inst l extra=''
    lab_sendmail_tree
    mkdir -p "$d/etc" "$d/queue"
    chmod 700 "$d/queue"
    for l in "$@"; do extra="$extra$l\n"; done
    sed -e "s|@SMDIR@|$d|g" "$TPL/sendmail.mc.in" \
        | awk -v E="$extra" '/^@EXTRA@$/ { printf "%s", E; next } { print }' \
        | sed 's/\\n/\n/g' > "$d/etc/sendmail.mc"
    m4 -D_CF_DIR_="$SM_CF_DIR/" "$SM_CF_DIR/m4/cf.m4" "$d/etc/sendmail.mc" \
        > "$d/etc/sendmail.cf" || die "m4 failed for $inst"
    : > "$d/etc/aliases"
    printf 'passwd\t\tfiles\nhosts\t\tfiles dns\naliases\t\tfiles\n' > "$d/etc/service.switch"
    grep -q 'sender.lab.test' "/etc/netns/$NS_SND/hosts" || \
        printf '%s\tsender.lab.test sender\n%s\tsender.lab.test sender\n' \
            "$SND4" "$SND6" >> "/etc/netns/$NS_SND/hosts"
    lab_syslog_start "$inst"
    lab_sm "$inst" -bi >"$d/start.log" 2>&1 || { cat "$d/start.log" >&2; die "sendmail $inst: newaliases failed"; }
    log "sendmail $inst ready (version $(lab_sm "$inst" -d0.1 -bt </dev/null 2>/dev/null | sed -n 's/^Version //p'))"
}

# lab_sm_send INST FROM RCPT SUBJECT: queue one message (-odq: no delivery
# attempt at submission).
lab_sm_send() {
    local inst=$1
    printf 'From: <%s>\nTo: <%s>\nSubject: %s\nMessage-ID: <%s@sender.lab.test>\n\nmxsniff lab message (%s).\n' \
        "$2" "$3" "$4" "$LAB_NAME.$RANDOM" "$LAB_NAME" \
        | lab_sm "$inst" -odq -oi -f "$2" -- "$3"
    log "queued $2 -> $3 via sendmail $inst"
}

# lab_sm_queue_run INST: one forced queue run in the foreground (-q -v),
# SMTP/DNS transcript appended to $RUN/INST/queue-runs.log.
lab_sm_queue_run() {
    local d=$RUN/$1
    { printf '$ sendmail -C %s -q -v    (%s)\n' "$d/etc/sendmail.cf" "$(date +%T)"
      lab_sm "$1" -q -v 2>&1 || true; } >>"$d/queue-runs.log"
    log "queue run of sendmail $1 done"
}

# lab_start_unbound_edited SED_SCRIPT "IFACE ..." ["server: line" ...]: like
# lab_start_unbound, but the generated unbound.conf is first edited with the
# sed script SED_SCRIPT (e.g. to replace the module-config line); extra
# lines go into the server: clause. Used by diag-lib.sh and fail-lib.sh.
lab_start_unbound_edited() {
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

