/* SPDX-License-Identifier: MIT */
/* Globs: fnmatch-style over strings, and component-wise over paths. */
#include "internal.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/*
 * Matches the class at p (p[0] == '['), Python fnmatch style. Returns the
 * length of the class (past ']'), or 0 when it is not a class (no ']': the
 * '[' is a literal).
 */
static size_t class_match(const char *p, size_t pn, unsigned char c, bool *matched)
{
	size_t i = 1;
	bool neg = false, hit = false;
	if (i < pn && (p[i] == '!' || p[i] == '^')) {
		neg = true;
		i++;
	}
	size_t first = i;
	for (; i < pn; i++) {
		if (p[i] == ']' && i > first)
			break;
		unsigned char lo = (unsigned char)p[i];
		if (i + 2 < pn && p[i + 1] == '-' && p[i + 2] != ']') {
			unsigned char hi = (unsigned char)p[i + 2];
			if (lo <= c && c <= hi)
				hit = true;
			i += 2;
		} else if (lo == c) {
			hit = true;
		}
	}
	if (i >= pn)
		return 0;
	*matched = hit != neg;
	return i + 1;
}

/*
 * fnmatch over [p, p+pn) and [t, t+tn): '*' any run, '?' one character,
 * classes; with `stop_slash`, none of them matches '/'. The greedy algorithm
 * with one backtrack point: O(pn * tn), no recursion.
 */
bool ag3_glob_n(const char *p, size_t pn, const char *t, size_t tn, bool stop_slash)
{
	size_t pi = 0, ti = 0, star_p = SIZE_MAX, star_t = 0;
	while (ti < tn) {
		if (pi < pn && p[pi] == '*') {
			while (pi < pn && p[pi] == '*')
				pi++;
			star_p = pi;
			star_t = ti;
			continue;
		}
		if (pi < pn) {
			unsigned char c = (unsigned char)t[ti];
			size_t adv = 1;
			bool ok;
			if (p[pi] == '?') {
				ok = !(stop_slash && c == '/');
			} else if (p[pi] == '[' && (adv = class_match(p + pi, pn - pi, c, &ok))) {
				ok = ok && !(stop_slash && c == '/');
			} else {
				adv = 1;
				ok = (unsigned char)p[pi] == c;
			}
			if (ok) {
				pi += adv;
				ti++;
				continue;
			}
		}
		if (star_p != SIZE_MAX && !(stop_slash && t[star_t] == '/')) {
			ti = ++star_t;
			pi = star_p;
			continue;
		}
		return false;
	}
	while (pi < pn && p[pi] == '*')
		pi++;
	return pi == pn;
}

bool ag3_glob_match(const char *pattern, const char *text)
{
	return ag3_glob_n(pattern, strlen(pattern), text, strlen(text), false);
}

struct seg {
	const char *s;
	size_t n;
};

/* Splits an absolute path into its components. Returns the count, or SIZE_MAX on ENOMEM. */
static size_t segs_of(const char *p, struct seg **ret)
{
	size_t n = 0;
	for (const char *s = p; *s; s++)
		if (*s == '/' && s[1] && s[1] != '/')
			n++;
	if (p[0] != '/' && p[0])
		n++;
	*ret = calloc(n + 1, sizeof(**ret));
	if (!*ret)
		return SIZE_MAX;
	size_t i = 0;
	for (const char *s = p; *s && i < n + 1;) {
		while (*s == '/')
			s++;
		size_t len = strcspn(s, "/");
		if (!len)
			break;
		(*ret)[i++] = (struct seg){s, len};
		s += len;
	}
	return i;
}

static bool is_globstar(const struct seg *s)
{
	return s->n == 2 && s->s[0] == '*' && s->s[1] == '*';
}

/* Component-wise matching: `**` components are the stars of the greedy algorithm. */
static bool path_glob_segs(const struct seg *p, size_t pn, const struct seg *t, size_t tn)
{
	size_t pi = 0, ti = 0, star_p = SIZE_MAX, star_t = 0;
	while (ti < tn) {
		if (pi < pn && is_globstar(&p[pi])) {
			while (pi < pn && is_globstar(&p[pi]))
				pi++;
			star_p = pi;
			star_t = ti;
			continue;
		}
		if (pi < pn && ag3_glob_n(p[pi].s, p[pi].n, t[ti].s, t[ti].n, true)) {
			pi++;
			ti++;
			continue;
		}
		if (star_p != SIZE_MAX) {
			ti = ++star_t;
			pi = star_p;
			continue;
		}
		return false;
	}
	while (pi < pn && is_globstar(&p[pi]))
		pi++;
	return pi == pn;
}

bool ag3_path_glob_match(const char *pattern, const char *path)
{
	_cleanup_free_ struct seg *ps = NULL, *ts = NULL;
	size_t pn = segs_of(pattern, &ps), tn = segs_of(path, &ts);
	if (pn == SIZE_MAX || tn == SIZE_MAX)
		return false;
	return path_glob_segs(ps, pn, ts, tn);
}
