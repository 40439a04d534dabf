/* SPDX-License-Identifier: MIT */
/*
 * Did-you-mean suggestions for an unknown name (a key, a field, an enum
 * value): the edit distance between two names, the closest of a list of
 * names, and a list of names joined for a message.
 *
 * Foundation layer: it includes nothing of the project's own.
 */
#pragma once

#include <stddef.h>

#define AG3_EDIT_MAX 64 /* the longest name ag3_edit_distance compares */

enum {
	AG3_EDIT_FOLD_CASE = 1 << 0, /* ASCII letters compare case-insensitively       */
	AG3_EDIT_TRANSPOSE = 1 << 1, /* two adjacent characters swapped count 1 edit */
};

/*
 * The number of single-character insertions, deletions and substitutions
 * (and, with AG3_EDIT_TRANSPOSE, adjacent transpositions: the optimal string
 * alignment distance) that turn `a` into `b`; SIZE_MAX when either is longer
 * than AG3_EDIT_MAX.
 */
size_t ag3_edit_distance(const char *a, const char *b, unsigned flags);

/*
 * The closest of `names` (n of them, or up to a NULL entry: n = SIZE_MAX) to
 * `s` when it is close enough to be a likely typo: at most a third of the
 * name's length (at least 2) edits away, ignoring case, and fewer edits than
 * the name has characters. NULL when none is.
 */
const char *ag3_closest(const char *s, const char *const *names, size_t n);

/*
 * Writes "a, b, c" (`names`: n of them, or up to a NULL entry) into `out`,
 * cut to `size` bytes.
 */
void ag3_join_names(char *out, size_t size, const char *const *names, size_t n);
