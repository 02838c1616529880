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
extern const struct mx_detector mx_det_tlsa_lookup_fail;

const struct mx_detector *const mx_detectors[] = {
	&mx_det_aaaa_servfail_loop,
	&mx_det_aaaa_servfail_a_ok,
	&mx_det_mx_nxdomain,
	&mx_det_mx_nodata,
	&mx_det_null_mx,
	&mx_det_mx_target_unresolvable,
	&mx_det_mx_target_name,
	&mx_det_mx_target_bogus_addr,
	&mx_det_tlsa_lookup_fail,
	NULL,
};

#endif
