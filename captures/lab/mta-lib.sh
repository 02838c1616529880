# shellcheck shell=bash
# mta-lib.sh: Exim and OpenSMTPD as senders in the lab (sourced after lib.sh).
#
# Like Sendmail (lib.sh lab_sendmail_tree), neither is installed: Debian's
# exim4-daemon-light and opensmtpd packages provide mail-transport-agent and
# would remove the installed postfix. Their .debs are fetched with
# "apt-get download" and unpacked with "dpkg-deb -x" into a private tree
# (EXIM_ROOT, OS_ROOT); nothing is written to /etc, /usr or /var/spool, and
# no maintainer script runs.
#
# Both programs want things a package installation would have made: system
# users (Debian-exim; opensmtpd, opensmtpq), and for OpenSMTPD its compiled-in
# paths (/var/spool/smtpd, /var/lib/opensmtpd/empty, /var/run/smtpd.sock).
# lab_mta_run gives each command a private mount and UTS namespace inside the
# sender's network namespace: host name sender.lab.test, /etc/passwd and
# /etc/group copies with those users added (bind mounts), a tmpfs /dev whose
# /dev/log is the instance's syslog receiver (lib.sh lab_syslog_start), and
# for OpenSMTPD tmpfs mounts on /var/spool, /var/lib and /run. Nothing
# outside that process tree sees any of it.
#
# Usage: . lib.sh; . mta-lib.sh; lab_start_exim INST ... / lab_start_opensmtpd INST ...

EXIM_PKGS="exim4-daemon-light exim4-base"
EXIM_ROOT=${MXLAB_EXIM_ROOT:-/var/tmp/mxlab-exim}
EXIM_BIN=$EXIM_ROOT/usr/sbin/exim4
OS_PKGS="opensmtpd"
OS_ROOT=${MXLAB_OPENSMTPD_ROOT:-/var/tmp/mxlab-opensmtpd}
OS_SMTPD=$OS_ROOT/usr/sbin/smtpd
OS_SMTPCTL=$OS_ROOT/usr/sbin/smtpctl
OS_PID=

# lab_mta_tree ROOT BIN PKGS...: unpack the packages' .debs into ROOT (once).
lab_mta_tree() {
    local root=$1 bin=$2 d t; shift 2
    for t in python3 unshare nsenter apt-get dpkg-deb; do
        command -v "$t" >/dev/null 2>&1 || die "missing tool: $t"
    done
    if [ ! -x "$bin" ]; then
        log "fetching $* into $root"
        mkdir -p "$root/debs"
        ( cd "$root/debs" && apt-get download "$@" ) >&2 \
            || die "apt-get download $* failed"
        for d in "$root"/debs/*.deb; do dpkg-deb -x "$d" "$root"; done
    fi
    [ -x "$bin" ] || die "no $bin after unpacking"
    ! ldd "$bin" | grep -q 'not found' \
        || die "${bin##*/} lacks libraries: $(ldd "$bin" | grep 'not found' | tr '\n' ' ')"
    for d in "$root"/debs/*.deb; do log "  ${d##*/}"; done
}

# lab_mta_identity INST: passwd/group copies for INST with the MTA users
# (uids/gids 60100-60102, unused on Debian) and the sender's host name in
# the sender namespace's hosts file.
lab_mta_identity() {
    local d=$RUN/$1
    mkdir -p "$d/id"
    { cat /etc/passwd
      printf 'Debian-exim:x:60100:60100:mxsniff lab:/nonexistent:/usr/sbin/nologin\n'
      printf 'opensmtpd:x:60101:60101:mxsniff lab:/nonexistent:/usr/sbin/nologin\n'
      printf 'opensmtpq:x:60102:60102:mxsniff lab:/nonexistent:/usr/sbin/nologin\n'
    } > "$d/id/passwd"
    { cat /etc/group
      printf 'Debian-exim:x:60100:\nopensmtpd:x:60101:\nopensmtpq:x:60102:\n'
    } > "$d/id/group"
    printf 'sender.lab.test\n' > "$d/id/mailname"
    chmod 644 "$d/id/passwd" "$d/id/group" "$d/id/mailname"
    grep -q 'sender.lab.test' "/etc/netns/$NS_SND/hosts" || \
        printf '%s\tsender.lab.test sender\n%s\tsender.lab.test sender\n' \
            "$SND4" "$SND6" >> "/etc/netns/$NS_SND/hosts"
}

# lab_mta_run INST KIND CMD...: run CMD in the sender namespace in a private
# mount + UTS namespace (see the header). KIND exim|opensmtpd. For exim the
# unpacked usr/sbin is bind-mounted on /usr/sbin (Exim re-executes
# /usr/sbin/exim4 to send a bounce). With MXLAB_PIDFILE set, the pid of the
# process that becomes CMD is written there (nsenter -t joins it later).
lab_mta_run() {
    local d=$RUN/$1 kind=$2 root=$OS_ROOT; shift 2
    [ "$kind" = exim ] && root=$EXIM_ROOT
    # shellcheck disable=SC2016 # expanded by the inner sh
    ip netns exec "$NS_SND" unshare -m -u --propagation private sh -c '
        set -e
        d=$1; kind=$2; root=$3; shift 3
        hostname sender.lab.test
        mount --bind "$d/id/passwd" /etc/passwd
        mount --bind "$d/id/group" /etc/group
        mount -t tmpfs -o mode=0755,size=64k mxlab-dev /dev
        mknod -m 666 /dev/null c 1 3; mknod -m 666 /dev/zero c 1 5
        mknod -m 666 /dev/random c 1 8; mknod -m 666 /dev/urandom c 1 9
        ln -s /proc/self/fd /dev/fd; ln -s "$d/log.sock" /dev/log
        # Exim re-executes itself by its compiled-in path (bounces: -t).
        [ "$kind" != exim ] || mount --bind "$root/usr/sbin" /usr/sbin
        if [ "$kind" = opensmtpd ]; then
            mount -t tmpfs -o mode=0755,size=8m mxlab-spool /var/spool
            mount -t tmpfs -o mode=0755,size=64k mxlab-lib /var/lib
            mkdir -p /var/lib/opensmtpd/empty
            mount -t tmpfs -o mode=0755,size=64k mxlab-run /run
            # mda deliveries run /usr/libexec/opensmtpd/mail.mda.
            mount --bind "$root/usr/libexec" /usr/libexec
        fi
        [ -z "${MXLAB_PIDFILE:-}" ] || echo $$ > "$MXLAB_PIDFILE"
        exec "$@"' sh "$d" "$kind" "$root" "$@"
}

# lab_lock: take /tmp/mxlab.lock (as record-all.sh does) unless this
# process already holds it (fd 9 inherited from record-all.sh).
lab_lock() {
    [ "$(readlink /proc/self/fd/9 2>/dev/null)" = /tmp/mxlab.lock ] && return 0
    exec 9>/tmp/mxlab.lock
    flock -n 9 || die "another lab run holds /tmp/mxlab.lock"
}

# --- Exim ---------------------------------------------------------------

# lab_start_exim INST [config line ...]: INST's exim.conf from
# templates/exim.conf.in, or the template named by EXIM_TPL (@EXDIR@ =
# instance directory; extra main-section lines replace @EXTRA@), spool and
# log directories. No daemon: lab_exim_send
# queues (-odq), lab_exim_queue_run delivers (-q, retry rules honoured).
lab_start_exim() {
    local inst=$1; shift
    local d=$RUN/$inst l extra=''
    # shellcheck disable=SC2086 # a list of package names
    lab_mta_tree "$EXIM_ROOT" "$EXIM_BIN" $EXIM_PKGS
    mkdir -p "$d/etc" "$d/spool" "$d/log"
    chown 60100:60100 "$d/spool" "$d/log"
    for l in "$@"; do extra="$extra$l\n"; done
    sed -e "s|@EXDIR@|$d|g" "${EXIM_TPL:-$TPL/exim.conf.in}" \
        | awk -v E="$extra" '/^@EXTRA@$/ { printf "%s", E; next } { print }' \
        | sed 's/\\n/\n/g' > "$d/etc/exim.conf"
    chmod 644 "$d/etc/exim.conf"
    lab_mta_identity "$inst"
    # Exim logs to files (log_file_path); lab_wait_log reads INST/maillog.
    ln -sfn log/mainlog "$d/maillog"
    lab_mta_run "$inst" exim "$EXIM_BIN" -C "$d/etc/exim.conf" -bV >"$d/start.log" 2>&1 \
        || { cat "$d/start.log" >&2; die "exim $inst: -bV failed"; }
    log "exim $inst ready ($(sed -n '1s/ #.*//p' "$d/start.log"))"
}

# lab_exim INST ARGS...: the unpacked exim4 with INST's configuration.
lab_exim() {
    local d=$RUN/$1; shift
    lab_mta_run "${d##*/}" exim "$EXIM_BIN" -C "$d/etc/exim.conf" "$@"
}

# lab_exim_send INST FROM RCPT SUBJECT: queue one message without a
# delivery attempt (-odq).
lab_exim_send() {
    local inst=$1
    printf 'From: <%s>\nTo: <%s>\nSubject: %s\nMessage-ID: <%s@sender.lab.test>\n\nmxsniff lab message (%s).\n' \
        "$2" "$3" "$4" "$LAB_NAME.$RANDOM" "$LAB_NAME" \
        | lab_exim "$inst" -odq -oi -f "$2" -- "$3"
    log "queued $2 -> $3 via exim $inst"
}

# lab_exim_queue_run INST: one ordinary queue run in the foreground (-q -v:
# retry times are honoured, as a daemon's -q<interval> runs would), its
# transcript appended to $RUN/INST/queue-runs.log.
lab_exim_queue_run() {
    local d=$RUN/$1
    { printf '$ exim4 -C %s -q -v    (%s)\n' "$d/etc/exim.conf" "$(date +%T)"
      lab_exim "$1" -q -v 2>&1 || true; } >>"$d/queue-runs.log"
    log "queue run of exim $1 done"
}

# lab_exim_keep_log INST NAME: mainlog -> logs/NAME.log, queue runs ->
# logs/NAME.client.log.
lab_exim_keep_log() {
    mkdir -p "$LAB_DIR/logs"
    cp "$RUN/$1/log/mainlog" "$LAB_DIR/logs/$2.log"
    cp "$RUN/$1/queue-runs.log" "$LAB_DIR/logs/$2.client.log"
    log "wrote captures/lab/logs/$2.log, $2.client.log"
}

# --- OpenSMTPD ----------------------------------------------------------

# lab_start_opensmtpd INST: smtpd -F (foreground, syslog to INST's
# receiver) with templates/smtpd.conf.in, or the template named by OS_TPL
# (@OSDIR@ = instance directory).
# OS_PID is the daemon's pid; lab_osmtpd_ctl joins its namespaces.
lab_start_opensmtpd() {
    local inst=$1
    local d=$RUN/$inst
    # shellcheck disable=SC2086 # a list of package names
    lab_mta_tree "$OS_ROOT" "$OS_SMTPD" $OS_PKGS
    # What the package's postinst does with dpkg-statoverride: smtpctl
    # (also the sendmail interface) is setgid opensmtpq, or it refuses to run.
    chgrp 60102 "$OS_SMTPCTL"; chmod 2555 "$OS_SMTPCTL"
    mkdir -p "$d/etc"
    sed -e "s|@OSDIR@|$d|g" "${OS_TPL:-$TPL/smtpd.conf.in}" > "$d/etc/smtpd.conf"
    printf 'sender: nobody\n' > "$d/etc/aliases"
    chmod 644 "$d/etc/smtpd.conf" "$d/etc/aliases"
    lab_mta_identity "$inst"
    lab_syslog_start "$inst"
    lab_mta_run "$inst" opensmtpd "$OS_SMTPD" -n -f "$d/etc/smtpd.conf" >"$d/start.log" 2>&1 \
        || { cat "$d/start.log" >&2; die "opensmtpd $inst: config check failed"; }
    MXLAB_PIDFILE=$d/smtpd.pid lab_mta_run "$inst" opensmtpd \
        "$OS_SMTPD" -F -f "$d/etc/smtpd.conf" >>"$d/start.log" 2>&1 &
    wait_for "opensmtpd $inst pid" 10 test -s "$d/smtpd.pid"
    OS_PID=$(cat "$d/smtpd.pid")
    wait_for "opensmtpd $inst" 20 lab_osmtpd_ctl "$inst" show queue
    log "opensmtpd $inst up (pid $OS_PID, package $(dpkg-deb -f "$OS_ROOT"/debs/opensmtpd_*.deb Version))"
}

# lab_osmtpd_ctl INST ARGS...: smtpctl inside the running smtpd's mount,
# UTS and network namespaces (its control socket is in its private /run).
lab_osmtpd_ctl() {
    shift   # INST: one smtpd at a time, OS_PID
    nsenter -t "$OS_PID" -m -u -n "$OS_SMTPCTL" "$@"
}

# lab_osmtpd_send INST FROM RCPT SUBJECT: submit one message with the
# package's sendmail interface (smtpctl invoked as sendmail).
lab_osmtpd_send() {
    printf 'From: <%s>\nTo: <%s>\nSubject: %s\nMessage-ID: <%s@sender.lab.test>\n\nmxsniff lab message (%s).\n' \
        "$2" "$3" "$4" "$LAB_NAME.$RANDOM" "$LAB_NAME" \
        | nsenter -t "$OS_PID" -m -u -n "$OS_ROOT/usr/sbin/sendmail" -f "$2" -- "$3"
    log "submitted $2 -> $3 via opensmtpd $1"
}

# lab_osmtpd_schedule INST: "smtpctl schedule all" (retry every queued
# envelope now), its output and the queue afterwards in queue-runs.log.
lab_osmtpd_schedule() {
    local d=$RUN/$1
    { printf '$ smtpctl schedule all    (%s)\n' "$(date +%T)"
      lab_osmtpd_ctl "$1" schedule all 2>&1 || true; } >>"$d/queue-runs.log"
    log "smtpctl schedule all ($1)"
}

# lab_osmtpd_queue INST: "smtpctl show queue" into queue-runs.log.
lab_osmtpd_queue() {
    local d=$RUN/$1
    { printf '$ smtpctl show queue    (%s)\n' "$(date +%T)"
      lab_osmtpd_ctl "$1" show queue 2>&1 || true; } >>"$d/queue-runs.log"
}
