# shellcheck shell=bash
# dma-lib.sh: the DragonFly Mail Agent as a sender in the lab (sourced after
# lib.sh and mta-lib.sh). Factored out of lab-dma-aaaa.sh, which describes
# how dma is obtained and run (captures/README.md "dma"); used by
# lab-dma-aaaa.sh and lab-dma-ndots.sh. Every function runs dma only inside
# the sender namespace that lib.sh creates.
#
# Settings (environment): MXLAB_DMA_ROOT, MXLAB_DMA_FLUSH, MXLAB_DMA_ATTEMPTS,
# MXLAB_DMA_HOSTNAME (see lab-dma-aaaa.sh). A script may define
# dma_case_after INST CAPTURE: dma_case calls it after the capture and the
# getaddrinfo() checks, before the logs are copied (output into
# $RUN/INST/client.log).

DMA_PKGS="dma"
DMA_ROOT=${MXLAB_DMA_ROOT:-/var/tmp/mxlab-dma}
DMA_BIN=$DMA_ROOT/usr/sbin/dma
DMA_FLUSH=${MXLAB_DMA_FLUSH:-65}       # seconds after a deferral: dma -q
DMA_ATTEMPTS=${MXLAB_DMA_ATTEMPTS:-3}
DMA_HOST=${MXLAB_DMA_HOSTNAME:-sender.lab.test}   # UTS host name (glibc search list)

# lab_dma_tree: unpack the .deb into DMA_ROOT (once); dpkg-deb keeps the
# package's modes: dma setgid mail, dma-mbox-create setuid root.
lab_dma_tree() {
    local t
    for t in python3 unshare apt-get dpkg-deb; do
        command -v "$t" >/dev/null 2>&1 || die "missing tool: $t"
    done
    grep -qw overlay /proc/filesystems || modprobe overlay 2>/dev/null || true
    grep -qw overlay /proc/filesystems || die "the kernel has no overlay file system"
    lab_mta_tree "$DMA_ROOT" "$DMA_BIN" $DMA_PKGS
    if [ ! -u "$DMA_ROOT/usr/lib/dma/dma-mbox-create" ] || [ ! -g "$DMA_BIN" ]; then
        die "$DMA_ROOT: dma is not setgid or dma-mbox-create not setuid"
    fi
    if ! getent passwd mail >/dev/null || ! getent group mail >/dev/null; then
        die "no user or group 'mail' (dma drops root privileges to it)"
    fi
}

# lab_dma_conf INST: INST's /etc layer ($RUN/INST/etc.lower: dma/dma.conf
# as Debian's postinst makes it with no smarthost, i.e. the package's
# /usr/share/dma/dma.conf as is (SMARTHOST commented out, MAILNAME
# /etc/mailname); dma/auth.conf; mailname; aliases), the spool
# ($RUN/INST/spool on /var/spool/dma, root:mail 2770 as in the package) and
# the mail directory ($RUN/INST/mail on /var/mail, root:mail 2775).
lab_dma_conf() {
    local d=$RUN/$1
    rm -rf "$d/etc.lower" "$d/spool" "$d/mail"
    mkdir -p "$d/etc.lower/dma" "$d/spool" "$d/mail"
    cp "$DMA_ROOT/usr/share/dma/dma.conf" "$d/etc.lower/dma/dma.conf"
    cp "$DMA_ROOT/etc/dma/auth.conf" "$d/etc.lower/dma/auth.conf"
    if grep -q '^SMARTHOST' "$d/etc.lower/dma/dma.conf"; then
        die "dma.conf: SMARTHOST is set"
    fi
    printf 'sender.lab.test\n' > "$d/etc.lower/mailname"
    # Bounces go to the envelope sender, sender@sender.lab.test: dma takes
    # the domain (= MAILNAME) for itself, so "sender" is local; the alias
    # sends it to the mailbox of the existing user "mail" (/var/mail/mail,
    # created by dma-mbox-create). Nothing leaves for the sender domain.
    printf 'sender: mail\n' > "$d/etc.lower/aliases"
    chown root:mail "$d/etc.lower/dma" "$d/etc.lower/dma/dma.conf" "$d/etc.lower/dma/auth.conf"
    chmod 0755 "$d/etc.lower/dma"
    chmod 0644 "$d/etc.lower/dma/dma.conf" "$d/etc.lower/mailname" "$d/etc.lower/aliases"
    chmod 0640 "$d/etc.lower/dma/auth.conf"
    chown root:mail "$d/spool" "$d/mail"
    chmod 2770 "$d/spool"; chmod 2775 "$d/mail"
    grep -q 'sender.lab.test' "/etc/netns/$NS_SND/hosts" || \
        printf '%s\tsender.lab.test sender\n%s\tsender.lab.test sender\n' \
            "$SND4" "$SND6" >> "/etc/netns/$NS_SND/hosts"
}

# lab_dma_run INST CMD...: run CMD in the sender namespace in a private
# mount + UTS namespace: host name sender.lab.test (DMA_HOST: without a
# search line in resolv.conf glibc takes its domain, lab.test, as the
# search list, as it does for every sender in the lab); /usr a read-only
# overlay of the unpacked usr/ over the host's (dma and dma-mbox-create at
# their compiled-in paths; /usr/sbin/sendmail is dma's link); /etc a
# read-only overlay of INST's etc.lower over the host's, with the sender
# namespace's resolv.conf and hosts bound again on top (ip netns exec had
# bound them on the host's /etc, under the overlay); a tmpfs /var/spool
# with INST's spool on /var/spool/dma; INST's mail directory on /var/mail;
# a tmpfs /dev whose /dev/log is INST's syslog receiver. CMD runs as root,
# as when root calls sendmail: dma (setgid mail) drops to the user mail.
lab_dma_run() {
    local d=$RUN/$1; shift
    # shellcheck disable=SC2016 # expanded by the inner sh
    ip netns exec "$NS_SND" unshare -m -u --propagation private sh -c '
        set -e
        d=$1; root=$2; ns=$3; host=$4; shift 4
        hostname "$host"
        mount -t overlay mxlab-usr -o "ro,lowerdir=$root/usr:/usr" /usr
        mount -t overlay mxlab-etc -o "ro,lowerdir=$d/etc.lower:/etc" /etc
        for f in /etc/netns/"$ns"/*; do mount --bind "$f" "/etc/${f##*/}"; done
        mount -t tmpfs -o mode=0755,size=64k mxlab-spool /var/spool
        mkdir /var/spool/dma; mount --bind "$d/spool" /var/spool/dma
        mount --bind "$d/mail" /var/mail
        mount -t tmpfs -o mode=0755,size=64k mxlab-dev /dev
        mknod -m 666 /dev/null c 1 3; mknod -m 666 /dev/zero c 1 5
        mknod -m 666 /dev/random c 1 8; mknod -m 666 /dev/urandom c 1 9
        ln -s /proc/self/fd /dev/fd; ln -s "$d/log.sock" /dev/log
        exec "$@"' sh "$d" "$DMA_ROOT" "$NS_SND" "$DMA_HOST" "$@"
}

# lab_start_dma INST: configuration and syslog receiver. dma has no
# daemon: every submission forks its own delivery process.
lab_start_dma() {
    local inst=$1
    lab_dma_tree
    lab_dma_conf "$inst"
    lab_syslog_start "$inst"
    : > "$RUN/$inst/client.log"
    log "dma $inst ready (package $(dpkg-deb -f "$DMA_ROOT"/debs/dma_*.deb Version))"
}

# lab_dma_cmd INST DESC CMD...: CMD (in lab_dma_run) with its output in
# INST's client.log.
lab_dma_cmd() {
    local inst=$1 desc=$2; shift 2
    { printf '$ %s    (%s)\n' "$desc" "$(date +%T)"
      lab_dma_run "$inst" "$@" 2>&1 || printf '(exit %s)\n' "$?"; } >>"$RUN/$inst/client.log"
}

# lab_dma_send INST FROM RCPT SUBJECT: submit one message with
# /usr/sbin/sendmail (dma); dma queues it and forks the delivery process.
lab_dma_send() {
    local d=$RUN/$1
    { printf '$ sendmail -f %s %s    (%s)\n' "$2" "$3" "$(date +%T)"
      printf 'From: <%s>\nTo: <%s>\nSubject: %s\nMessage-ID: <%s@sender.lab.test>\n\nmxsniff lab message (%s).\n' \
          "$2" "$3" "$4" "$LAB_NAME.$RANDOM" "$LAB_NAME" \
          | lab_dma_run "$1" /usr/sbin/sendmail -f "$2" "$3" 2>&1; } >>"$d/client.log" \
        || die "dma sendmail ($1) failed"
    log "submitted $2 -> $3 via dma $1"
}

# lab_dma_pids: dma processes in the sender namespace (all started here).
lab_dma_pids() {
    local p c
    for p in $(ip netns pids "$NS_SND"); do
        c=$(cat "/proc/$p/comm" 2>/dev/null) || continue
        case $c in dma|sendmail) echo "$p";; esac
    done
}

# The result of each delivery attempt to the recipient (the bounce's own
# delivery to the local mailbox logs "<mail> ...").
RESULT='<user@[^>]*> delivery successful|remote delivery (deferred|failed)'

# lab_dma_gai INST NAME...: after the capture, what glibc's getaddrinfo()
# returns for NAME with dma's hints (AF_UNSPEC, SOCK_STREAM, IPPROTO_TCP) in
# dma's namespaces: dma (dns.c add_host) defers on EAI_AGAIN and
# EAI_NONAME and fails the recipient on any other error.
lab_dma_gai() {
    local inst=$1 h; shift
    for h in "$@"; do
        # shellcheck disable=SC2016 # a python program
        lab_dma_cmd "$inst" "getaddrinfo($h, 25, AF_UNSPEC, SOCK_STREAM, IPPROTO_TCP)  [not captured]" \
            python3 -c '
import socket, sys
try:
    r = socket.getaddrinfo(sys.argv[1], 25, socket.AF_UNSPEC, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    print("ok:", ", ".join(a[4][0] for a in r))
except socket.gaierror as e:
    names = {v: k for k, v in vars(socket).items() if k.startswith("EAI_") and isinstance(v, int)}
    print("error %d (%s): %s" % (e.errno, names.get(e.errno, "?"), e.strerror))
' "$h"
    done
}

# dma_case INST CAPTURE RCPT [EXCHANGE...]
dma_case() {
    local inst=$1 cap=$2 rcpt=$3 n p; shift 3
    local ml=$RUN/$inst/maillog
    lab_start_dma "$inst"
    lab_capture_start "$cap"
    lab_dma_send "$inst" sender@sender.lab.test "$rcpt" "$cap"
    lab_wait_log "$inst" "$RESULT" 60
    n=1
    while [ "$n" -lt "$DMA_ATTEMPTS" ] && grep -E "$RESULT" "$ml" | tail -n 1 | grep -q 'remote delivery deferred'; do
        sleep 2
        lab_dma_cmd "$inst" mailq /usr/bin/mailq
        if [ "$DMA_FLUSH" -gt 0 ]; then
            sleep $((DMA_FLUSH - 2))
            lab_dma_cmd "$inst" "dma -q" /usr/sbin/dma -q
            log "dma -q ($inst)"
        fi
        n=$((n + 1))
        lab_wait_log "$inst" "$RESULT" 900 "$n"
    done
    if grep -q 'bouncing as' "$ml"; then
        lab_wait_log "$inst" '<mail> delivery successful|local delivery (deferred|failed)' 30
    fi
    sleep 2
    lab_dma_cmd "$inst" mailq /usr/bin/mailq
    lab_capture_stop
    lab_dma_gai "$inst" "$@"
    if declare -F dma_case_after >/dev/null; then dma_case_after "$inst" "$cap"; fi
    # A deferred message keeps its delivery process sleeping: end it.
    for p in $(lab_dma_pids); do stop_pid "$p"; done
    if [ -s "$RUN/$inst/mail/mail" ]; then
        { printf '$ cat /var/mail/mail    (the bounce to sender@sender.lab.test)\n'
          cat "$RUN/$inst/mail/mail"; } >>"$RUN/$inst/client.log"
    fi
    mkdir -p "$LAB_DIR/logs"
    cp "$ml" "$LAB_DIR/logs/$cap.log"
    cp "$RUN/$inst/client.log" "$LAB_DIR/logs/$cap.client.log"
    log "wrote captures/lab/logs/$cap.log, $cap.client.log"
}
