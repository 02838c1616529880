/* fuzz.h - what the fuzz targets share with replay_main.c (tests only).
 *
 * Each target defines LLVMFuzzerTestOneInput(). A target that can take
 * capture files frame by frame also sets mx_fuzz_pcap to its hooks;
 * replay_main.c then reads .pcap/.pcapng files with libpcap and feeds every
 * frame through them instead of handing the file's bytes to the target.
 */
#ifndef MXSNIFF_TEST_FUZZ_H
#define MXSNIFF_TEST_FUZZ_H

#include <stddef.h>
#include <stdint.h>

#include "mxsniff/capture.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct mx_fuzz_pcap_hooks {
	void *(*begin)(void);                               /* one capture file */
	void (*frame)(void *st, const struct mx_frame *f);  /* each frame, in order */
	void (*end)(void *st, uint64_t end_us);             /* flush, snapshot, free */
};

/* NULL when the target takes only raw inputs. */
extern const struct mx_fuzz_pcap_hooks *const mx_fuzz_pcap;

#endif
