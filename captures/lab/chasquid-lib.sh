# shellcheck shell=bash
# chasquid-lib.sh: chasquid (Debian 12's chasquid 1.11-2+b2, written in Go)
# as a sender in the lab (sourced after lib.sh and mta-lib.sh). Used by
# lab-chasquid-aaaa.sh, which describes the cases; captures/README.md
# "chasquid" says what it did.
#
# Not installed: chasquid provides mail-transport-agent and would remove
# postfix. "apt-get download chasquid" and "dpkg-deb -x" into CQ_ROOT
# (lab_mta_tree, once); no maintainer script runs. chasquid takes its
# configuration directory on the command line (-config_dir) and every other
# path from its chasquid.conf (data_dir, mail_log_path), so no overlay is
# needed: each instance has its own tree under $RUN/INST, and the daemon
# runs in the sender's network namespace inside "unshare -u" (host name
# sender.lab.test, which Go's resolver, like glibc's, takes the search
# domain lab.test from when resolv.conf has no search line). It writes
# nothing outside $RUN/INST.
#
# Settings (environment): MXLAB_CHASQUID_ROOT (default
# /var/tmp/mxlab-chasquid), MXLAB_CQ_ATTEMPTS (delivery attempts to wait
# for when a case defers, default 2: the first retry comes 1 min + jitter
# after the first attempt), MXLAB_CQ_WAIT (cap in seconds on the wait for
# one attempt's result, default 150).
#
# Every function runs chasquid only inside the sender namespace.

CQ_PKGS="chasquid"
CQ_ROOT=${MXLAB_CHASQUID_ROOT:-/var/tmp/mxlab-chasquid}
CQ_BIN=$CQ_ROOT/usr/bin/chasquid
CQ_UTIL=$CQ_ROOT/usr/bin/chasquid-util
CQ_ATTEMPTS=${MXLAB_CQ_ATTEMPTS:-2}
CQ_WAIT=${MXLAB_CQ_WAIT:-150}
CQ_PID=
CQ_USER=sender@sender.lab.test
CQ_PASS=mxlab-secret

# The result of each delivery attempt to the remote recipient in chasquid's
# mail log (internal/maillog): "... to=<rcpt> sent" or "... to=<rcpt>
# failed ...".
CQ_RESULT='to=user@[^ ]* (sent|failed)'

# lab_cq_tree: unpack the .deb into CQ_ROOT (once).
lab_cq_tree() {
    command -v openssl >/dev/null 2>&1 || die "missing tool: openssl"
    lab_mta_tree "$CQ_ROOT" "$CQ_BIN" $CQ_PKGS
}

# lab_cq_conf INST: INST's configuration directory $RUN/INST/etc, made from
# the package's /etc/chasquid as Debian installs it (chasquid.conf with
# every option commented out, hooks/post-data, certs/README.certs), plus
# what an administrator must add for a host without systemd socket
# activation and with direct MX delivery:
#   hostname "sender.lab.test"; smtp_address, submission_address and
#   submission_over_tls_address on 127.0.0.1 (the default "systemd" needs
#   socket activation); data_dir $RUN/INST/data; mail_log_path
#   $RUN/INST/maillog (Debian's default is "<syslog>": the same lines);
#   mail_delivery_agent_bin /bin/sh appending to $RUN/INST/mail/<user>
#   (the default is maildrop, not installed; only the bounce to the local
#   sender uses it);
#   the local domain sender.lab.test with the user sender (chasquid-util
#   user-add) and a self-signed certificate certs/sender.lab.test/
#   (chasquid refuses to start without one; AUTH needs TLS).
# No smarthost setting exists: remote mail goes to the recipient's MX.
lab_cq_conf() {
    local d=${RUN:?}/${1:?}
    rm -rf "${d:?}/etc" "${d:?}/data" "${d:?}/mail"
    mkdir -p "$d/data" "$d/mail"
    cp -a "$CQ_ROOT/etc/chasquid" "$d/etc"
    mkdir -p "$d/etc/domains/sender.lab.test" "$d/etc/certs/sender.lab.test"
    cat >> "$d/etc/chasquid.conf" <<EOF

# --- mxsniff lab ($LAB_NAME, instance $1) ---
hostname: "sender.lab.test"
smtp_address: "127.0.0.1:25"
submission_address: "127.0.0.1:587"
submission_over_tls_address: "127.0.0.1:465"
data_dir: "$d/data"
mail_log_path: "$d/maillog"
mail_delivery_agent_bin: "/bin/sh"
mail_delivery_agent_args: "-c"
mail_delivery_agent_args: "cat >> \"\$0\""
mail_delivery_agent_args: "$d/mail/%to_user%"
EOF
    openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj /CN=sender.lab.test \
        -addext subjectAltName=DNS:sender.lab.test \
        -keyout "$d/etc/certs/sender.lab.test/privkey.pem" \
        -out "$d/etc/certs/sender.lab.test/fullchain.pem" >/dev/null 2>&1 \
        || die "openssl: no certificate"
    "$CQ_UTIL" -C="$d/etc" user-add "$CQ_USER" --password="$CQ_PASS" >/dev/null \
        || die "chasquid-util user-add failed"
    : > "$d/maillog"
    grep -q 'sender.lab.test' "/etc/netns/$NS_SND/hosts" || \
        printf '%s\tsender.lab.test sender\n%s\tsender.lab.test sender\n' \
            "$SND4" "$SND6" >> "/etc/netns/$NS_SND/hosts"
}

# lab_start_chasquid INST: fresh configuration, data (queue, domaininfo,
# STS cache) and mail log; chasquid in the foreground (its own log, -v 1
# for the courier's debug lines, in $RUN/INST/chasquid.log), in the sender
# namespace with host name sender.lab.test. CQ_PID is the daemon's pid.
lab_start_chasquid() {
    local inst=$1
    local d=$RUN/$inst
    lab_cq_tree
    lab_cq_conf "$inst"
    : > "$d/client.log"
    ip netns exec "$NS_SND" unshare -u sh -c '
        hostname sender.lab.test
        exec "$@"' sh "$CQ_BIN" -config_dir "$d/etc" -logfile "$d/chasquid.log" -v 1 \
        >"$d/start.log" 2>&1 &
    CQ_PID=$!
    wait_for "chasquid $inst" 20 ns_exec "$NS_SND" sh -c \
        "ss -ltnH | grep -q '127.0.0.1:465 '"
    log "chasquid $inst up (pid $CQ_PID, package $(dpkg-deb -f "$CQ_ROOT"/debs/chasquid_*.deb Version))"
}

# lab_cq_send INST FROM RCPT SUBJECT: submit one message over SMTP
# submission with implicit TLS (127.0.0.1:465, inside the sender namespace:
# loopback, not in the capture), AUTH PLAIN as sender@sender.lab.test.
lab_cq_send() {
    local d=$RUN/$1
    {   printf '$ smtp submission 127.0.0.1:465 (TLS, AUTH %s) MAIL FROM:<%s> RCPT TO:<%s>    (%s)\n' \
            "$CQ_USER" "$2" "$3" "$(date +%T)"
        # shellcheck disable=SC2016 # a python program
        ns_exec "$NS_SND" python3 -c '
import smtplib, ssl, sys
user, pw, frm, rcpt, subj, mid, name = sys.argv[1:8]
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
msg = ("From: <%s>\r\nTo: <%s>\r\nSubject: %s\r\nMessage-ID: <%s@sender.lab.test>\r\n\r\n"
       "mxsniff lab message (%s).\r\n") % (frm, rcpt, subj, mid, name)
# local_hostname: no getfqdn() (a DNS lookup of the host name in the capture)
with smtplib.SMTP_SSL("127.0.0.1", 465, local_hostname="sender.lab.test",
                      context=ctx, timeout=30) as s:
    s.set_debuglevel(1)
    s.login(user, pw)
    s.sendmail(frm, [rcpt], msg)
    s.quit()
' "$CQ_USER" "$CQ_PASS" "$2" "$3" "$4" "$LAB_NAME.$RANDOM" "$LAB_NAME" 2>&1 \
            | grep -E "^(reply|send): " | grep -v "AUTH PLAIN" ; } >>"$d/client.log" \
        || die "submission to chasquid ($1) failed"
    wait_for "chasquid $1 queueing the message" 10 grep -q " queued ip=" "$RUN/$1/maillog"
    log "submitted $2 -> $3 via chasquid $1"
}

# cq_case INST CAPTURE RCPT: fresh chasquid, capture, one message; when the
# attempt fails temporarily, wait for chasquid's own retry (its queue
# retries after 1 min + up to 1 min jitter, internal/queue nextDelay) up to
# CQ_ATTEMPTS attempts; stop 2 s after the last result (or after a bounce's
# local delivery). Logs: <capture>.log (chasquid's mail log),
# <capture>.chasquid.log (its daemon log, -v 1), <capture>.client.log (the
# submission, the bounce if one was delivered to the local sender).
cq_case() {
    local inst=$1 cap=$2 rcpt=$3 n=1
    local d=$RUN/$inst ml=$RUN/$inst/maillog
    lab_start_chasquid "$inst"
    lab_capture_start "$cap"
    lab_cq_send "$inst" "$CQ_USER" "$rcpt" "$cap"
    lab_wait_log "$inst" "$CQ_RESULT" "$CQ_WAIT"
    while [ "$n" -lt "$CQ_ATTEMPTS" ] && grep -E "$CQ_RESULT" "$ml" | tail -n 1 \
            | grep -q 'failed' && ! grep -E "$CQ_RESULT" "$ml" | tail -n 1 | grep -q 'permanent'; do
        n=$((n + 1))
        lab_wait_log "$inst" "$CQ_RESULT" "$CQ_WAIT" "$n"
    done
    if grep -q 'to=sender@sender.lab.test' "$ml" || grep -qi 'permanent' "$ml"; then
        wait_for "the bounce's local delivery" 30 grep -qE 'to=sender@sender.lab.test (sent|failed)' "$ml" || true
    fi
    sleep 2
    lab_capture_stop
    stop_pid "$CQ_PID"
    CQ_PID=
    if ls "$d/mail/"* >/dev/null 2>&1; then
        { printf '$ cat mail/*    (local deliveries: the bounce to %s)\n' "$CQ_USER"
          cat "$d/mail/"*; } >>"$d/client.log"
    fi
    { printf '$ ls data/queue    (after the capture)\n'; ls -la "$d/data/queue" 2>&1; } >>"$d/client.log"
    mkdir -p "$LAB_DIR/logs"
    cp "$ml" "$LAB_DIR/logs/$cap.log"
    cp "$d/chasquid.log" "$LAB_DIR/logs/$cap.chasquid.log"
    cp "$d/client.log" "$LAB_DIR/logs/$cap.client.log"
    log "wrote captures/lab/logs/$cap.log, $cap.chasquid.log, $cap.client.log"
}
