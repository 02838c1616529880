#!/bin/bash
# lab-nullmailer-relay.sh: nullmailer (Debian 12's 1:2.2-4, unpacked from
# the .deb, never installed), a relay-only MTA, sending everything through a
# smarthost on the submission port 587. nullmailer has no MX logic at all:
# its queue daemon nullmailer-send hands each queued message to the protocol
# module /usr/lib/nullmailer/smtp once for every line of its "remotes" file,
# and the module resolves the remote host and connects to it. After a failed
# queue run nullmailer-send waits "pausetime" seconds, doubling the wait
# after every run that leaves mail in the queue (up to "maxpause"); a new
# message (the queue's trigger) resets it to pausetime.
#
# Resolver arrangement of lab-relayhost.sh: dnsdist on 10.53.0.53 fronts
# unbound and answers SERVFAIL itself to AAAA queries for
# mx.broken-aaaa.test and mx6.broken-aaaa.test
# (templates/dnsdist-aaaa-servfail.conf.in). No zone change. The receiving
# side is Postfix's smtp-sink on 10.53.0.25:587 and [fd53::25]:587 (nothing
# listens on port 25 in this lab). Every case: a fresh spool and
# configuration, nullmailer-send started as Debian's systemd unit starts it
# (user and group mail, in the foreground, its output the log), one message
# to user@other.test (a domain that exists and is never looked up)
# submitted with nullmailer's sendmail(8), whose nullmailer-queue pulls the
# daemon's trigger. remotes: "RELAY smtp port=587" (nullmailer-send(8):
# host, protocol, then options as option=value). pausetime PAUSE (default
# 65) s, so that the attempts come PAUSE and then 2*PAUSE s apart; the
# capture ends after ATTEMPTS (default 3) attempts or a delivery.
#
# captures/lab-nullmailer-relay-aaaa.pcap: mx.broken-aaaa.test (A
#   10.53.0.25, AAAA SERVFAIL).
# captures/lab-nullmailer-relay-nxdomain.pcap: relay.nonexistent.test
#   (NXDOMAIN: nonexistent.test is not delegated).
# captures/lab-nullmailer-relay-noaddr.pcap: mx6.broken-aaaa.test (AAAA
#   SERVFAIL, no A record: A NODATA).
# Logs: captures/lab/logs/<capture>.log (nullmailer-send's output, with
# what its protocol module writes to the inherited stderr, as the journal
# and syslog show them: "Mon dd hh:mm:ss sender nullmailer-send[pid]: ..."),
# <capture>.client.log (the submission, mailq listings, the remotes file,
# the failed queue and the sink's messages).
#
# Installation: "apt-get download nullmailer", "dpkg-deb -x" into NM_ROOT
# (default /var/tmp/mxlab-nullmailer), only when missing; no maintainer
# script runs. dpkg-deb keeps the package's modes and owners:
# nullmailer-queue and mailq setuid mail. nullmailer's paths are compiled in
# (/etc/nullmailer, /etc/mailname, /var/spool/nullmailer, /usr/lib/nullmailer,
# /usr/sbin/nullmailer-queue), so every nullmailer command runs in a private
# mount namespace (lab_nm_run): nothing is written to the host's /etc, /usr
# or /var. Needs a kernel with overlayfs.
#
# Trials (captures not committed): MXLAB_NM_CASES picks the cases (default
# "aaaa nxdomain noaddr"); MXLAB_NM_PAUSE, MXLAB_NM_ATTEMPTS;
# MXLAB_NM_LIFETIME sets queuelifetime (default: none, nullmailer's 7 days)
# to see what nullmailer does when a message outlives it; MXLAB_NM_NAME, the
# capture prefix (so that a trial does not replace the committed captures).
#
# Takes /tmp/mxlab.lock itself unless it inherited it (record-all.sh, or
# "(exec 9>/tmp/mxlab.lock; flock -w 900 9 && ./lab-nullmailer-relay.sh)").
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/mta-lib.sh"
lab_lock
NAME=${MXLAB_NM_NAME:-lab-nullmailer-relay}
RCPT=user@other.test
PORT=587
NM_PKGS="nullmailer"
NM_ROOT=${MXLAB_NULLMAILER_ROOT:-/var/tmp/mxlab-nullmailer}
NM_SEND=$NM_ROOT/usr/sbin/nullmailer-send
NM_PAUSE=${MXLAB_NM_PAUSE:-65}          # pausetime: > 60 s between attempts
NM_ATTEMPTS=${MXLAB_NM_ATTEMPTS:-3}
NM_LIFETIME=${MXLAB_NM_LIFETIME:-}
NM_CASES=${MXLAB_NM_CASES:-aaaa nxdomain noaddr}
NM_PID=

# lab_nm_tree: unpack the .deb into NM_ROOT (once) and check the modes the
# package gives nullmailer-queue and mailq (setuid mail) and that the smtp
# module finds its libraries (GnuTLS).
lab_nm_tree() {
    local t missing
    for t in python3 unshare setpriv apt-get dpkg-deb; do
        command -v "$t" >/dev/null 2>&1 || die "missing tool: $t"
    done
    grep -qw overlay /proc/filesystems || modprobe overlay 2>/dev/null || true
    grep -qw overlay /proc/filesystems || die "the kernel has no overlay file system"
    # shellcheck disable=SC2086 # a list of package names
    lab_mta_tree "$NM_ROOT" "$NM_SEND" $NM_PKGS
    [ -u "$NM_ROOT/usr/sbin/nullmailer-queue" ] \
        || die "$NM_ROOT: nullmailer-queue is not setuid"
    missing=$(ldd "$NM_ROOT/usr/lib/nullmailer/smtp" | grep 'not found' | tr '\n' ' ') || true
    [ -z "$missing" ] || die "nullmailer's smtp module lacks libraries: $missing"
    if ! getent passwd mail >/dev/null || ! getent group mail >/dev/null; then
        die "no user or group 'mail' (nullmailer runs as mail)"
    fi
}

# lab_nm_conf INST RELAY: INST's /etc layer ($RUN/INST/etc.lower:
# nullmailer/ as Debian's postinst writes it from debconf (remotes, mode
# 0600 mail:mail; empty defaultdomain and adminaddr), plus pausetime (and
# queuelifetime in a trial); mailname) and the spool ($RUN/INST/spool on
# /var/spool/nullmailer: queue, tmp, failed as packaged, and the trigger
# FIFO as the package's tmpfiles.d line makes it, 0622 mail:root).
lab_nm_conf() {
    local d=$RUN/$1 relay=$2 c
    c=$d/etc.lower/nullmailer
    rm -rf "$d/etc.lower" "$d/spool"
    mkdir -p "$c" "$d/spool/queue" "$d/spool/tmp" "$d/spool/failed"
    printf '%s smtp port=%s\n' "$relay" "$PORT" > "$c/remotes"
    chown mail:mail "$c/remotes"; chmod 0600 "$c/remotes"
    : > "$c/defaultdomain"; : > "$c/adminaddr"
    printf '%s\n' "$NM_PAUSE" > "$c/pausetime"
    [ -z "$NM_LIFETIME" ] || printf '%s\n' "$NM_LIFETIME" > "$c/queuelifetime"
    chmod 0644 "$c/defaultdomain" "$c/adminaddr" "$c/pausetime"
    [ -z "$NM_LIFETIME" ] || chmod 0644 "$c/queuelifetime"
    chmod 0755 "$c"
    printf 'sender.lab.test\n' > "$d/etc.lower/mailname"
    chmod 0644 "$d/etc.lower/mailname"
    mkfifo "$d/spool/trigger"
    chown -R mail:root "$d/spool"
    chmod 0755 "$d/spool" "$d/spool/failed"
    chmod 0750 "$d/spool/queue" "$d/spool/tmp"
    chmod 0622 "$d/spool/trigger"
    grep -q 'sender.lab.test' "/etc/netns/$NS_SND/hosts" || \
        printf '%s\tsender.lab.test sender\n%s\tsender.lab.test sender\n' \
            "$SND4" "$SND6" >> "/etc/netns/$NS_SND/hosts"
}

# lab_nm_run INST CMD...: run CMD in the sender namespace in a private
# mount + UTS namespace: host name sender.lab.test (without a search line
# in resolv.conf glibc takes its domain, lab.test, as the search list, as
# for every sender in the lab); /usr a read-only overlay of the unpacked
# usr/ over the host's (nullmailer's programs at their compiled-in paths;
# /usr/sbin/sendmail is nullmailer's); /etc a read-only overlay of INST's
# etc.lower over the host's, with the sender namespace's resolv.conf and
# hosts bound again on top; a tmpfs /var/spool with INST's spool on
# /var/spool/nullmailer; a tmpfs /dev. With MXLAB_PIDFILE set, the pid of
# the process that becomes CMD is written there.
lab_nm_run() {
    local d=$RUN/$1; shift
    # shellcheck disable=SC2016 # expanded by the inner sh
    ip netns exec "$NS_SND" unshare -m -u --propagation private sh -c '
        set -e
        d=$1; root=$2; ns=$3; shift 3
        hostname sender.lab.test
        mount -t overlay mxlab-usr -o "ro,lowerdir=$root/usr:/usr" /usr
        mount -t overlay mxlab-etc -o "ro,lowerdir=$d/etc.lower:/etc" /etc
        for f in /etc/netns/"$ns"/*; do mount --bind "$f" "/etc/${f##*/}"; done
        mount -t tmpfs -o mode=0755,size=64k mxlab-spool /var/spool
        mkdir /var/spool/nullmailer; mount --bind "$d/spool" /var/spool/nullmailer
        mount -t tmpfs -o mode=0755,size=64k mxlab-dev /dev
        mknod -m 666 /dev/null c 1 3; mknod -m 666 /dev/zero c 1 5
        mknod -m 666 /dev/random c 1 8; mknod -m 666 /dev/urandom c 1 9
        ln -s /proc/self/fd /dev/fd
        [ -z "${MXLAB_PIDFILE:-}" ] || echo $$ > "$MXLAB_PIDFILE"
        exec "$@"' sh "$d" "$NM_ROOT" "$NS_SND" "$@"
}

# lab_nm_cmd INST DESC CMD...: CMD (in lab_nm_run) with its output in
# INST's client.log.
lab_nm_cmd() {
    local inst=$1 desc=$2; shift 2
    { printf '$ %s    (%s)\n' "$desc" "$(date +%T)"
      lab_nm_run "$inst" "$@" 2>&1 || printf '(exit %s)\n' "$?"; } >>"$RUN/$inst/client.log"
}

# lab_start_nm INST RELAY: configuration, then nullmailer-send as Debian's
# nullmailer.service runs it (User=mail Group=mail, in the foreground,
# stdout and stderr to the journal, SyslogFacility=mail). Its output (and
# that of the protocol modules it starts, which inherit its stderr) goes
# through a pipe to a small writer that stamps each line the way syslog
# shows a journal line: "Mon dd hh:mm:ss sender nullmailer-send[PID]: ...",
# into INST/maillog. NM_PID is nullmailer-send's pid.
lab_start_nm() {
    local inst=$1 relay=$2
    local d=$RUN/$inst
    lab_nm_tree
    lab_nm_conf "$inst" "$relay"
    : > "$d/maillog"; : > "$d/client.log"; rm -f "$d/send.pid"
    { printf '$ cat /etc/nullmailer/remotes\n'; cat "$d/etc.lower/nullmailer/remotes"
      printf '$ cat /etc/nullmailer/pausetime\n'; cat "$d/etc.lower/nullmailer/pausetime"
    } >>"$d/client.log"
    # shellcheck disable=SC2016 # a python program
    MXLAB_PIDFILE=$d/send.pid lab_nm_run "$inst" \
        setpriv --reuid=mail --regid=mail --init-groups --inh-caps=-all \
        sh -c 'cd /var/spool/nullmailer && exec /usr/sbin/nullmailer-send' 2>&1 \
        | python3 -c '
import os, sys, time
pidfile, out = sys.argv[1], sys.argv[2]
pid = None
with open(out, "a", buffering=1) as f:
    for line in sys.stdin:
        if pid is None:
            try:
                pid = open(pidfile).read().strip()
            except OSError:
                pid = "?"
        t = time.strftime("%b %e %H:%M:%S")
        f.write("%s sender nullmailer-send[%s]: %s\n" % (t, pid, line.rstrip("\n")))
' "$d/send.pid" "$d/maillog" &
    wait_for "nullmailer-send $inst pid" 10 test -s "$d/send.pid"
    NM_PID=$(cat "$d/send.pid")
    wait_for "nullmailer-send $inst" 20 grep -q 'Rescanning queue' "$d/maillog"
    log "nullmailer-send $inst up (pid $NM_PID, package $(dpkg-deb -f "$NM_ROOT"/debs/nullmailer_*.deb Version)), remotes: $(cat "$d/etc.lower/nullmailer/remotes")"
}

# lab_nm_send INST FROM RCPT SUBJECT: submit one message with
# /usr/sbin/sendmail (nullmailer-inject -> nullmailer-queue, which queues it
# and pulls the trigger).
lab_nm_send() {
    local d=$RUN/$1
    { printf '$ sendmail -f %s %s    (%s)\n' "$2" "$3" "$(date +%T)"
      printf 'From: <%s>\nTo: <%s>\nSubject: %s\nMessage-ID: <%s@sender.lab.test>\n\nmxsniff lab message (%s).\n' \
          "$2" "$3" "$4" "$LAB_NAME.$RANDOM" "$LAB_NAME" \
          | lab_nm_run "$1" /usr/sbin/sendmail -f "$2" "$3" 2>&1; } >>"$d/client.log" \
        || die "nullmailer sendmail ($1) failed"
    log "submitted $2 -> $3 via nullmailer $1"
}

# Sinks on the submission port only (lib.sh's lab_start_sinks listens on 25).
lab_start_sinks_587() {
    mkdir -p "$RUN/sink"
    local a
    for a in "$MX1_4" "[$MX1_6]"; do
        ip netns exec "$NS_MX" smtp-sink -u nobody -h relay.lab.test "$a:$PORT" 64 \
            >>"$RUN/sink/stderr" 2>&1 &
    done
    wait_for "smtp-sink" 10 ns_exec "$NS_MX" sh -c \
        "ss -ltnH | grep -c ':$PORT ' | grep -qx 2"
    log "smtp-sinks up on $MX1_4 $MX1_6 port $PORT"
}

lab_init "$NAME"
lab_setup
lab_start_nsd
lab_start_unbound "127.0.0.1@5300"
lab_start_dnsdist "$TPL/dnsdist-aaaa-servfail.conf.in"
lab_start_sinks_587
lab_resolvers "$RES4"

# The end of each queue run that had the message (attempt).
RESULT='Delivery complete, [0-9]+ message\(s\) remain\.'

# nm_case INST CAPTURE RELAY
nm_case() {
    local inst=$1 cap=$2 relay=$3 n
    local d=$RUN/$inst ml=$RUN/$inst/maillog
    lab_start_nm "$inst" "$relay"
    lab_capture_start "$cap"
    lab_nm_send "$inst" sender@sender.lab.test "$RCPT" "$cap"
    lab_wait_log "$inst" "$RESULT" 60
    n=1
    while [ "$n" -lt "$NM_ATTEMPTS" ] && grep -E "$RESULT" "$ml" | tail -n 1 | grep -q ', [1-9][0-9]* message(s) remain'; do
        sleep 2
        lab_nm_cmd "$inst" mailq /usr/bin/mailq
        n=$((n + 1))
        # The n-th attempt comes PAUSE * 2^(n-2) s after the (n-1)-th.
        lab_wait_log "$inst" "$RESULT" $(( NM_PAUSE * (1 << (n - 2)) + 60 )) "$n"
    done
    sleep 2
    lab_nm_cmd "$inst" mailq /usr/bin/mailq
    lab_capture_stop
    stop_pid "$NM_PID"
    { printf '$ ls -l /var/spool/nullmailer/queue /var/spool/nullmailer/failed    (%s)\n' "$(date +%T)"
      ls -l "$d/spool/queue" "$d/spool/failed"; } >>"$d/client.log" 2>&1
    if [ -s "$RUN/sink/stderr" ]; then
        { printf '$ cat smtp-sink stderr\n'; cat "$RUN/sink/stderr"; } >>"$d/client.log"
    fi
    mkdir -p "$LAB_DIR/logs"
    cp "$ml" "$LAB_DIR/logs/$cap.log"
    cp "$d/client.log" "$LAB_DIR/logs/$cap.client.log"
    log "wrote captures/lab/logs/$cap.log, $cap.client.log"
}

for c in $NM_CASES; do
    case $c in
    aaaa)     nm_case nma "$NAME-aaaa"     mx.broken-aaaa.test;;
    nxdomain) nm_case nmn "$NAME-nxdomain" relay.nonexistent.test;;
    noaddr)   nm_case nm6 "$NAME-noaddr"   mx6.broken-aaaa.test;;
    *) die "unknown case $c";;
    esac
done
lab_finish
