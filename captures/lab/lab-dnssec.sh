#!/bin/bash
# lab-dnssec.sh: record captures/lab-dnssec-bogus.pcap (PATTERNS.md P18).
#
# dnssec-bogus.test is signed here with ldns-signzone (ECDSAP256SHA256 KSK,
# key made with ldns-keygen) with signatures valid from 2024-01-01 to
# 2024-02-01 only, so every RRSIG is EXPIRED, and served by NSD. unbound
# VALIDATES (module-config "validator iterator") with that key as its trust
# anchor for dnssec-bogus.test (the lab root and test. are unsigned, so the
# other zones stay insecure and resolve normally) and "ede: yes".
#
# In the capture: dig MX dnssec-bogus.test (EDNS) gets SERVFAIL with an EDE
# (unbound 1.17.1: code 9 "DNSKEY Missing" with the text "signature expired"
# when it validates, code 6 "DNSSEC Bogus" from its cache later). Then a real Postfix with
# smtp_dns_support_level = dnssec (glibc sends EDNS + DO) sends to
# user@dnssec-bogus.test: MX SERVFAIL + EDE, twice (glibc), and defers
# 4.4.3; its message to user@example.test is delivered (other zones fine).
# After the capture, dig +cd (checking disabled) gets the MX: only
# validation fails (client log).
# Log: captures/lab/logs/lab-dnssec-bogus.log (+ .client.log).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/fail-lib.sh"
NAME=lab-dnssec-bogus
ZONE=dnssec-bogus.test
lab_init "$NAME"
command -v ldns-signzone >/dev/null && command -v ldns-keygen >/dev/null \
    || die "missing ldnsutils (ldns-keygen, ldns-signzone)"

# Sign the zone with signatures that expired long ago.
mkdir -p "$RUN/keys"
( cd "$RUN/keys"
  key=$(ldns-keygen -a ECDSAP256SHA256 -k "$ZONE")
  cp "$ZONES/$ZONE.zone" "$ZONE.zone"
  ldns-signzone -e 20240201000000 -i 20240101000000 -f "$ZONE.signed" "$ZONE.zone" "$key"
  cp "$key.key" anchor.key )
grep -q 'RRSIG	MX 13 2 300 20240201000000' "$RUN/keys/$ZONE.signed" || die "signing failed"
printf 'zone:\n    name: "%s."\n    zonefile: "%s"\n' "$ZONE" "$RUN/keys/$ZONE.signed" > "$RUN/nsd-extra.conf"

lab_setup
fail_start_nsd "$RUN/nsd-extra.conf"
fail_start_unbound 's/^\( *module-config:\).*/\1 "validator iterator"/' "$RES4 $RES6" \
    "trust-anchor-file: \"$RUN/keys/anchor.key\"" "ede: yes" "val-log-level: 2"
lab_start_sinks
lab_resolvers "$RES4"
lab_start_postfix pf all "smtp_address_preference = ipv4" "smtp_dns_support_level = dnssec"

lab_capture_start "$NAME"
lab_dig MX "$ZONE"
sleep 1
lab_send pf sender@sender.lab.test "user@$ZONE" "lab dnssec bogus"
lab_wait_log pf "to=<user@$ZONE>.*status=deferred" 60
sleep 1
lab_send pf sender@sender.lab.test user@example.test "lab dnssec other zone"
lab_wait_log pf "to=<user@example.test>.*status=sent" 60
lab_capture_stop 2
# After the capture (so that its answer does not close the failing lookup):
# with CD=1 (no validation) the resolver answers the same question.
lab_dig +cd MX "$ZONE"
lab_stop_postfix pf
lab_keep_log pf "$NAME"
grep -i 'validation failure' "$RUN/unbound/unbound.log" | sed 's/^/    unbound: /' >&2 || true
cp "$RUN/client.log" "$LAB_DIR/logs/$NAME.client.log"
lab_finish
