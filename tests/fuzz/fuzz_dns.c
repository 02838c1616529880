/* fuzz_dns.c - libFuzzer target: DNS message bytes -> both decoders.
 *
 * The input is one DNS message. It is parsed complete (wire_len = size) and,
 * as a capture cut by the snap length, its first half with wire_len = size.
 * mx_dns_parse() and the ldns reference mx_dns_parse_ldns() must satisfy the
 * contract of dns_diff.h (both OK with equal fields, or both not OK); any
 * break aborts with the field that differs. mx_dns_outcome() and the names
 * run on the result too. Built with -fsanitize=fuzzer (clang) or linked with
 * replay_main.c to run a corpus as an ordinary test.
 */
#include <stdio.h>
#include <stdlib.h>

#include "mxsniff/dns.h"

/* libldns 1.8.3 (Debian 12) leaks a TSIG record when a message carries
 * two: ldns_wire2pkt() sets each as the packet's TSIG and drops the one
 * before (ldns_pkt_set_tsig() does not free it). mxsniff itself never
 * calls ldns_wire2pkt() (only the reference decoder does, in tests), so
 * allocations made by the reference decoder are left out of LeakSanitizer's
 * report here; the fast decoder stays checked, and the unit tests check the
 * reference decoder's own frees under ASan. */
#if defined(__SANITIZE_ADDRESS__)
#define MX_FUZZ_LSAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define MX_FUZZ_LSAN 1
#endif
#endif
#ifdef MX_FUZZ_LSAN
#include <sanitizer/lsan_interface.h>
#define REF_BEGIN() __lsan_disable()
#define REF_END() __lsan_enable()
#else
#define REF_BEGIN() ((void)0)
#define REF_END() ((void)0)
#endif

#include "dns_diff.h"
#include "fuzz.h"

const struct mx_fuzz_pcap_hooks *const mx_fuzz_pcap = NULL;

static void one(const uint8_t *data, size_t len, size_t wire_len)
{
	static struct mx_dns_msg fast, ref;
	char buf[32];

	mx_dns_parse(data, len, wire_len, &fast);
	REF_BEGIN();
	mx_dns_parse_ldns(data, len, wire_len, &ref);
	REF_END();
	const char *d = mx_dns_diff_contract(&fast, &ref);
	if (d) {
		fprintf(stderr, "fuzz_dns: decoders disagree on %s (len %zu wire_len %zu, "
				"fast verdict %d, ldns verdict %d)\n",
			d, len, wire_len, (int)fast.verdict, (int)ref.verdict);
		abort();
	}
	enum mx_outcome o = mx_dns_outcome(&fast);
	if (fast.verdict == MX_DNS_OK && o != mx_dns_outcome(&ref)) {
		fprintf(stderr, "fuzz_dns: outcomes differ\n");
		abort();
	}
	if (mx_outcome_from_name(mx_outcome_name(o)) != (int)o)
		abort();
	(void)mx_dns_rcode_name(fast.rcode, buf, sizeof buf);
	(void)mx_dns_type_name(fast.qtype, buf, sizeof buf);
	(void)mx_dns_class_name(fast.qclass, buf, sizeof buf);
	(void)mx_dns_ede_name(fast.ede_code);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	one(data, size, size);
	if (size > 1)
		one(data, size / 2, size);
	return 0;
}
