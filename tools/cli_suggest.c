/* SPDX-License-Identifier: MIT */
/* Did-you-mean for a mistyped option or command (cli_options.h). */
#include <stdint.h>
#include <string.h>

#include "cli_options.h"

/*
 * The optimal string alignment distance: insertions, deletions, substitutions
 * and swaps of two adjacent bytes each cost 1 ("worksapce" is 1 from
 * "workspace"). Three rows of at most CLI_SUGGEST_MAX_LEN + 1 entries: the work
 * is bounded by CLI_SUGGEST_MAX_LEN squared whatever argv holds.
 */
size_t cli_edit_distance(const char *a, size_t n, const char *b, size_t m)
{
	if (n > CLI_SUGGEST_MAX_LEN || m > CLI_SUGGEST_MAX_LEN)
		return SIZE_MAX;
	size_t rows[3][CLI_SUGGEST_MAX_LEN + 1];
	size_t *prev2 = rows[0], *prev = rows[1], *cur = rows[2];
	for (size_t j = 0; j <= m; j++)
		prev[j] = j;
	for (size_t i = 1; i <= n; i++) {
		cur[0] = i;
		for (size_t j = 1; j <= m; j++) {
			size_t cost = a[i - 1] != b[j - 1];
			size_t d = prev[j - 1] + cost;
			if (prev[j] + 1 < d)
				d = prev[j] + 1;
			if (cur[j - 1] + 1 < d)
				d = cur[j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    prev2[j - 2] + 1 < d)
				d = prev2[j - 2] + 1;
			cur[j] = d;
		}
		size_t *t = prev2;
		prev2 = prev;
		prev = cur;
		cur = t;
	}
	return prev[m];
}

const char *cli_suggest(const char *word, size_t len, const char *const *known, size_t n)
{
	/* a third of the word's length, at least 1 and at most 2: "x" is no typo of "-h" */
	size_t limit = len / 3 < 1 ? 1 : len / 3 > 2 ? 2 : len / 3;
	const char *best = NULL;
	size_t best_d = SIZE_MAX;
	if (len == 0)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (!known[i])
			continue;
		size_t d = cli_edit_distance(word, len, known[i], strlen(known[i]));
		if (d <= limit && d < best_d && d < strlen(known[i])) {
			best = known[i];
			best_d = d;
		}
	}
	return best;
}
