#!/bin/bash
# lab-musl.sh: the musl libc stub resolver (Debian 12's musl 1.2.3, the
# resolver of Alpine Linux and of MTA containers built on it) as the
# sender's resolver. The sender is lab/musl-mta.c, compiled here with
# "musl-gcc -static -O2" (packages musl-tools, musl-dev): for one recipient
# domain it does res_search MX, then per exchange either res_search A then
# AAAA (mode "postfix", Postfix's order) or getaddrinfo AF_UNSPEC (mode
# "gai", as nullmailer/msmtp/dma do), then a TCP connection to port 25 of
# the first address. captures/README.md, "musl (lab-musl.sh)", says what
# musl did on the wire.
#
# Resolver: dnsdist (templates/dnsdist-resopts.conf.in) on 10.53.0.53,
# 10.53.0.56 and fd53::53 in front of unbound (127.0.0.1:5300); it answers
# SERVFAIL to AAAA mx.broken-aaaa.test and passes everything else on.
# 10.53.0.55 drops port 53 (lib.sh). Each capture runs "musl-mta postfix
# DOMAIN", then 1 s later "musl-mta gai DOMAIN":
#
# captures/lab-musl-healthy.pcap        nameserver 10.53.0.53, 10.53.0.56;
#                                       example.test (MX 10 mx1, 20 mx2)
# captures/lab-musl-aaaa-servfail.pcap  nameserver 10.53.0.53, 10.53.0.56;
#                                       broken-aaaa.test (AAAA of its
#                                       exchange SERVFAIL, A 10.53.0.25)
# captures/lab-musl-dead-primary.pcap   nameserver 10.53.0.55 (drops),
#                                       10.53.0.53; example.test; the gai
#                                       run 6 s after the postfix run, and
#                                       the recording ends 6 s later with a
#                                       TCP SYN to 10.53.0.53:9 (RST), so
#                                       that every query to .55 is over 5 s
#                                       old when it ends
# captures/lab-musl-nxdomain.pcap       nameserver 10.53.0.53, 10.53.0.56;
#                                       nonexistent.test (NXDOMAIN)
# Logs: captures/lab/logs/<capture>.log (musl-mta's output, its "mail log":
# each lookup's result with rcode/ANCOUNT, h_errno or EAI_* text, the
# connection, the result; times in ms since the run started) and
# <capture>.client.log (resolv.conf, the commands and their exit status).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/mta-lib.sh"
lab_lock
NAME=lab-musl
RES2_4=10.53.0.56
command -v musl-gcc >/dev/null 2>&1 || die "missing tool: musl-gcc (apt-get install musl-tools musl-dev)"
lab_init "$NAME"
MTA=$RUN/musl-mta
musl-gcc -static -O2 -Wall -o "$MTA" "$LAB_DIR/musl-mta.c" || die "musl-gcc failed"
chmod 755 "$MTA"
lab_setup
ip -n "$NS_RES" addr add "$RES2_4/24" dev eth0
lab_start_nsd
lab_start_unbound "127.0.0.1@5300"
lab_start_dnsdist "$TPL/dnsdist-resopts.conf.in"
wait_for "dnsdist on $RES2_4" 20 dns_ok "$NS_RES" "$RES2_4" 53 . SOA
lab_start_sinks

# musl_case CAPTURE DOMAIN GAP RESOLVER...: one capture, both modes, GAP
# seconds apart; with GAP > 1 the capture ends GAP seconds after the last
# run with a TCP connection attempt to 10.53.0.53 port 9 (nothing listens:
# SYN, RST), a last frame after the unanswered queries' 5 s.
musl_case() {
    local cap=$1 dom=$2 gap=$3 m
    shift 3
    lab_resolvers "$@"
    : > "$RUN/client.log"; : > "$RUN/mta.log"
    { echo "# musl $(dpkg-query -W -f '${Version}' musl-dev), musl-mta built with musl-gcc -static -O2"
      echo "\$ cat /etc/resolv.conf  # in the sender namespace"
      cat "/etc/netns/$NS_SND/resolv.conf"; } >>"$RUN/client.log"
    lab_capture_start "$cap"
    for m in postfix gai; do
        { echo "\$ musl-mta $m $dom    ($(date +%T.%N | cut -c1-12); output in $cap.log)"
          ns_exec "$NS_SND" timeout 60 "$MTA" "$m" "$dom" >>"$RUN/mta.log"
          echo "exit status $?"; } >>"$RUN/client.log" 2>&1 || true
        log "musl-mta $m $dom: $(tail -n 1 "$RUN/mta.log" | sed 's/^.*result: //')"
        [ "$m" = postfix ] && sleep "$gap"
    done
    if [ "$gap" -gt 1 ]; then
        sleep "$gap"
        { echo "\$ connect to $RES4 port 9    (end marker, $(date +%T.%N | cut -c1-12))"
          ns_exec "$NS_SND" timeout 3 bash -c "exec 3<>/dev/tcp/$RES4/9"
          echo "exit status $?"; } >>"$RUN/client.log" 2>&1 || true
    fi
    lab_capture_stop
    mkdir -p "$LAB_DIR/logs"
    cp "$RUN/mta.log" "$LAB_DIR/logs/$cap.log"
    cp "$RUN/client.log" "$LAB_DIR/logs/$cap.client.log"
    log "wrote captures/lab/logs/$cap.log, $cap.client.log"
}

musl_case lab-musl-healthy       example.test      1 "$RES4" "$RES2_4"
musl_case lab-musl-aaaa-servfail broken-aaaa.test  1 "$RES4" "$RES2_4"
musl_case lab-musl-dead-primary  example.test      6 "$DROP4" "$RES4"
musl_case lab-musl-nxdomain      nonexistent.test  1 "$RES4" "$RES2_4"
lab_finish
