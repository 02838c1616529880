#!/bin/bash
# lab-dane.sh: record captures/lab-dane-tlsa-servfail.pcap and
# captures/lab-dane-tlsa-ok.pcap (PATTERNS.md P19): a real Postfix doing DANE.
#
# dane.test (lab/templates/zones/dane.test.zone) is signed here with
# ldns-signzone (one ECDSAP256SHA256 KSK from ldns-keygen, NSEC) with
# signatures VALID from a day before to 30 days after the recording. Its
# MX mx.dane.test has A, AAAA and "_25._tcp.mx.dane.test TLSA 3 1 1
# <SHA-256 of the SPKI of a P-256 key made here with openssl>"; the MX of
# notlsa.dane.test, mx2.dane.test, has A and AAAA and no TLSA. unbound
# VALIDATES (module-config "validator iterator") with the zone's key as its
# trust anchor (root and test. stay unsigned: dane.test is an island of
# trust, every other zone is insecure) on 127.0.0.1:5300, behind dnsdist on
# 10.53.0.53, which answers SERVFAIL itself to "TLSA _25._tcp.mx.dane.test"
# (templates/dnsdist-dane-tlsa-servfail.conf.in) and passes the rest on.
#
# The sender's resolv.conf has "options edns0 trust-ad" (without trust-ad,
# glibc >= 2.31 clears the AD bit before Postfix sees it, and DANE never
# applies). Postfix: smtp_dns_support_level = dnssec, smtp_tls_security_level
# = dane, dnssec_probe = ns:dane.test (a name the lab resolver can validate;
# the default "ns:." would draw "DNSSEC validation may be unavailable"
# because the lab root is unsigned), smtp_tls_loglevel = 1, and a tlsmgr
# service added to the lab master.cf.
#
# captures/lab-dane-tlsa-servfail.pcap: Postfix sends to user@dane.test:
#   MX, A/AAAA of mx.dane.test (secure), then TLSA _25._tcp.mx.dane.test:
#   SERVFAIL (glibc asks twice), and Postfix defers 4.7.5 "TLSA lookup error
#   for mx.dane.test:25" without connecting. 65 s after the first deferral a
#   forced queue run (postqueue -f) repeats the attempt: two attempts.
# captures/lab-dane-tlsa-ok.pcap: the same lab, Postfix sends to
#   user@notlsa.dane.test (MX, A/AAAA of mx2.dane.test secure, TLSA of
#   _25._tcp.mx2.dane.test secure NXDOMAIN: no DANE, Postfix falls back to
#   opportunistic TLS; smtp-sink offers no STARTTLS, so it delivers in
#   plain text) and to user@example.test (insecure zone: no TLSA query at
#   all). Both are delivered.
# After each capture, dig (+dnssec, and +cd) shows the same questions
# (client logs). Logs: captures/lab/logs/lab-dane-tlsa-{servfail,ok}.log
# (+ .client.log).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/fail-lib.sh"
. "$(dirname "$0")/dane-lib.sh"
NAME=lab-dane
ZONE=dane.test
lab_init "$NAME"
dane_sign_zone

# dane_start_postfix INST: a lab Postfix doing DANE. The template's
# "smtp_tls_security_level = none" is edited in place (postconf -e: an
# appended second entry would draw "overriding earlier entry" warnings),
# and a tlsmgr service is added (the lab master.cf has none; the TLS client
# wants one for its PRNG seed and session cache); then a reload, before
# any mail is submitted.
dane_start_postfix() {
    local d=$RUN/$1
    lab_start_postfix "$1" all "smtp_address_preference = ipv4" \
        "smtp_dns_support_level = dnssec" \
        "dnssec_probe = ns:$ZONE" "smtp_tls_loglevel = 1"
    ns_exec "$NS_SND" postconf -c "$d/etc" -e "smtp_tls_security_level = dane"
    ns_exec "$NS_SND" postconf -c "$d/etc" -M \
        "tlsmgr/unix=tlsmgr unix - - n 1000? 1 tlsmgr"
    ns_exec "$NS_SND" postfix -c "$d/etc" reload >>"$d/start.log" 2>&1
    lab_wait_log "$1" 'reload' 20
}

dane_lab_up

dane_start_postfix pf
PF=$RUN/pf

# --- 1. TLSA SERVFAIL: deferred 4.7.5, forced retry 65 s later.
CAP=lab-dane-tlsa-servfail
lab_capture_start "$CAP"
lab_send pf sender@sender.lab.test "user@$ZONE" "lab dane tlsa servfail"
lab_wait_log pf "to=<user@$ZONE>.*status=deferred" 60
sleep 65
ns_exec "$NS_SND" postqueue -c "$PF/etc" -f
log "forced queue run (postqueue -f)"
lab_wait_log pf "to=<user@$ZONE>.*status=deferred" 60 2
lab_capture_stop 2
dane_client_digs
# The message to user@dane.test stays in this instance's queue (deferred):
# a new instance records the second capture, so its retries cannot.
lab_stop_postfix pf
lab_keep_log pf "$CAP"
fail_keep_client "$CAP"

# --- 2. No TLSA (secure NXDOMAIN) and an insecure domain: both delivered.
dane_start_postfix pf2
CAP=lab-dane-tlsa-ok
lab_capture_start "$CAP"
lab_send pf2 sender@sender.lab.test "user@notlsa.$ZONE" "lab dane no tlsa"
lab_wait_log pf2 "to=<user@notlsa.$ZONE>.*status=(sent|deferred|bounced)" 60
sleep 1
lab_send pf2 sender@sender.lab.test user@example.test "lab dane insecure domain"
lab_wait_log pf2 "to=<user@example.test>.*status=(sent|deferred|bounced)" 60
lab_capture_stop 2
fail_client dig +dnssec MX "notlsa.$ZONE"
fail_client dig +dnssec TLSA "_25._tcp.mx2.$ZONE"
fail_client dig +dnssec MX example.test
lab_stop_postfix pf2
lab_keep_log pf2 "$CAP"
fail_keep_client "$CAP"
grep -i 'validation failure' "$RUN/unbound/unbound.log" | sed 's/^/    unbound: /' >&2 || true
lab_finish
