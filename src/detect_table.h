/* detect_table.h - the detector table (included once, by detect.c).
 * Adding a detector: write src/detect/<name>.c defining one struct
 * mx_detector, declare it here and add its row, in PATTERNS.md order. */
#ifndef MXSNIFF_DETECT_TABLE_H
#define MXSNIFF_DETECT_TABLE_H

extern const struct mx_detector mx_det_aaaa_servfail_loop;
extern const struct mx_detector mx_det_aaaa_servfail_a_ok;
extern const struct mx_detector mx_det_mx_nxdomain;
extern const struct mx_detector mx_det_mx_nodata;
extern const struct mx_detector mx_det_null_mx;
extern const struct mx_detector mx_det_mx_target_unresolvable;
extern const struct mx_detector mx_det_mx_target_name;
extern const struct mx_detector mx_det_mx_target_bogus_addr;
extern const struct mx_detector mx_det_slow_resolver;
extern const struct mx_detector mx_det_resolver_timeout;
extern const struct mx_detector mx_det_resolver_refused;
extern const struct mx_detector mx_det_public_resolver;
extern const struct mx_detector mx_det_resolver_disagreement;
extern const struct mx_detector mx_det_tc_no_tcp_retry;
extern const struct mx_detector mx_det_edns_formerr;
extern const struct mx_detector mx_det_query_volume;
extern const struct mx_detector mx_det_servfail_storm;
extern const struct mx_detector mx_det_dnssec_bogus;
extern const struct mx_detector mx_det_tlsa_lookup_fail;
extern const struct mx_detector mx_det_diagnostics;
extern const struct mx_detector mx_det_relayhost_unresolvable;
extern const struct mx_detector mx_det_tc_rate_limit;
extern const struct mx_detector mx_det_any_lookup_fail;
extern const struct mx_detector mx_det_client_rdns;

const struct mx_detector *const mx_detectors[] = {
	&mx_det_aaaa_servfail_loop,
	&mx_det_aaaa_servfail_a_ok,
	&mx_det_mx_nxdomain,
	&mx_det_mx_nodata,
	&mx_det_null_mx,
	&mx_det_mx_target_unresolvable,
	&mx_det_mx_target_name,
	&mx_det_mx_target_bogus_addr,
	&mx_det_slow_resolver,
	&mx_det_resolver_timeout,
	&mx_det_resolver_refused,
	&mx_det_public_resolver,
	&mx_det_resolver_disagreement,
	&mx_det_tc_no_tcp_retry,
	&mx_det_edns_formerr,
	&mx_det_query_volume,
	&mx_det_servfail_storm,
	&mx_det_dnssec_bogus,
	&mx_det_tlsa_lookup_fail,
	&mx_det_diagnostics,
	&mx_det_relayhost_unresolvable,
	&mx_det_tc_rate_limit,
	&mx_det_any_lookup_fail,
	&mx_det_client_rdns,
	NULL,
};

#endif
