/* priv.c - dropping root for good once the capture is open (L1).
 *
 * When the effective uid is 0: look the user up, set the supplementary groups
 * to the user's (initgroups, or just the primary group if that fails), then
 * setresgid() and setresuid() so real, effective and saved ids all change
 * (the order matters: groups first, while we still may), and finally verify
 * that it cannot be undone: setuid(0) and setgid(0) must fail and no real,
 * effective or saved id may be 0. tcpdump's -Z and dnscap's
 * drop_privileges() work the same way. When not running as root nothing is
 * done: reading a file needs no privileges. In a Linux user namespace a user
 * whose uid or gid has no mapping there (`unshare -r` maps only root), or a
 * namespace that denies setgroups, gives an error that says so rather than
 * the bare EINVAL or EPERM.
 *
 * What it does not do: chroot, capabilities, or opening anything.
 */
#define _GNU_SOURCE 1 /* setresuid, setresgid, getresuid, getresgid */

#include "mxsniff/priv.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include "mxsniff/err.h"

/* Linux user namespaces: only the ids listed in /proc/self/{uid,gid}_map
 * exist there (`unshare -r` maps just 0), and changing to another one fails
 * with EINVAL. 1 = mapped or no map to read (not Linux, no /proc), 0 = not. */
static int id_mapped(const char *map, unsigned long id)
{
	FILE *fp = fopen(map, "r");
	unsigned long inside, outside, count;
	int found = 0;

	if (fp == NULL)
		return 1;
	while (fscanf(fp, "%lu %lu %lu", &inside, &outside, &count) == 3)
		if (id >= inside && id - inside < count)
			found = 1;
	fclose(fp);
	return found;
}

/* "deny" in /proc/self/setgroups: setgroups() is refused in this user
 * namespace (unshare -r writes it before mapping root). */
static int setgroups_denied(void)
{
	FILE *fp = fopen("/proc/self/setgroups", "r");
	char buf[16] = "";
	int denied;

	if (fp == NULL)
		return 0;
	denied = fgets(buf, sizeof(buf), fp) != NULL && strncmp(buf, "deny", 4) == 0;
	fclose(fp);
	return denied;
}

int mx_priv_drop(const char *user, char *err, size_t errlen)
{
	struct passwd *pw;
	uid_t uid, ru, eu, su;
	gid_t gid, rg, eg, sg;

	char scratch[1];

	if (geteuid() != 0)
		return 0;
	if (err == NULL || errlen == 0) {
		err = scratch;
		errlen = sizeof(scratch);
	}
	if (user == NULL || user[0] == '\0') {
		snprintf(err, errlen, "no user to drop privileges to");
		return MX_EINVAL;
	}
	errno = 0;
	pw = getpwnam(user);
	if (pw == NULL) {
		snprintf(err, errlen, "cannot drop privileges: no user '%s'%s%s", user,
			 errno ? ": " : "", errno ? strerror(errno) : "");
		return MX_EINVAL;
	}
	uid = pw->pw_uid;
	gid = pw->pw_gid;
	if (uid == 0 || gid == 0) {
		snprintf(err, errlen, "cannot drop privileges to '%s': its %s is 0 (root)", user,
			 uid == 0 ? "uid" : "group id");
		return MX_EINVAL;
	}
	if (!id_mapped("/proc/self/uid_map", (unsigned long)uid) ||
	    !id_mapped("/proc/self/gid_map", (unsigned long)gid)) {
		bool u = !id_mapped("/proc/self/uid_map", (unsigned long)uid);

		snprintf(err, errlen, "cannot drop privileges to '%s': its %s %lu has no mapping in this "
			 "user namespace (see /proc/self/%s_map)", user, u ? "uid" : "group id",
			 u ? (unsigned long)uid : (unsigned long)gid, u ? "uid" : "gid");
		return MX_EPRIV;
	}
	if (initgroups(pw->pw_name, gid) != 0 && setgroups(1, &gid) != 0) {
		int e = errno;

		if (e == EPERM && setgroups_denied())
			snprintf(err, errlen, "cannot drop privileges to '%s': setgroups is denied in this "
				 "user namespace (/proc/self/setgroups)", user);
		else
			snprintf(err, errlen, "cannot drop privileges: setgroups: %s", strerror(e));
		return MX_EPRIV;
	}
	if (setresgid(gid, gid, gid) != 0) {
		snprintf(err, errlen, "cannot drop privileges: setresgid(%lu): %s",
			 (unsigned long)gid, strerror(errno));
		return MX_EPRIV;
	}
	if (setresuid(uid, uid, uid) != 0) {
		snprintf(err, errlen, "cannot drop privileges: setresuid(%lu): %s",
			 (unsigned long)uid, strerror(errno));
		return MX_EPRIV;
	}
	/* Verify: nothing may lead back to root. */
	if (setuid(0) == 0 || seteuid(0) == 0 || setgid(0) == 0) {
		snprintf(err, errlen, "dropped privileges to '%s' but root could be regained", user);
		return MX_EPRIV;
	}
	if (getresuid(&ru, &eu, &su) != 0 || getresgid(&rg, &eg, &sg) != 0 ||
	    ru == 0 || eu == 0 || su == 0 || rg == 0 || eg == 0 || sg == 0 ||
	    ru != uid || eu != uid || su != uid || eg != gid) {
		snprintf(err, errlen, "dropped privileges to '%s' but a root id remains", user);
		return MX_EPRIV;
	}
	return 0;
}
