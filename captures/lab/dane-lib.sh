# shellcheck shell=bash
# dane-lib.sh: the DNS side of the DANE captures (lab-dane.sh with Postfix,
# lab-dane-exim.sh with Exim), sourced after lib.sh and fail-lib.sh with
# ZONE=dane.test set.
#
# dane_sign_zone: dane.test (templates/zones/dane.test.zone) with the TLSA
# data "3 1 1" (DANE-EE, SPKI, SHA-256) of a fresh P-256 key, signed with
# ldns-signzone (one ECDSAP256SHA256 KSK, NSEC) valid from a day before to
# 30 days after now; $RUN/nsd-extra.conf serves it, $RUN/keys/anchor.key is
# its trust anchor.
# dane_lab_up: the lab with NSD serving it, a VALIDATING unbound (that
# anchor) on 127.0.0.1:5300 behind dnsdist on 10.53.0.53, which answers
# SERVFAIL itself to "TLSA _25._tcp.mx.dane.test"
# (templates/dnsdist-dane-tlsa-servfail.conf.in), the SMTP sinks, and the
# sender's resolv.conf with "options edns0 trust-ad" (without trust-ad,
# glibc >= 2.31 clears the AD bit and DANE never applies); dies unless
# unbound validates the zone.
# dane_client_digs: dig the DANE questions (+dnssec, +cd, and unbound
# directly) into the client log (fail_client).

dane_sign_zone() {
    command -v ldns-signzone >/dev/null && command -v ldns-keygen >/dev/null \
        || die "missing ldnsutils (ldns-keygen, ldns-signzone)"
    command -v dnsdist >/dev/null || die "missing dnsdist"
    command -v openssl >/dev/null || die "missing openssl"
    mkdir -p "$RUN/keys"
    ( cd "$RUN/keys"
      openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out tls.key 2>/dev/null
      spki=$(openssl pkey -in tls.key -pubout -outform DER | sha256sum | cut -d' ' -f1)
      sed "s/@TLSA@/$spki/" "$ZONES/$ZONE.zone" > "$ZONE.zone"
      key=$(ldns-keygen -a ECDSAP256SHA256 -k "$ZONE")
      ldns-signzone -i "$(date -u -d '-1 day' +%Y%m%d%H%M%S)" \
          -e "$(date -u -d '+30 days' +%Y%m%d%H%M%S)" \
          -f "$ZONE.signed" "$ZONE.zone" "$key"
      cp "$key.key" anchor.key )
    grep -q 'RRSIG	TLSA 13 5 300 ' "$RUN/keys/$ZONE.signed" || die "signing failed"
    grep -P '\tTLSA\t' "$RUN/keys/$ZONE.signed" | grep -v RRSIG | sed 's/^/    zone: /' >&2
    printf 'zone:\n    name: "%s."\n    zonefile: "%s"\n' "$ZONE" "$RUN/keys/$ZONE.signed" > "$RUN/nsd-extra.conf"
}

# dane_resolvers ADDR...: like lab_resolvers, plus "options edns0 trust-ad".
dane_resolvers() {
    local f=/etc/netns/$NS_SND/resolv.conf a
    { printf '# mxsniff lab: sender resolv.conf (%s)\n' "$LAB_NAME"
      for a in "$@"; do printf 'nameserver %s\n' "$a"; done
      printf 'options edns0 trust-ad\n'; } > "$f.tmp"
    cat "$f.tmp" > "$f"; rm -f "$f.tmp"
}

dane_lab_up() {
    lab_setup
    fail_start_nsd "$RUN/nsd-extra.conf"
    fail_start_unbound 's/^\( *module-config:\).*/\1 "validator iterator"/' "127.0.0.1@5300" \
        "trust-anchor-file: \"$RUN/keys/anchor.key\"" "ede: yes" "val-log-level: 2"
    lab_start_dnsdist "$TPL/dnsdist-dane-tlsa-servfail.conf.in"
    lab_start_sinks
    dane_resolvers "$RES4"
    ns_exec "$NS_RES" dig +dnssec -p 5300 @127.0.0.1 MX "$ZONE" | grep -q 'flags: qr rd ra ad;' \
        || die "unbound does not validate $ZONE"
}

dane_client_digs() {
    fail_client dig +dnssec MX "$ZONE"
    fail_client dig +dnssec TLSA "_25._tcp.mx.$ZONE"
    fail_client dig +cd TLSA "_25._tcp.mx.$ZONE"
    fail_client ip netns exec "$NS_RES" dig +dnssec -p 5300 @127.0.0.1 TLSA "_25._tcp.mx.$ZONE"
}
