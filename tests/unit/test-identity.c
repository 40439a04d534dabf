/* SPDX-License-Identifier: MIT */
/* Unit tests for runtime/identity.c: the generated /etc/passwd and /etc/group, and the
 * names and paths they may hold (a ':' or a newline would add a field or a user). */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/identity.h"
#include "runtime/util/cleanup.h"

Test(identity, files_for_a_session_uid)
{
	_cleanup_free_ char *pw = NULL, *gr = NULL;
	cr_assert_eq(ag3_identity_files("agent", "agent", 50001, 50001, "/workspace", "/bin/sh",
					&pw, &gr),
		     0);
	cr_assert_str_eq(pw, "root:x:0:0:root:/root:/bin/sh\n"
			     "agent:x:50001:50001:agent:/workspace:/bin/sh\n"
			     "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n");
	cr_assert_str_eq(gr, "root:x:0:\nagent:x:50001:\nnogroup:x:65534:\n");
}

/* Root mode's default ids are 65534: the command's own name, not nobody, answers. */
Test(identity, nobody_ids_named_after_the_command)
{
	_cleanup_free_ char *pw = NULL, *gr = NULL;
	cr_assert_eq(ag3_identity_files("agent", "agent", 65534, 65534, "/w", "/bin/sh", &pw, &gr),
		     0);
	cr_assert_str_eq(pw,
			 "root:x:0:0:root:/root:/bin/sh\nagent:x:65534:65534:agent:/w:/bin/sh\n");
	cr_assert_str_eq(gr, "root:x:0:\nagent:x:65534:\n");
	_cleanup_free_ char *pw2 = NULL, *gr2 = NULL;
	cr_assert_eq(
		ag3_identity_files("nobody", "nogroup", 1000, 1000, "/w", "/bin/sh", &pw2, &gr2),
		0);
	cr_assert_null(strstr(pw2, ":65534:"));
	cr_assert_null(strstr(gr2, ":65534:"));
}

/* uid 0 (the bwrap front end's root mode): root's line only. */
Test(identity, root_ids_add_no_line)
{
	_cleanup_free_ char *pw = NULL, *gr = NULL;
	cr_assert_eq(ag3_identity_files("agent", "agent", 0, 0, "/", "/bin/bash", &pw, &gr), 0);
	cr_assert_null(strstr(pw, "agent"));
	cr_assert_null(strstr(gr, "agent"));
}

Test(identity, hostile_names_and_paths_refused)
{
	static const char *const bad_names[] = {
		"",   "a:b",  "a\nroot", "a\n",  "-x",
		".x", "root", "12345",   "a b",  "a\tb",
		"ä",  "a/b",  "a,b",     "a\\b", "abcdefghijabcdefghijabcdefghijabc"};
	for (size_t i = 0; i < sizeof(bad_names) / sizeof(*bad_names); i++) {
		cr_assert_not(ag3_account_name_valid(bad_names[i]), "'%s'", bad_names[i]);
		char *pw = NULL, *gr = NULL;
		cr_assert_eq(ag3_identity_files(bad_names[i], "g", 1000, 1000, "/w", "/bin/sh", &pw,
						&gr),
			     -EINVAL, "user '%s'", bad_names[i]);
		cr_assert_eq(ag3_identity_files("u", bad_names[i], 1000, 1000, "/w", "/bin/sh", &pw,
						&gr),
			     -EINVAL, "group '%s'", bad_names[i]);
		cr_assert_null(pw);
	}
	cr_assert_not(ag3_account_name_valid(NULL));
	static const char *const good_names[] = {
		"agent", "alice", "a.b-c_d",
		"u1000", "_x",    "01234567890123456789012345678901x" + 1};
	for (size_t i = 0; i < sizeof(good_names) / sizeof(*good_names); i++)
		cr_assert(ag3_account_name_valid(good_names[i]), "'%s'", good_names[i]);

	static const char *const bad_paths[] = {
		"", "w", "/w:0:0", "/w\nroot2:x:0:0::/:/bin/sh", "/w\r", "/a\x7f", NULL};
	for (size_t i = 0; i < sizeof(bad_paths) / sizeof(*bad_paths); i++) {
		cr_assert_not(ag3_account_path_valid(bad_paths[i]), "%zu", i);
		char *pw = NULL, *gr = NULL;
		cr_assert_eq(
			ag3_identity_files("u", "g", 1000, 1000, bad_paths[i], "/bin/sh", &pw, &gr),
			-EINVAL);
		cr_assert_eq(ag3_identity_files("u", "g", 1000, 1000, "/w", bad_paths[i], &pw, &gr),
			     -EINVAL);
	}
	char *pw = NULL, *gr = NULL;
	cr_assert_eq(ag3_identity_files("u", "g", (uid_t)-1, 1000, "/w", "/bin/sh", &pw, &gr),
		     -EINVAL);
}

/* Whatever is accepted gives exactly the lines it should: one per account, seven
 * passwd fields and four group fields each. */
Test(identity, every_line_has_its_fields)
{
	_cleanup_free_ char *pw = NULL, *gr = NULL;
	cr_assert_eq(
		ag3_identity_files("a.b-c", "g_1", 7, 8, "/home/a b", "/usr/bin/zsh", &pw, &gr), 0);
	size_t lines = 0;
	for (char *l = pw; *l; lines++) {
		char *nl = strchr(l, '\n');
		cr_assert_not_null(nl);
		size_t colons = 0;
		for (char *p = l; p < nl; p++)
			colons += *p == ':';
		cr_assert_eq(colons, 6, "%.*s", (int)(nl - l), l);
		l = nl + 1;
	}
	cr_assert_eq(lines, 3);
	cr_assert(strstr(pw, "\na.b-c:x:7:8:a.b-c:/home/a b:/usr/bin/zsh\n"));
	cr_assert(strstr(gr, "\ng_1:x:8:\n"));
}
