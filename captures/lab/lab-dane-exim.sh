#!/bin/bash
# lab-dane-exim.sh: record captures/lab-dane-exim-tlsa-servfail.pcap: Exim
# 4.96 (Debian bookworm's exim4-daemon-light, GnuTLS, DANE support; the
# unpacked .debs of mta-lib.sh) doing DANE against the TLSA SERVFAIL of
# lab-dane.sh (PATTERNS.md P19).
#
# The DNS side is lab-dane.sh's (dane-lib.sh): dane.test signed with
# ldns-signzone (ECDSAP256SHA256 KSK, NSEC, valid from a day before to 30
# days after the recording), TLSA 3 1 1 for _25._tcp.mx.dane.test, a
# VALIDATING unbound with the zone key as trust anchor on 127.0.0.1:5300
# behind dnsdist on 10.53.0.53, which answers SERVFAIL itself to
# "TLSA _25._tcp.mx.dane.test" (templates/dnsdist-dane-tlsa-servfail.conf.in).
# The sender's resolv.conf has "options edns0 trust-ad" (glibc clears AD
# without trust-ad, and Exim would then see every host as not DNSSEC).
#
# Exim: templates/exim.conf.in, with "dnssec_request_domains = *" on the
# dnslookup router (dnssec_require_domains unset) and "hosts_try_dane = *"
# on the remote_smtp transport. hosts_try_dane, not hosts_require_dane:
# it is Exim's counterpart of Postfix's "smtp_tls_security_level = dane"
# (opportunistic DANE: DANE applies where the TLSA RRset is secure, and a
# TLSA lookup that fails temporarily defers the host), so the two captures
# compare like with like; hosts_require_dane is "dane-only". In Exim 4.96
# (transports/smtp.c, tlsa_lookup) a TLSA lookup answered DNS_AGAIN
# (SERVFAIL) returns DEFER under either option.
#
# captures/lab-dane-exim-tlsa-servfail.pcap: one message to user@dane.test,
#   queued (-odq), delivered by a queue run (exim -q -v); 65 s after that
#   attempt one forced queue run (exim -qff -v): two attempts, both
#   deferred at the TLSA lookup, no connection.
# After the capture, dig (+dnssec, and +cd) shows the same questions (client
# log). Logs: captures/lab/logs/lab-dane-exim-tlsa-servfail.log (Exim's
# mainlog), .client.log (queue run transcripts, then the dig output).
#
# Takes /tmp/mxlab.lock itself unless it inherited it (record-all.sh, or
# "(exec 9>/tmp/mxlab.lock; flock -w 1200 9 && ./captures/lab/lab-dane-exim.sh)").
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/fail-lib.sh"
. "$(dirname "$0")/dane-lib.sh"
. "$(dirname "$0")/mta-lib.sh"
lab_lock
NAME=lab-dane-exim
ZONE=dane.test
GAP=${MXLAB_DANE_GAP:-65}     # seconds between the two attempts (> 60 s)
lab_init "$NAME"
dane_sign_zone

# exim_run INST OPTION: one queue run (-q, or -qff) in the foreground, its
# -v transcript appended to INST/queue-runs.log.
exim_run() {
    local d=$RUN/$1
    { printf '$ exim4 -C %s %s -v    (%s)\n' "$d/etc/exim.conf" "$2" "$(date +%T)"
      lab_exim "$1" "$2" -v 2>&1 || true; } >>"$d/queue-runs.log"
    log "exim $1 $2 done"
}

dane_lab_up

# The Exim configuration: exim.conf.in with the two DANE lines added.
sed -e '/^  transport = remote_smtp$/a\  dnssec_request_domains = *' \
    -e '/^  driver = smtp$/a\  hosts_try_dane = *' \
    "$TPL/exim.conf.in" > "$RUN/exim-dane.conf.in"
grep -q '^  dnssec_request_domains = \*' "$RUN/exim-dane.conf.in" \
    && grep -q '^  hosts_try_dane = \*' "$RUN/exim-dane.conf.in" || die "exim template edit failed"
EXIM_TPL=$RUN/exim-dane.conf.in lab_start_exim ex
grep -q 'DANE' "$RUN/ex/start.log" || { cat "$RUN/ex/start.log" >&2; die "exim -bV shows no DANE support"; }
grep -E '^(Support for|Library version|Configure owner)' "$RUN/ex/start.log" | sed 's/^/    exim -bV: /' >&2

CAP=lab-dane-exim-tlsa-servfail
ML=$RUN/ex/log/mainlog
lab_capture_start "$CAP"
lab_exim_send ex sender@sender.lab.test "user@$ZONE" "lab dane exim tlsa servfail"
exim_run ex -q
if ! grep -q ' Completed' "$ML"; then
    log "waiting ${GAP} s, then exim -qff"
    sleep "$GAP"
    exim_run ex -qff
fi
lab_capture_stop 2
lab_exim_keep_log ex "$CAP"
: > "$RUN/client.log"
dane_client_digs
cat "$RUN/client.log" >> "$LAB_DIR/logs/$CAP.client.log"
sed 's/^/    mainlog: /' "$ML" >&2
lab_finish
