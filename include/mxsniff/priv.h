/* priv.h - dropping root after the capture is open (L1).
 *
 * Order (tcpdump -Z, dnscap): open capture, set filter, open outputs, then
 * mx_priv_drop(): setgroups(), setresgid(), setresuid() to the user, then
 * check that setuid(0) fails. Only when running as root; reading a file never
 * needs privileges.
 */
#ifndef MXSNIFF_PRIV_H
#define MXSNIFF_PRIV_H

#include <stddef.h>

/* Drop to `user` when the effective uid is 0; no-op otherwise. Returns 0, or
 * MX_EPRIV / MX_EINVAL with a one-line message in err. */
int mx_priv_drop(const char *user, char *err, size_t errlen);

#endif
