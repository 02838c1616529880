#!/bin/bash
# lab-forwarder-resolved.sh: record captures/lab-forwarder-resolved.pcap:
# lab-forwarder.sh with the most common real local stub, systemd-resolved,
# captured on every interface (-i any), so both legs of each question are
# in the file.
#
# systemd-resolved 252 (Debian 12 packages systemd-resolved and its private
# library libsystemd-shared, the same version, fetched with apt-get download
# and unpacked with dpkg-deb -x into /var/tmp/mxlab-resolved; nothing is
# installed, the host's /etc, /run and systemd are not touched) runs only in
# the sender namespace, in a private mount and UTS namespace: host name
# sender.lab.test, a tmpfs on /run (its /run/systemd/resolve; its
# configuration is the drop-in /run/systemd/resolved.conf.d/mxlab.conf from
# templates/resolved-stub.conf.in: DNS=10.53.0.53, DNSSEC=no, stub listener
# on), and /etc/passwd and /etc/group copies with the user systemd-resolve
# it drops to (uid/gid 60110, unused on Debian). There is no D-Bus in that
# /run: resolved waits for the bus socket (WATCH_BIND) and serves its stub
# without it. SYSTEMD_LOG_LEVEL=debug: its log says what it sent upstream
# and why (feature levels, retries).
#
# The sender's resolv.conf is the stub-resolv.conf that resolved writes
# (nameserver 127.0.0.53, options edns0 trust-ad, search .), what
# /etc/resolv.conf points to on a stock host running it. Postfix
# (inet_protocols=all) sends to user@broken-aaaa.test through the stub: the
# lab resolver 10.53.0.53 (dnsdist in front of unbound, as in
# lab-aaaa-servfail.sh) answers SERVFAIL to AAAA mx.broken-aaaa.test and
# the A record fine. Then getent ahosts mx.broken-aaaa.test on the same
# host. At the end SIGUSR1 makes resolved dump its cache and server state
# into its log (after the capture: no packets).
# The capture is Linux cooked (SLL2).
# Logs: captures/lab/logs/lab-forwarder-resolved.log (Postfix), .client.log
# (resolv.conf and getent), .stub.log (resolved's whole debug log: start-up,
# every question, the SIGUSR1 dump). Its query IDs are byte-swapped (the
# log prints the wire's big-endian ID as a little-endian number).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/fail-lib.sh"
. "$(dirname "$0")/resolvers-lib.sh"
NAME=lab-forwarder-resolved
RCPT=user@broken-aaaa.test
STUB=127.0.0.53
RESOLVED_UID=60110
lab_init "$NAME"
lab_setup
lab_start_nsd
lab_start_unbound "127.0.0.1@5300"
lab_start_dnsdist "$TPL/dnsdist-aaaa-servfail.conf.in"
lab_start_sinks

res_tree resolved lib/systemd/systemd-resolved systemd-resolved libsystemd-shared
SD_LIB=$RES_TREE/usr/lib/x86_64-linux-gnu/systemd
SD_BIN=$RES_TREE/lib/systemd/systemd-resolved
# The binary's RUNPATH names the host's libsystemd-shared-252.so, which may
# be another 252.x: the unpacked one of the same version goes first.
LD_LIBRARY_PATH=$SD_LIB ldd "$SD_BIN" | grep -q "$SD_LIB/libsystemd-shared-252.so" \
    || die "systemd-resolved does not load $SD_LIB/libsystemd-shared-252.so"

S=$RUN/stub-resolved
mkdir -p "$S/id"
{ cat /etc/passwd
  printf 'systemd-resolve:x:%s:%s:systemd Resolver:/nonexistent:/usr/sbin/nologin\n' \
      "$RESOLVED_UID" "$RESOLVED_UID"; } > "$S/id/passwd"
{ cat /etc/group; printf 'systemd-resolve:x:%s:\n' "$RESOLVED_UID"; } > "$S/id/group"
chmod 644 "$S/id/passwd" "$S/id/group"
subst "$TPL/resolved-stub.conf.in" "$S/mxlab.conf"
# shellcheck disable=SC2016 # expanded by the inner sh
ip netns exec "$NS_SND" unshare -m -u --propagation private sh -c '
    set -e
    s=$1; shift
    hostname sender.lab.test
    mount --bind "$s/id/passwd" /etc/passwd
    mount --bind "$s/id/group" /etc/group
    mount -t tmpfs -o mode=0755,size=1m mxlab-run /run
    mkdir -p /run/systemd/resolved.conf.d
    cp "$s/mxlab.conf" /run/systemd/resolved.conf.d/mxlab.conf
    exec env SYSTEMD_LOG_LEVEL=debug SYSTEMD_LOG_TARGET=console SYSTEMD_LOG_TIME=1 \
        SYSTEMD_LOG_COLOR=0 LD_LIBRARY_PATH="$1" "$2"' sh "$S" "$SD_LIB" "$SD_BIN" \
    >"$S/stderr" 2>&1 </dev/null &
RESOLVED_PID=$!
# Wait for the stub's socket, not with a query: the first question resolved
# sends upstream (and its feature-level probing) must be in the capture.
wait_for "systemd-resolved stub" 20 sh -c \
    "ip netns exec $NS_SND ss -lunH | grep -q '$STUB%lo:53 '"
wait_for "stub-resolv.conf" 10 test -s "/proc/$RESOLVED_PID/root/run/systemd/resolve/stub-resolv.conf"
grep -q 'changing state OPENING → WATCH_BIND' "$S/stderr" \
    || die "systemd-resolved did not start without D-Bus as expected"
log "systemd-resolved up on $STUB in $NS_SND ($(LD_LIBRARY_PATH=$SD_LIB "$SD_BIN" --version | head -1)), pid $RESOLVED_PID"
# The sender's resolv.conf: resolved's own stub-resolv.conf (rewritten in
# place, as lab_resolvers does).
F=/etc/netns/$NS_SND/resolv.conf
cp "/proc/$RESOLVED_PID/root/run/systemd/resolve/stub-resolv.conf" "$S/stub-resolv.conf"
cat "$S/stub-resolv.conf" > "$F"
grep -qx "nameserver $STUB" "$F" || die "unexpected stub-resolv.conf"

: >"$RUN/client.log"
{ echo "\$ grep -v '^#' /etc/resolv.conf   (resolved's stub-resolv.conf)"; grep -v '^#' "$F"; echo; } >>"$RUN/client.log"
lab_start_postfix pf all
lab_capture_start "$NAME" any
lab_send pf sender@sender.lab.test "$RCPT" "$NAME"
lab_wait_log pf "to=<$RCPT>.*status=sent" 60
sleep 2
{ echo "\$ getent ahosts mx.broken-aaaa.test"; ns_exec "$NS_SND" getent ahosts mx.broken-aaaa.test; } \
    >>"$RUN/client.log" 2>&1 || true
lab_capture_stop
lab_stop_postfix pf
# Cache and server state (feature level) into the log, then stop resolved.
kill -USR1 "$RESOLVED_PID"
sleep 1
stop_pid "$RESOLVED_PID"
lab_keep_log pf "$NAME"
cp "$RUN/client.log" "$LAB_DIR/logs/$NAME.client.log"
{ echo "# systemd-resolved $(LD_LIBRARY_PATH=$SD_LIB "$SD_BIN" --version | head -1 | sed 's/^systemd //'), SYSTEMD_LOG_LEVEL=debug, stderr from start to stop"
  cat "$S/stderr"; } > "$LAB_DIR/logs/$NAME.stub.log"
log "wrote captures/lab/logs/$NAME.stub.log ($(wc -l < "$LAB_DIR/logs/$NAME.stub.log") lines)"
lab_finish
