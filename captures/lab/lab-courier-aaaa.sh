#!/bin/bash
# lab-courier-aaaa.sh: the Courier mail server (Debian 12's courier-mta
# 1.0.16, unpacked from the .debs, never installed) as the sender. Its
# outbound module courieresmtp resolves with Courier's own DNS library
# (courier-libs rfc1035: reads /etc/resolv.conf and sends its own UDP
# queries), not with glibc. Resolver arrangement of lab-aaaa-servfail.sh:
# dnsdist on 10.53.0.53 answers SERVFAIL to AAAA for mx.broken-aaaa.test and
# mx6.broken-aaaa.test and passes everything else to unbound. Each capture:
# a fresh Courier (empty queue, new courieresmtp processes) in the sender
# namespace, one message submitted with Courier's sendmail(8). Deferred
# messages would be retried by Courier's own scheduler: retryalpha 65s,
# retrybeta 3 (attempts about 65 s apart); the capture ends after three
# attempts or a final result. (In the four cases below Courier 1.0.16 never
# defers: it delivers, or fails the recipient permanently at once.)
#
# captures/lab-courier-aaaa.pcap: the seed case (P1/P2),
#   user@broken-aaaa.test (MX mx.broken-aaaa.test: A 10.53.0.25, AAAA SERVFAIL).
# captures/lab-courier-aaaa-noa.pcap: user@v6mx.broken-aaaa.test (MX
#   mx6.broken-aaaa.test: AAAA SERVFAIL, no A record: A NODATA).
# captures/lab-courier-nxdomain.pcap: user@nonexistent.test (NXDOMAIN).
# captures/lab-courier-healthy.pcap: user@example.test, healthy: MX 10 mx1, 20 mx2
#   (both with A and AAAA), smtp-sink on all four addresses.
# Logs: captures/lab/logs/<capture>.log (Courier's syslog lines), .client.log
# (the submission command, mailq listings, "courier stop" and the bounce,
# if one was delivered to the sender).
#
# Installation: "apt-get download" of courier-mta, courier-base,
# courier-authlib (libcourierauth*.so, linked by courierd and courieresmtp)
# and libcourier-unicode4, "dpkg-deb -x" into CR_ROOT (default
# /var/tmp/mxlab-courier), only when missing; no maintainer script runs.
# Courier's paths are compiled in (/usr/lib/courier, /etc/courier,
# /var/lib/courier, /run/courier), so every Courier command runs in a
# private mount namespace (lab_courier_run): nothing is written to the
# host's /etc, /usr or /var.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/mta-lib.sh"
lab_lock
NAME=lab-courier
CR_PKGS="courier-mta courier-base courier-authlib libcourier-unicode4"
CR_ROOT=${MXLAB_COURIER_ROOT:-/var/tmp/mxlab-courier}
CR_COURIERD=$CR_ROOT/usr/lib/courier/courier/courierd
CR_UID=60103                  # the "courier" user and group (unused on Debian)
CR_RETRY=${MXLAB_COURIER_RETRY:-65s}   # retryalpha: > 60 s between attempts
CR_PID=

# lab_courier_tree: unpack the packages' .debs into CR_ROOT (once) and
# check that the programs used here find all their libraries (the unpacked
# ones are found through the /usr overlay of lab_courier_run; here through
# LD_LIBRARY_PATH).
lab_courier_tree() {
    local d t b missing
    for t in python3 unshare nsenter apt-get dpkg-deb; do
        command -v "$t" >/dev/null 2>&1 || die "missing tool: $t"
    done
    grep -qw overlay /proc/filesystems || modprobe overlay 2>/dev/null || true
    grep -qw overlay /proc/filesystems || die "the kernel has no overlay file system"
    if [ ! -x "$CR_COURIERD" ]; then
        log "fetching $CR_PKGS into $CR_ROOT"
        mkdir -p "$CR_ROOT/debs"
        # shellcheck disable=SC2086 # a list of package names
        ( cd "$CR_ROOT/debs" && apt-get download $CR_PKGS ) >&2 \
            || die "apt-get download $CR_PKGS failed"
        for d in "$CR_ROOT"/debs/*.deb; do dpkg-deb -x "$d" "$CR_ROOT"; done
    fi
    [ -x "$CR_COURIERD" ] || die "no $CR_COURIERD after unpacking"
    for b in usr/sbin/courier usr/sbin/sendmail usr/bin/mailq \
             usr/lib/courier/courier/courierd usr/lib/courier/courier/submit \
             usr/lib/courier/courier/aliasexp usr/lib/courier/courier/aliascreate \
             usr/lib/courier/courier/modules/esmtp/courieresmtp \
             usr/lib/courier/courier/modules/local/courierlocal \
             usr/lib/courier/courier/modules/dsn/courierdsn; do
        missing=$(LD_LIBRARY_PATH=$CR_ROOT/usr/lib:$CR_ROOT/usr/lib/x86_64-linux-gnu \
                      ldd "$CR_ROOT/$b" | grep 'not found' | tr '\n' ' ') || true
        [ -z "$missing" ] || die "${b##*/} lacks libraries: $missing"
    done
    for d in "$CR_ROOT"/debs/*.deb; do log "  ${d##*/}"; done
}

# lab_courier_conf INST: INST's /etc layer ($RUN/INST/etc.lower: courier/,
# passwd, group), Courier's state directory ($RUN/INST/spool, on
# /var/lib/courier) and /run/courier, owned as the packages' postinst
# scripts would set them (dpkg-statoverride).
lab_courier_conf() {
    local d=$RUN/$1 c
    c=$d/etc.lower/courier
    rm -rf "$d/etc.lower" "$d/etc.upper" "$d/etc.work" "$d/spool" "$d/run"
    mkdir -p "$d/etc.lower" "$d/etc.upper" "$d/etc.work" "$d/run"
    cp -a "$CR_ROOT/etc/courier" "$c"
    cp -a "$CR_ROOT/var/lib/courier" "$d/spool"
    { cat /etc/passwd
      printf 'courier:x:%d:%d:mxsniff lab:/var/lib/courier:/usr/sbin/nologin\n' "$CR_UID" "$CR_UID"
    } > "$d/etc.lower/passwd"
    { cat /etc/group; printf 'courier:x:%d:\n' "$CR_UID"; } > "$d/etc.lower/group"
    printf 'sender.lab.test\n' > "$d/etc.lower/mailname"
    chmod 644 "$d/etc.lower/passwd" "$d/etc.lower/group" "$d/etc.lower/mailname"
    # What courier-mta's postinst writes from debconf (defaultdomain,
    # locals, dsnfrom), plus "me" (the name in EHLO and in the log).
    printf 'sender.lab.test\n' > "$c/me"
    printf 'sender.lab.test\n' > "$c/defaultdomain"
    printf 'localhost\nsender.lab.test\n' > "$c/locals"
    printf '"Courier mail server at sender.lab.test" <@>\n' > "$c/dsnfrom"
    # Retry schedule (courier(8)): retrybeta attempts retryalpha apart.
    printf '%s\n' "$CR_RETRY" > "$c/retryalpha"
    printf '3\n' > "$c/retrybeta"
    printf '1h\n' > "$c/retrygamma"
    # smtp-sink offers STARTTLS without a usable certificate: plain SMTP.
    # Everything else in courierd (ESMTP_PREFER_IPV6_MX=1, ...) stays at
    # Debian's defaults, and nothing touches Courier's DNS settings.
    sed -i 's/^ESMTP_USE_STARTTLS=1$/ESMTP_USE_STARTTLS=0/' "$c/courierd"
    grep -q '^ESMTP_USE_STARTTLS=0$' "$c/courierd" || die "courierd: ESMTP_USE_STARTTLS not found"
    # Bounces (DSNs) to the local sender go to a mailbox alias (courierlocal
    # appends them, as user courier, to an mbox in the spool directory;
    # courier_case copies it into the .client.log): nothing leaves the host
    # for the sender domain, which is not in the lab's DNS.
    printf 'sender: /var/lib/courier/mxlab-bounces\n' > "$c/aliases/mxlab"
    chown -R 0:"$CR_UID" "$c"
    chmod 0755 "$c"
    chmod 0750 "$c/aliasdir" "$c/aliases" "$c/filters" "$c/filters/active" \
        "$c/shared" "$c/hosteddomains" "$c/esmtpacceptmailfor.dir"
    chmod 0640 "$c/aliases/system" "$c/aliases/mxlab" "$c/esmtpauthclient"
    chmod 0600 "$c/esmtpd.cnf"
    chown -R "$CR_UID:$CR_UID" "$d/spool"
    chmod 0750 "$d/spool" "$d/spool/allfilters" "$d/spool/filters" \
        "$d/spool/msgq" "$d/spool/msgs" "$d/spool/track"
    chmod 0770 "$d/spool/tmp"
    chown 0:"$CR_UID" "$d/run"; chmod 0775 "$d/run"
    grep -q 'sender.lab.test' "/etc/netns/$NS_SND/hosts" || \
        printf '%s\tsender.lab.test sender\n%s\tsender.lab.test sender\n' \
            "$SND4" "$SND6" >> "/etc/netns/$NS_SND/hosts"
}

# lab_courier_run INST CMD...: run CMD in the sender namespace in a private
# mount + UTS namespace: host name sender.lab.test; /usr is a read-only
# overlay of the unpacked usr/ over the host's (Courier's programs and
# libraries at their compiled-in paths, the host's files otherwise); /etc
# is an overlay of INST's etc.lower (courier/, passwd, group with the
# courier user) over the host's, its writes go to INST's etc.upper; the
# sender namespace's /etc/netns files (resolv.conf, hosts) are bound again
# over the overlay (ip netns exec had bound them on the host's /etc);
# tmpfs /var/lib and /run with INST's spool on /var/lib/courier and INST's
# run on /run/courier; a tmpfs /dev whose /dev/log is INST's syslog
# receiver. With MXLAB_PIDFILE set, the pid of the process that becomes
# CMD is written there.
lab_courier_run() {
    local d=$RUN/$1; shift
    # shellcheck disable=SC2016 # expanded by the inner sh
    ip netns exec "$NS_SND" unshare -m -u --propagation private sh -c '
        set -e
        d=$1; root=$2; ns=$3; shift 3
        hostname sender.lab.test
        mount -t overlay mxlab-usr -o "ro,lowerdir=$root/usr:/usr" /usr
        mount -t overlay mxlab-etc \
            -o "lowerdir=$d/etc.lower:/etc,upperdir=$d/etc.upper,workdir=$d/etc.work" /etc
        for f in /etc/netns/"$ns"/*; do mount --bind "$f" "/etc/${f##*/}"; done
        mount -t tmpfs -o mode=0755,size=64k mxlab-lib /var/lib
        mkdir /var/lib/courier; mount --bind "$d/spool" /var/lib/courier
        mount -t tmpfs -o mode=0755,size=64k mxlab-run /run
        mkdir /run/courier; mount --bind "$d/run" /run/courier
        mount -t tmpfs -o mode=0755,size=64k mxlab-dev /dev
        mknod -m 666 /dev/null c 1 3; mknod -m 666 /dev/zero c 1 5
        mknod -m 666 /dev/random c 1 8; mknod -m 666 /dev/urandom c 1 9
        ln -s /proc/self/fd /dev/fd; ln -s "$d/log.sock" /dev/log
        [ -z "${MXLAB_PIDFILE:-}" ] || echo $$ > "$MXLAB_PIDFILE"
        exec "$@"' sh "$d" "$CR_ROOT" "$NS_SND" "$@"
}

# lab_courier_ctl INST CMD...: CMD inside the running courierd's mount, UTS
# and network namespaces.
lab_courier_ctl() {
    shift   # INST: one courierd at a time, CR_PID
    nsenter -t "$CR_PID" -m -u -n "$@"
}

# lab_start_courier INST: configuration, alias database (makealiases), and
# courierd started as courierctl.start starts it (environment from
# /etc/courier/courierd, "env -i"), but in the foreground, so that CR_PID
# is courierd (courierd forks its modules: courierlocal, courieresmtp,
# courierdsn).
lab_start_courier() {
    local inst=$1
    local d=$RUN/$inst
    lab_courier_tree
    lab_courier_conf "$inst"
    lab_syslog_start "$inst"
    lab_courier_run "$inst" /usr/sbin/makealiases >"$d/start.log" 2>&1 \
        || { cat "$d/start.log" >&2; die "courier $inst: makealiases failed"; }
    # shellcheck disable=SC2016 # expanded by the inner sh
    MXLAB_PIDFILE=$d/courierd.pid lab_courier_run "$inst" /usr/bin/env -i /bin/sh -c \
        'set -a; . /etc/courier/courierd; cd /usr; exec /usr/lib/courier/courier/courierd' \
        >>"$d/start.log" 2>&1 &
    wait_for "courierd $inst pid" 10 test -s "$d/courierd.pid"
    CR_PID=$(cat "$d/courierd.pid")
    wait_for "courierd $inst" 20 grep -q 'Started .*courieresmtp' "$d/maillog"
    log "courier $inst up (courierd pid $CR_PID, package $(dpkg-deb -f "$CR_ROOT"/debs/courier-mta_*.deb Version))"
}

# lab_stop_courier INST: "courier stop", then wait for courierd to exit.
lab_stop_courier() {
    local d=$RUN/$1 _
    { printf '$ courier stop    (%s)\n' "$(date +%T)"
      lab_courier_ctl "$1" /usr/sbin/courier stop 2>&1 || true; } >>"$d/client.log"
    for _ in $(seq 1 50); do
        kill -0 "$CR_PID" 2>/dev/null || break
        sleep 0.2
    done
    stop_pid "$CR_PID"
}

# lab_courier_send INST FROM RCPT SUBJECT: submit one message with Courier's
# sendmail(8) inside courierd's namespaces.
lab_courier_send() {
    local d=$RUN/$1
    { printf '$ sendmail -f %s %s    (%s)\n' "$2" "$3" "$(date +%T)"
      printf 'From: <%s>\nTo: <%s>\nSubject: %s\nMessage-ID: <%s@sender.lab.test>\n\nmxsniff lab message (%s).\n' \
          "$2" "$3" "$4" "$LAB_NAME.$RANDOM" "$LAB_NAME" \
          | lab_courier_ctl "$1" /usr/sbin/sendmail -f "$2" "$3" 2>&1; } >>"$d/client.log" \
        || die "courier sendmail ($1) failed"
    log "submitted $2 -> $3 via courier $1"
}

# lab_courier_mailq INST: "mailq" into client.log.
lab_courier_mailq() {
    local d=$RUN/$1
    { printf '$ mailq    (%s)\n' "$(date +%T)"
      lab_courier_ctl "$1" /usr/bin/mailq 2>&1 || true; } >>"$d/client.log"
}

lab_init "$NAME"
lab_setup
lab_start_nsd
lab_start_unbound "127.0.0.1@5300"
lab_start_dnsdist "$TPL/dnsdist-aaaa-servfail.conf.in"
lab_start_sinks
lab_resolvers "$RES4"

# The result of each delivery attempt to the recipient (not the DSN's).
RESULT='addr=<user@[^>]*>.*,status: (success|deferred|failure)'

# courier_case INST CAPTURE RCPT
courier_case() {
    local inst=$1 cap=$2 rcpt=$3 n
    local ml=$RUN/$inst/maillog
    lab_start_courier "$inst"
    lab_capture_start "$cap"
    lab_courier_send "$inst" sender@sender.lab.test "$rcpt" "$cap"
    lab_wait_log "$inst" "$RESULT" 90
    sleep 2
    lab_courier_mailq "$inst"
    # Courier retries on its own (retryalpha): wait for each retry while the
    # last result is a deferral, up to three attempts.
    n=1
    while [ "$n" -lt 3 ] && grep -E "$RESULT" "$ml" | tail -n 1 | grep -q 'status: deferred'; do
        n=$((n + 1))
        lab_wait_log "$inst" "$RESULT" 150 "$n"
        sleep 2
        lab_courier_mailq "$inst"
    done
    lab_capture_stop
    lab_stop_courier "$inst"
    if [ -s "$RUN/$inst/spool/mxlab-bounces" ]; then
        { printf '$ cat /var/lib/courier/mxlab-bounces    (the bounce to sender@sender.lab.test)\n'
          cat "$RUN/$inst/spool/mxlab-bounces"; } >>"$RUN/$inst/client.log"
    fi
    mkdir -p "$LAB_DIR/logs"
    cp "$ml" "$LAB_DIR/logs/$cap.log"
    cp "$RUN/$inst/client.log" "$LAB_DIR/logs/$cap.client.log"
    log "wrote captures/lab/logs/$cap.log, $cap.client.log"
}

courier_case cr   "$NAME-aaaa"     user@broken-aaaa.test
courier_case cr6  "$NAME-aaaa-noa" user@v6mx.broken-aaaa.test
courier_case crn  "$NAME-nxdomain" user@nonexistent.test
courier_case crh  "$NAME-healthy"  user@example.test
lab_finish
