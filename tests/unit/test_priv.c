/* test_priv.c - L1: dropping root. Every drop runs in a forked child, which
 * reports through its exit code, so the test program itself stays root. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mxsniff/err.h"
#include "mxsniff/priv.h"

static int run_child(int (*fn)(void))
{
	pid_t pid;
	int status = -1;

	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(fn());
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

/* As root: drop to nobody, then try every way back. */
static int child_drop(void)
{
	char err[256] = "";
	struct passwd *pw = getpwnam("nobody");
	gid_t groups[8];
	int n, i;

	if (pw == NULL)
		return 20;
	if (mx_priv_drop("mx-no-such-user-here", err, sizeof(err)) != MX_EINVAL ||
	    strstr(err, "mx-no-such-user-here") == NULL)
		return 21;
	if (mx_priv_drop("root", err, sizeof(err)) != MX_EINVAL)
		return 22;
	if (geteuid() != 0)
		return 23;   /* the failures above must not have changed anything */
	if (mx_priv_drop("nobody", err, sizeof(err)) != 0)
		return 24;
	if (getuid() != pw->pw_uid || geteuid() != pw->pw_uid)
		return 25;
	if (getgid() != pw->pw_gid || getegid() != pw->pw_gid)
		return 26;
	n = getgroups(8, groups);
	for (i = 0; i < n; i++)
		if (groups[i] == 0)
			return 27;
	if (setuid(0) == 0 || seteuid(0) == 0 || setgid(0) == 0 || setegid(0) == 0)
		return 28;
	if (setreuid((uid_t)-1, 0) == 0)
		return 29;
	if (geteuid() == 0 || getuid() == 0)
		return 30;
	/* not root any more: a further drop is a no-op, even to an unknown user */
	if (mx_priv_drop("mx-no-such-user-here", err, sizeof(err)) != 0)
		return 31;
	return 0;
}

static void drop_as_root(void **state)
{
	(void)state;
	if (geteuid() != 0) {
		/* cannot exercise the drop without root: the no-op is tested below */
		assert_int_equal(mx_priv_drop("nobody", NULL, 0), 0);
		return;
	}
	assert_int_equal(run_child(child_drop), 0);
	/* the parent is untouched */
	assert_int_equal(geteuid(), 0);
}

static int child_noop(void)
{
	char err[64] = "untouched";

	if (geteuid() == 0) {
		/* become an ordinary user by hand first */
		struct passwd *pw = getpwnam("nobody");

		if (pw == NULL || setgid(pw->pw_gid) != 0 || setuid(pw->pw_uid) != 0)
			return 40;
	}
	if (mx_priv_drop("nobody", err, sizeof(err)) != 0)
		return 41;
	if (strcmp(err, "untouched") != 0)
		return 42;
	if (mx_priv_drop(NULL, err, sizeof(err)) != 0)
		return 43;
	return 0;
}

static void noop_when_not_root(void **state)
{
	(void)state;
	assert_int_equal(run_child(child_noop), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(drop_as_root),
		cmocka_unit_test(noop_when_not_root),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
