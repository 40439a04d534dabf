/* SPDX-License-Identifier: MIT */
/* bubblewrap's command line (policy/bwrap.c): what it reads, and its error texts. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "policy/bwrap.h"

static char err[1024];

/* --args data, from a table instead of an fd. */
static int fake_read(void *data, int fd, char **buf, size_t *len)
{
	const char *const *tab = data;
	if (fd < 3 || !tab[fd - 3])
		return -EBADF;
	/* the data: words separated by '|', stored NUL-separated */
	size_t n = strlen(tab[fd - 3]);
	*buf = malloc(n + 1);
	memcpy(*buf, tab[fd - 3], n + 1);
	for (size_t i = 0; i < n; i++)
		if ((*buf)[i] == '|')
			(*buf)[i] = '\0';
	*len = n + 1;
	return 0;
}

static int parse(struct ag3_bwrap *bw, const char *const *argv, const char *const *tab)
{
	int argc = 0;
	while (argv[argc])
		argc++;
	char *const envp[] = {(char *)"HOME=/home/u", (char *)"KEEP=1", (char *)"DROP=2", NULL};
	return ag3_bwrap_parse(argc, (char *const *)argv, envp, fake_read, (void *)tab, bw, err,
			       sizeof(err));
}

static void expect_error(const char *const *argv, const char *want)
{
	struct ag3_bwrap bw;
	cr_assert_eq(parse(&bw, argv, NULL), -1, "accepted, wanted '%s'", want);
	cr_expect_str_eq(err, want);
}

Test(bwrap, ops_in_order_with_their_modifiers)
{
	const char *argv[] = {"--unshare-all",
			      "--share-net",
			      "--bind",
			      "/a",
			      "/b",
			      "--ro-bind-try",
			      "/c",
			      "/d",
			      "--perms",
			      "0700",
			      "--size",
			      "0x100000",
			      "--tmpfs",
			      "/tmp",
			      "--dir",
			      "/x",
			      "--symlink",
			      "usr/lib",
			      "/lib",
			      "--file",
			      "7",
			      "/etc/f",
			      "--setenv",
			      "NEW",
			      "v",
			      "--unsetenv",
			      "DROP",
			      "--uid",
			      "50000",
			      "--gid",
			      "50000",
			      "--chdir",
			      "/w",
			      "--",
			      "--cmd-with-dashes",
			      "arg",
			      NULL};
	struct ag3_bwrap bw;
	cr_assert_eq(parse(&bw, argv, NULL), 0, "%s", err);
	cr_expect(bw.unshare_user_try && bw.unshare_pid && bw.unshare_ipc && bw.unshare_uts);
	cr_expect(!bw.unshare_net, "--share-net after --unshare-all");
	cr_assert_eq(bw.n_ops, 6);
	cr_expect_eq(bw.ops[0].kind, AG3_BW_BIND);
	cr_expect(!bw.ops[0].ro && !bw.ops[0].try_);
	cr_expect(bw.ops[1].ro && bw.ops[1].try_);
	cr_expect_eq(bw.ops[2].kind, AG3_BW_TMPFS);
	cr_expect_eq(bw.ops[2].perms, 0700);
	cr_expect_eq(bw.ops[2].size, 0x100000u);
	cr_expect_eq(bw.ops[3].perms, -1, "--perms applies to the next op only");
	cr_expect_str_eq(bw.ops[5].dest, "/etc/f");
	cr_expect_eq(bw.ops[5].fd, 7);
	cr_expect_eq(bw.uid, 50000);
	cr_expect_str_eq(bw.chdir, "/w");
	cr_assert_eq(bw.argc, 2);
	cr_expect_str_eq(bw.argv[0], "--cmd-with-dashes", "after --, nothing is an option");
	bool keep = false, drop = false, new = false;
	for (size_t i = 0; i < bw.n_env; i++) {
		keep |= !strcmp(bw.env[i], "KEEP=1");
		drop |= !strncmp(bw.env[i], "DROP=", 5);
		new |= !strcmp(bw.env[i], "NEW=v");
	}
	cr_expect(keep && !drop && new);
	ag3_bwrap_clear(&bw);
}

Test(bwrap, args_from_fds_and_clearenv)
{
	const char *tab[] = {"--dir|/tmp/hello/world", "--dir|/tmp/hello/world2",
			     "--clearenv|sh|-c", NULL};
	const char *argv[] = {"--args", "3", "--args", "4", "--args", "5", "true", NULL};
	struct ag3_bwrap bw;
	cr_assert_eq(parse(&bw, argv, tab), 0, "%s", err);
	cr_expect_eq(bw.n_ops, 2);
	cr_expect_eq(bw.n_env, 0);
	cr_assert_eq(bw.argc, 3, "the data's command, then the line's: %zu", bw.argc);
	cr_expect_str_eq(bw.argv[0], "sh");
	cr_expect_str_eq(bw.argv[2], "true");
	ag3_bwrap_clear(&bw);
	const char *nested[] = {"--args|3", NULL};
	const char *argv2[] = {"--args", "3", "true", NULL};
	cr_assert_eq(parse(&bw, argv2, nested), -1);
	cr_expect_str_eq(err, "--args not supported in arguments file");
}

Test(bwrap, repeated_single_options_warn)
{
	const char *argv[] = {"--chdir", "/", "--chdir", "/", "true", NULL};
	struct ag3_bwrap bw;
	cr_assert_eq(parse(&bw, argv, NULL), 0);
	cr_assert_eq(bw.n_warnings, 1);
	cr_expect_str_eq(bw.warnings[0], "Only the last --chdir option will take effect");
	ag3_bwrap_clear(&bw);
}

Test(bwrap, the_platforms_options)
{
	const char *argv[] = {"--unshare-user", "--uid-map", "50000", "50000",   "1",
			      "--gid-map",      "50000",     "50000", "1",       "--uid",
			      "50000",          "--gid",     "50000", "--tmpfs", "/tmp:size=100M",
			      "true",           NULL};
	struct ag3_bwrap bw;
	cr_assert_eq(parse(&bw, argv, NULL), 0, "%s", err);
	cr_expect(bw.uid_map_given && bw.gid_map_given);
	cr_expect_eq(bw.uid_map[0], 50000);
	cr_expect_str_eq(bw.ops[0].dest, "/tmp:size=100M",
			 "kept as given: the front end says what it does");
	ag3_bwrap_clear(&bw);
}

Test(bwrap, errors_are_bwraps)
{
	expect_error((const char *[]){"--bogus", "true", NULL}, "Unknown option --bogus");
	expect_error((const char *[]){"--bind", "/a", NULL}, "--bind takes two arguments");
	expect_error((const char *[]){"--json-status-fd", "-1", "true", NULL}, "Invalid fd: -1");
	expect_error((const char *[]){"--info-fd", "0a", "true", NULL}, "Invalid fd: 0a");
	expect_error((const char *[]){"--perms", "0755", "--bind", "/a", "/b", "true", NULL},
		     "--perms must be followed by an option that creates a file");
	expect_error(
		(const char *[]){"--perms", "0755", "--perms", "0755", "--dir", "/a", "true", NULL},
		"--perms given twice for the same action");
	expect_error((const char *[]){"--perms", "8", "--dir", "/a", "true", NULL},
		     "--perms takes an octal argument <= 07777");
	expect_error((const char *[]){"--size", "0", "--tmpfs", "/a", "true", NULL},
		     "--size takes a non-zero number of bytes");
	expect_error((const char *[]){"--size", "123bogus", "--tmpfs", "/a", "true", NULL},
		     "--size takes a non-zero number of bytes");
	expect_error((const char *[]){"--size", "-12345678", "--tmpfs", "/a", "true", NULL},
		     "--size takes a non-zero number of bytes");
	expect_error(
		(const char *[]){"--size", "18446744073709551616", "--tmpfs", "/a", "true", NULL},
		"--size (for tmpfs) is limited to 9223372036854775807");
	expect_error((const char *[]){"--size", "100", "--dir", "/a", "true", NULL},
		     "--size must be followed by --tmpfs");
	expect_error((const char *[]){"--seccomp", "3", "--add-seccomp-fd", "4", "true", NULL},
		     "--add-seccomp-fd cannot be combined with --seccomp");
	expect_error((const char *[]){"--add-seccomp-fd", "4", "--seccomp", "3", "true", NULL},
		     "--seccomp cannot be combined with --add-seccomp-fd");
	expect_error((const char *[]){"--as-pid-1", "true", NULL},
		     "Specifying --as-pid-1 requires --unshare-pid");
	expect_error((const char *[]){"--hostname", "h", "true", NULL},
		     "Specifying --hostname requires --unshare-uts");
	expect_error((const char *[]){"--overlay-src", "/tmp", "true", NULL},
		     "--overlay-src must be followed by another --overlay-src or one of --overlay, "
		     "--tmp-overlay, or --ro-overlay");
	expect_error((const char *[]){"--overlay-src", "/a", "--ro-overlay", "/b", "true", NULL},
		     "--ro-overlay requires at least two --overlay-src");
	expect_error((const char *[]){"--argv0", "a", "--argv0", "b", "true", NULL},
		     "--argv0 used multiple times");
	expect_error((const char *[]){"--uid", "x", "true", NULL}, "Invalid uid: x");
}
