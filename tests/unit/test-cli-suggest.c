/* SPDX-License-Identifier: MIT */
/* Unit tests for tools/cli_suggest.c: the edit distance and did-you-mean. */
#include <criterion/criterion.h>
#include <stdint.h>
#include <string.h>

#include "tools/cli_options.h"

static size_t dist(const char *a, const char *b)
{
	return cli_edit_distance(a, strlen(a), b, strlen(b));
}

Test(cli_suggest, distance)
{
	cr_assert_eq(dist("", ""), 0);
	cr_assert_eq(dist("workspace", "workspace"), 0);
	cr_assert_eq(dist("", "abc"), 3);
	cr_assert_eq(dist("abc", ""), 3);
	cr_assert_eq(dist("kitten", "sitting"), 3);
	/* an adjacent swap is one step (plain Levenshtein counts 2) */
	cr_assert_eq(dist("worksapce", "workspace"), 1);
	cr_assert_eq(dist("exce", "exec"), 1);
	cr_assert_eq(dist("ab", "ba"), 1);
	cr_assert_eq(dist("workspce", "workspace"), 1);   /* a deletion */
	cr_assert_eq(dist("workspacee", "workspace"), 1); /* an insertion */
	cr_assert_eq(dist("timeuot", "timeout"), 1);
	cr_assert_eq(dist("profiel", "profile"), 1);
	cr_assert_eq(dist("ca", "abc"), 3); /* OSA, not full Damerau (2) */
	/* only the given lengths are read */
	cr_assert_eq(cli_edit_distance("json=1", 4, "json", 4), 0);
}

Test(cli_suggest, distance_is_bounded)
{
	char a[CLI_SUGGEST_MAX_LEN + 2], b[CLI_SUGGEST_MAX_LEN + 2];
	memset(a, 'a', sizeof(a) - 1);
	a[sizeof(a) - 1] = 0;
	memset(b, 'b', sizeof(b) - 1);
	b[sizeof(b) - 1] = 0;
	/* the longest accepted: a full matrix of CLI_SUGGEST_MAX_LEN squared */
	cr_assert_eq(cli_edit_distance(a, CLI_SUGGEST_MAX_LEN, b, CLI_SUGGEST_MAX_LEN),
		     CLI_SUGGEST_MAX_LEN);
	/* one more byte on either side: refused, not computed */
	cr_assert_eq(cli_edit_distance(a, CLI_SUGGEST_MAX_LEN + 1, "a", 1), SIZE_MAX);
	cr_assert_eq(cli_edit_distance("a", 1, b, CLI_SUGGEST_MAX_LEN + 1), SIZE_MAX);
}

static const char *const opts[] = {"profile", "spec",    "workspace", "uid",     "gid", "user",
				   "json",    "json-fd", "help",      "timeout", NULL,  "result"};

static const char *suggest(const char *w)
{
	return cli_suggest(w, strlen(w), opts, sizeof(opts) / sizeof(opts[0]));
}

Test(cli_suggest, suggest)
{
	cr_assert_str_eq(suggest("worksapce"), "workspace");
	cr_assert_str_eq(suggest("wrkspce"), "workspace"); /* 2 off, 7 long */
	cr_assert_str_eq(suggest("timout"), "timeout");
	cr_assert_str_eq(suggest("reslut"), "result"); /* after a NULL entry */
	cr_assert_str_eq(suggest("jsno"), "json");
	cr_assert_str_eq(suggest("jsonfd"), "json-fd");
	cr_assert_str_eq(suggest("uidd"), "uid");
	/* equals: the first listed */
	cr_assert_str_eq(suggest("xid"), "uid");
	/* too far for its length: nothing */
	cr_assert_null(suggest("wrkspc"));
	cr_assert_null(suggest("bogus-option"));
	cr_assert_null(suggest("xx"));
	cr_assert_null(suggest(""));
	/* never a word as far as it is long ("x" -> "h" would be 1) */
	static const char *const shorts[] = {"h", "o"};
	cr_assert_null(cli_suggest("x", 1, shorts, 2));
	/* longer than CLI_SUGGEST_MAX_LEN: nothing, whatever it resembles */
	char longw[CLI_SUGGEST_MAX_LEN + 11];
	memset(longw, 'w', sizeof(longw) - 1);
	longw[sizeof(longw) - 1] = 0;
	cr_assert_null(suggest(longw));
}
