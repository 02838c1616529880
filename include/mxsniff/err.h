/* err.h - error codes and their text (L0).
 *
 * Functions that can fail return int: 0 on success or a negative MX_E* code.
 * Output parameters are written only on success. A bad packet is never an
 * error: it is a verdict (decode.h) and is counted.
 */
#ifndef MXSNIFF_ERR_H
#define MXSNIFF_ERR_H

enum {
	MX_OK = 0,
	MX_ENOMEM = -1,   /* allocation failed */
	MX_EINVAL = -2,   /* bad argument or option value */
	MX_EIO = -3,      /* read/write/open failed (see the message beside it) */
	MX_ELINK = -4,    /* unsupported link-layer type */
	MX_EFILTER = -5,  /* BPF expression does not compile */
	MX_EPRIV = -6,    /* dropping privileges failed or could be undone */
	MX_ETRUNC = -7,   /* capture file ends in the middle of a record */
	MX_EFORMAT = -8,  /* not a pcap/pcapng file */
};

/* Static text for an MX_E* code; never NULL. */
const char *mx_strerror(int code);

#endif
