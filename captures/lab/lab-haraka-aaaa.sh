#!/bin/bash
# lab-haraka-aaaa.sh: Haraka (Node.js, npm package Haraka, pinned below) as
# the sender. Its outbound module resolves with Node's dns module (c-ares),
# not glibc. Resolver arrangement of lab-aaaa-servfail.sh: dnsdist on
# 10.53.0.53 answers SERVFAIL to AAAA for mx.broken-aaaa.test and
# mx6.broken-aaaa.test and passes everything else to unbound. Each capture:
# a fresh Haraka (no DNS cache from the previous case) listening on
# 127.0.0.1:25 inside the sender namespace, one message submitted over SMTP
# from 127.0.0.1 (relay plugin ACL: relaying, so the message goes to
# Haraka's outbound queue and real MX delivery). Deferred messages are
# retried by Haraka itself: outbound.ini temp_fail_intervals=65s*2, so at
# most three attempts about 65 s apart, then "Too many failures". Bounces
# are dropped by a one-hook lab plugin (like Exim's :blackhole: router here).
#
# captures/lab-haraka-aaaa.pcap: the seed case (P1/P2),
#   user@broken-aaaa.test (MX mx.broken-aaaa.test: A 10.53.0.25, AAAA SERVFAIL).
# captures/lab-haraka-aaaa-noa.pcap: user@v6mx.broken-aaaa.test (MX
#   mx6.broken-aaaa.test: AAAA SERVFAIL, no A record: A NODATA).
# captures/lab-haraka-nxdomain.pcap: user@nonexistent.test (NXDOMAIN).
# captures/lab-haraka-healthy.pcap: user@example.test, healthy: MX 10 mx1, 20 mx2
#   (both with A and AAAA), smtp-sink on all four addresses.
# Logs: captures/lab/logs/<capture>.log (Haraka's log: stdout, timestamps),
# .client.log (the SMTP submission transcript).
#
# Installation: "npm install" of the pinned Haraka and haraka-plugin-relay
# into HK_ROOT (default /var/tmp/mxlab-haraka), only when missing, with
# --omit=optional (no STUN client, no optional plugins) and
# --ignore-scripts. Nothing is written to /etc, /usr or /var/spool; Haraka's
# queue and configuration live in the run directory. Needs node >= 20, npm.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/mta-lib.sh"
lab_lock
NAME=lab-haraka
HK_VERSION=3.3.4
HK_RELAY_VERSION=1.0.2
HK_ROOT=${MXLAB_HARAKA_ROOT:-/var/tmp/mxlab-haraka}
HK_BIN=$HK_ROOT/node_modules/Haraka/bin/haraka
HK_INTERVALS=${MXLAB_HARAKA_INTERVALS:-65s*2}   # retries: > 60 s apart, 3 attempts
HK_PID=

# lab_haraka_tree: npm install the pinned packages into HK_ROOT (once).
lab_haraka_tree() {
    local t v
    for t in node npm python3 unshare; do
        command -v "$t" >/dev/null 2>&1 || die "missing tool: $t"
    done
    v=$(node -p 'process.versions.node.split(".")[0]')
    [ "$v" -ge 20 ] || die "Haraka $HK_VERSION needs node >= 20 (have $(node --version))"
    if [ ! -f "$HK_BIN" ] || [ "$(node -p "require('$HK_ROOT/node_modules/Haraka/package.json').version")" != "$HK_VERSION" ]; then
        log "npm install Haraka@$HK_VERSION into $HK_ROOT"
        mkdir -p "$HK_ROOT"
        ( cd "$HK_ROOT" && npm install --no-audit --no-fund --save-exact \
              --omit=optional --ignore-scripts --loglevel=error \
              "Haraka@$HK_VERSION" "haraka-plugin-relay@$HK_RELAY_VERSION" ) >&2 \
            || die "npm install Haraka@$HK_VERSION failed"
    fi
    [ -f "$HK_BIN" ] || die "no $HK_BIN after npm install"
    # Without the optional STUN client Haraka asks no public server for its
    # address (net-utils get_public_ip); refuse to run if it is there.
    [ ! -e "$HK_ROOT/node_modules/@msimerson/stun" ] \
        || die "$HK_ROOT has @msimerson/stun (STUN to public servers): reinstall with --omit=optional"
    log "  Haraka $(node -p "require('$HK_ROOT/node_modules/Haraka/package.json').version"), haraka-net-utils $(node -p "require('$HK_ROOT/node_modules/haraka-net-utils/package.json').version"), haraka-plugin-relay $(node -p "require('$HK_ROOT/node_modules/haraka-plugin-relay/package.json').version"), node $(node --version), c-ares $(node -p process.versions.ares)"
}

# lab_start_haraka INST: INST's Haraka directory (config/, plugins/, queue/) and Haraka in the foreground in the sender namespace, in a private
# UTS namespace with host name sender.lab.test; its stdout/stderr is
# $RUN/INST/maillog (lab_wait_log reads it).
lab_start_haraka() {
    local inst=$1
    local d=$RUN/$inst
    lab_haraka_tree
    # "haraka -i" makes the directory a Haraka installation needs
    # (connection.ini, smtp.ini, log.ini, plugins, ...); the lab's files below
    # replace some of them.
    rm -rf "$d"
    ns_exec "$NS_SND" node "$HK_BIN" -i "$d" >/dev/null || die "haraka -i $d failed"
    mkdir -p "$d/queue"
    printf 'sender.lab.test\n' > "$d/config/me"
    cat > "$d/config/smtp.ini" <<'EOF'
[main]
listen=127.0.0.1:25
; no cluster, no daemon: one process in the foreground
EOF
    cat > "$d/config/log.ini" <<'EOF'
[main]
level=debug
timestamps=true
format=default
EOF
    cat > "$d/config/plugins" <<'EOF'
relay
mxlab_drop_bounce
EOF
    cat > "$d/config/relay.ini" <<'EOF'
[relay]
acl=true
force_routing=false
dest_domains=false
all=false
EOF
    printf '127.0.0.1/32\n' > "$d/config/relay_acl_allow"
    # Everything that touches DNS stays at Haraka's defaults (net-utils.ini
    # absent: c-ares timeout 25 s, tries 1; inet_prefer default). TLS off:
    # smtp-sink has no certificate worth negotiating.
    cat > "$d/config/outbound.ini" <<EOF
enable_tls=false
temp_fail_intervals=$HK_INTERVALS
EOF
    cat > "$d/plugins/mxlab_drop_bounce.js" <<'EOF'
// mxsniff lab: log what the bounce (DSN) would say per recipient, then drop
// it (the sender domain is not in the lab's DNS).
exports.hook_bounce = function (next, hmail, err) {
    for (const r of hmail.todo.rcpt_to) {
        this.loginfo(`mxlab: bounce dropped: rcpt=${r} action=${r.dsn_action} ` +
            `status=${r.dsn_status} code=${r.dsn_code} msg="${r.dsn_msg}" error="${err.message}"`)
    }
    next(OK)
}
EOF
    # The host name in the namespace's hosts file, as for the other MTAs
    # (Haraka's own address lookups go to DNS all the same: c-ares resolve*).
    grep -q 'sender.lab.test' "/etc/netns/$NS_SND/hosts" || \
        printf '%s\tsender.lab.test sender\n%s\tsender.lab.test sender\n' \
            "$SND4" "$SND6" >> "/etc/netns/$NS_SND/hosts"
    : > "$d/maillog"
    # shellcheck disable=SC2016 # expanded by the inner sh
    ip netns exec "$NS_SND" unshare -u sh -c '
        hostname sender.lab.test
        echo $$ > "$1/haraka.pid"
        exec node "$2" -c "$1"' sh "$d" "$HK_BIN" >>"$d/maillog" 2>&1 &
    wait_for "haraka $inst pid" 10 test -s "$d/haraka.pid"
    HK_PID=$(cat "$d/haraka.pid")
    wait_for "haraka $inst" 30 ns_exec "$NS_SND" sh -c "ss -ltnH | grep -q '127.0.0.1:25 '"
    log "haraka $inst up (pid $HK_PID)"
}

# lab_haraka_send INST FROM RCPT SUBJECT: one message over SMTP to
# 127.0.0.1:25 from inside the sender namespace (python3 smtplib), the
# transcript into $RUN/INST/client.log.
lab_haraka_send() {
    local d=$RUN/$1
    { printf '$ smtp 127.0.0.1:25 MAIL FROM:<%s> RCPT TO:<%s>    (%s)\n' "$2" "$3" "$(date +%T)"
      ns_exec "$NS_SND" python3 - "$2" "$3" "$4" "$LAB_NAME.$RANDOM" <<'EOF' 2>&1
import smtplib, sys
frm, rcpt, subj, mid = sys.argv[1:5]
msg = (f"From: <{frm}>\r\nTo: <{rcpt}>\r\nSubject: {subj}\r\n"
       f"Message-ID: <{mid}@sender.lab.test>\r\n\r\nmxsniff lab message.\r\n")
s = smtplib.SMTP("127.0.0.1", 25, local_hostname="client.sender.lab.test", timeout=30)
s.set_debuglevel(1)
s.ehlo()
s.sendmail(frm, [rcpt], msg)
s.quit()
EOF
    } >>"$d/client.log" || die "SMTP submission to haraka $1 failed"
    log "submitted $2 -> $3 via haraka $1"
}

# Haraka's outbound results: delivered (NOTICE), temp fail, bounce (INFO).
RESULT='\[outbound\] +(delivered file=|Temp failing |bouncing mail: )'

# haraka_case INST CAPTURE RCPT
haraka_case() {
    local inst=$1 cap=$2 rcpt=$3 n
    local ml=$RUN/$inst/maillog
    lab_start_haraka "$inst"
    lab_capture_start "$cap"
    lab_haraka_send "$inst" sender@sender.lab.test "$rcpt" "$cap"
    lab_wait_log "$inst" "$RESULT" 60
    # Haraka retries on its own (temp_fail_intervals): wait for each retry
    # while the last result is a temporary failure, up to three attempts.
    n=1
    while [ "$n" -lt 3 ] && grep -E "$RESULT" "$ml" | tail -n 1 | grep -q 'Temp failing '; do
        n=$((n + 1))
        lab_wait_log "$inst" "$RESULT" 150 "$n"
    done
    sleep 2
    lab_capture_stop
    stop_pid "$HK_PID"
    mkdir -p "$LAB_DIR/logs"
    cp "$ml" "$LAB_DIR/logs/$cap.log"
    cp "$RUN/$inst/client.log" "$LAB_DIR/logs/$cap.client.log"
    log "wrote captures/lab/logs/$cap.log, $cap.client.log"
}

lab_init "$NAME"
lab_setup
lab_start_nsd
lab_start_unbound "127.0.0.1@5300"
lab_start_dnsdist "$TPL/dnsdist-aaaa-servfail.conf.in"
lab_start_sinks
lab_resolvers "$RES4"

haraka_case hk   "$NAME-aaaa"     user@broken-aaaa.test
haraka_case hk6  "$NAME-aaaa-noa" user@v6mx.broken-aaaa.test
haraka_case hkn  "$NAME-nxdomain" user@nonexistent.test
haraka_case hkh  "$NAME-healthy"  user@example.test
lab_finish
