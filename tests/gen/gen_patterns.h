/* gen_patterns.h - mxsniff-gen scenarios for the failure patterns of
 * PATTERNS.md §3 that cannot reasonably be recorded from real software, and a
 * busy healthy capture (gen_patterns.c; test tool, not part of mxsniff).
 * Each writes one pcap file at `path`; see captures/synthetic/README.md.
 */
#ifndef MXSNIFF_GEN_PATTERNS_H
#define MXSNIFF_GEN_PATTERNS_H

int gen_sc_p1_exchange(const char *path);
int gen_sc_p5_p8_names(const char *path);
int gen_sc_p9_slow(const char *path);
int gen_sc_p12_public(const char *path);
int gen_sc_p13_disagreement(const char *path);
int gen_sc_p14_tc(const char *path);
int gen_sc_p15_edns(const char *path);
int gen_sc_p16_query_volume(const char *path);
int gen_sc_p17_servfail_storm(const char *path);
int gen_sc_p17_domain_servfail(const char *path);
int gen_sc_p18_dnssec(const char *path);
int gen_sc_p20_diagnostics(const char *path);
int gen_sc_healthy_busy(const char *path);
int gen_sc_p4_mx_nodata(const char *path);
int gen_sc_p19_tlsa(const char *path);
int gen_sc_p1_timeout(const char *path);
int gen_sc_p10_dead(const char *path);
int gen_sc_p11_referral(const char *path);
int gen_sc_p6_partial(const char *path);
int gen_sc_p12_public_in_use(const char *path);

#endif
