#!/bin/bash
# lab-resolv-options.sh: a real Postfix (inet_protocols=all,
# smtp_address_preference=ipv4) under glibc resolv.conf "options" lines that
# mail hosts use (glibc 2.36, Debian 12). captures/README.md, "glibc
# resolv.conf options (lab-resolv-options.sh)", has what each did.
#
# Resolver: dnsdist (templates/dnsdist-resopts.conf.in) on 10.53.0.53,
# 10.53.0.56 and fd53::53 in front of unbound (127.0.0.1:5300); it answers
# SERVFAIL to AAAA mx.broken-aaaa.test (the seed case) and passes everything
# else on. 10.53.0.55 drops port 53 (lib.sh). Each capture has its own
# Postfix instance (new smtp processes read the new resolv.conf) and, unless
# said otherwise, sends user@broken-aaaa.test, then (after status=sent)
# user@example.test, then runs getent ahosts (glibc getaddrinfo) for
# mx.broken-aaaa.test and www.example.test:
#
# captures/lab-resopt-no-aaaa.pcap            options no-aaaa
# captures/lab-resopt-single-request.pcap     options single-request
# captures/lab-resopt-single-request-reopen.pcap  options single-request-reopen
# captures/lab-resopt-use-vc.pcap             options use-vc
# captures/lab-resopt-rotate.pcap             nameserver 10.53.0.53 and
#                                             10.53.0.56, options rotate
# captures/lab-resopt-timeout1.pcap           nameserver 10.53.0.55 (drops)
#                                             and 10.53.0.53, options
#                                             timeout:1 attempts:1
# captures/lab-resopt-edns0.pcap              options edns0 trust-ad;
#                                             user@example.test only
# Logs: captures/lab/logs/lab-resopt-*.log (Postfix) and *.client.log (the
# resolv.conf and getent output).
. "$(dirname "$0")/lib.sh"
NAME=lab-resolv-options
SEED=user@broken-aaaa.test
HEALTHY=user@example.test
RES2_4=10.53.0.56
lab_init "$NAME"
lab_setup
ip -n "$NS_RES" addr add "$RES2_4/24" dev eth0
lab_start_nsd
lab_start_unbound "127.0.0.1@5300"
lab_start_dnsdist "$TPL/dnsdist-resopts.conf.in"
wait_for "dnsdist on $RES2_4" 20 dns_ok "$NS_RES" "$RES2_4" 53 . SOA
lab_start_sinks

# resopt CAPTURE INST "OPTIONS" "RESOLVER ..." RCPT...: one capture.
resopt() {
    local cap=lab-resopt-$1 inst=$2 opts=$3 res=$4 r n=0 h
    shift 4
    # shellcheck disable=SC2086 # a list of addresses
    LAB_RESOLV_OPTIONS=$opts lab_resolvers $res
    : > "$RUN/client.log"
    { echo "\$ cat /etc/resolv.conf  # in the sender namespace"
      cat "/etc/netns/$NS_SND/resolv.conf"; } >>"$RUN/client.log"
    lab_start_postfix "$inst" all "smtp_address_preference = ipv4"
    lab_capture_start "$cap"
    for r in "$@"; do
        n=$((n + 1))
        lab_send "$inst" sender@sender.lab.test "$r" "lab $cap $n"
        lab_wait_log "$inst" "to=<$r>.*status=(sent|bounced|deferred)" 90
        sleep 1
    done
    for h in mx.broken-aaaa.test www.example.test; do
        { echo "\$ getent ahosts $h"; ns_exec "$NS_SND" timeout 30 getent ahosts "$h"
          echo "exit status $?"; } >>"$RUN/client.log" 2>&1 || true
        sleep 1
    done
    lab_capture_stop
    lab_stop_postfix "$inst"
    lab_keep_log "$inst" "$cap"
    cp "$RUN/client.log" "$LAB_DIR/logs/$cap.client.log"
}

# 1. no-aaaa (glibc 2.36+): does Postfix's res_query still ask AAAA?
resopt no-aaaa pf1 "no-aaaa" "$RES4" "$SEED" "$HEALTHY"
# 2. A and AAAA of getaddrinfo one after the other (reopen: new socket).
resopt single-request pf2 "single-request" "$RES4" "$SEED" "$HEALTHY"
resopt single-request-reopen pf3 "single-request-reopen" "$RES4" "$SEED" "$HEALTHY"
# 3. every query over TCP.
resopt use-vc pf4 "use-vc" "$RES4" "$SEED" "$HEALTHY"
# 4. two live resolvers taken in turn; a dead primary with a 1 s timeout.
resopt rotate pf5 "rotate" "$RES4 $RES2_4" "$SEED" "$HEALTHY"
resopt timeout1 pf6 "timeout:1 attempts:1" "$DROP4 $RES4" "$SEED" "$HEALTHY"
# 5. EDNS(0) with the AD bit on every query.
resopt edns0 pf7 "edns0 trust-ad" "$RES4" "$HEALTHY"
lab_finish
