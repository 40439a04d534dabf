/* SPDX-License-Identifier: MIT */
/* Did-you-mean for a mistyped option or command (cli_options.h). */
#include <stdint.h>
#include <string.h>

#include "cli_options.h"
#include "runtime/util/suggest.h"

/*
 * ag3_edit_distance (runtime/util/suggest.c, the one the loaders' did-you-mean
 * uses) with adjacent swaps counted as one edit, on a[0..n) and b[0..m): copied
 * to NUL-terminated buffers, since a word may be cut out of "--name=value".
 */
size_t cli_edit_distance(const char *a, size_t n, const char *b, size_t m)
{
	_Static_assert(CLI_SUGGEST_MAX_LEN <= AG3_EDIT_MAX, "the distance's own bound");
	if (n > CLI_SUGGEST_MAX_LEN || m > CLI_SUGGEST_MAX_LEN)
		return SIZE_MAX;
	char x[CLI_SUGGEST_MAX_LEN + 1], y[CLI_SUGGEST_MAX_LEN + 1];
	memcpy(x, a, n);
	x[n] = 0;
	memcpy(y, b, m);
	y[m] = 0;
	return ag3_edit_distance(x, y, AG3_EDIT_TRANSPOSE);
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
