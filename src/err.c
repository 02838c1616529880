/* err.c - text for MX_E* error codes. Nothing else lives here. */
#include "mxsniff/err.h"

const char *mx_strerror(int code)
{
	switch (code) {
	case MX_OK: return "success";
	case MX_ENOMEM: return "out of memory";
	case MX_EINVAL: return "invalid argument";
	case MX_EIO: return "input/output error";
	case MX_ELINK: return "unsupported link-layer type";
	case MX_EFILTER: return "filter expression does not compile";
	case MX_EPRIV: return "cannot drop privileges";
	case MX_ETRUNC: return "capture file is truncated";
	case MX_EFORMAT: return "not a pcap or pcapng file";
	default: return "unknown error";
	}
}
