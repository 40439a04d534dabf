/* SPDX-License-Identifier: MIT */
#include "suggest.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static bool same(char a, char b, unsigned flags)
{
	if (flags & AG3_EDIT_FOLD_CASE)
		return tolower((unsigned char)a) == tolower((unsigned char)b);
	return a == b;
}

size_t ag3_edit_distance(const char *a, const char *b, unsigned flags)
{
	unsigned short m[AG3_EDIT_MAX + 1][AG3_EDIT_MAX + 1];
	size_t la = strlen(a), lb = strlen(b);

	if (la > AG3_EDIT_MAX || lb > AG3_EDIT_MAX)
		return SIZE_MAX;
	for (size_t i = 0; i <= la; i++)
		m[i][0] = (unsigned short)i;
	for (size_t j = 0; j <= lb; j++)
		m[0][j] = (unsigned short)j;
	for (size_t i = 1; i <= la; i++)
		for (size_t j = 1; j <= lb; j++) {
			unsigned short v = m[i - 1][j - 1] + !same(a[i - 1], b[j - 1], flags);
			if (m[i - 1][j] + 1 < v)
				v = m[i - 1][j] + 1;
			if (m[i][j - 1] + 1 < v)
				v = m[i][j - 1] + 1;
			if ((flags & AG3_EDIT_TRANSPOSE) && i > 1 && j > 1 &&
			    same(a[i - 1], b[j - 2], flags) && same(a[i - 2], b[j - 1], flags) &&
			    m[i - 2][j - 2] + 1 < v)
				v = m[i - 2][j - 2] + 1;
			m[i][j] = v;
		}
	return m[la][lb];
}

const char *ag3_closest(const char *s, const char *const *names, size_t n)
{
	const char *best = NULL;
	size_t bestd = SIZE_MAX;
	for (size_t i = 0; i < n && names[i]; i++) {
		size_t d = ag3_edit_distance(s, names[i], AG3_EDIT_FOLD_CASE);
		size_t nl = strlen(names[i]);
		size_t limit = nl / 3 > 2 ? nl / 3 : 2;
		if (d < bestd && d <= limit && d < nl) {
			best = names[i];
			bestd = d;
		}
	}
	return best;
}

void ag3_join_names(char *out, size_t size, const char *const *names, size_t n)
{
	size_t used = 0;

	out[0] = '\0';
	for (size_t i = 0; i < n && names[i] && used < size; i++) {
		int r = snprintf(out + used, size - used, "%s%s", i ? ", " : "", names[i]);
		if (r < 0)
			break;
		used += (size_t)r;
	}
}
