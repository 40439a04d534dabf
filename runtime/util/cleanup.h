/* SPDX-License-Identifier: MIT */
/*
 * Cleanup attributes, defined once for the whole tree.
 *
 * This header is the foundation layer: every module (mounts, runtime, policy,
 * agent, tools) may include it. It includes nothing of the project's own.
 */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define _cleanup_(f) __attribute__((cleanup(f)))
#define _unused_ __attribute__((unused))
#define _noreturn_ __attribute__((noreturn))
#define _printf_(a, b) __attribute__((format(printf, a, b)))
#define _nonnull_(...) __attribute__((nonnull(__VA_ARGS__)))
#define _warn_unused_ __attribute__((warn_unused_result))
#define _likely_(x) __builtin_expect(!!(x), 1)
#define _unlikely_(x) __builtin_expect(!!(x), 0)

#define ELEMENTSOF(a) (sizeof(a) / sizeof((a)[0]))

static inline void freep(void *p)
{
	free(*(void **)p);
}
#define _cleanup_free_ _cleanup_(freep)

static inline void closep(int *fd)
{
	if (*fd >= 0) {
		int saved = errno;
		close(*fd);
		errno = saved;
	}
}
#define _cleanup_close_ _cleanup_(closep)

static inline void fclosep(FILE **f)
{
	if (*f)
		fclose(*f);
}
#define _cleanup_fclose_ _cleanup_(fclosep)

/* Takes ownership of a pointer: returns it and leaves NULL behind. */
#define TAKE_PTR(p)                                                                                \
	({                                                                                         \
		__typeof__(p) *_pp = &(p);                                                         \
		__typeof__(p) _v = *_pp;                                                           \
		*_pp = NULL;                                                                       \
		_v;                                                                                \
	})

/* Takes ownership of a file descriptor: returns it and leaves -1 behind. */
#define TAKE_FD(fd)                                                                                \
	({                                                                                         \
		int *_pfd = &(fd);                                                                 \
		int _v = *_pfd;                                                                    \
		*_pfd = -1;                                                                        \
		_v;                                                                                \
	})

/* Defines name##p(type *p) that calls func(*p) when *p is not NULL. */
#define DEFINE_TRIVIAL_CLEANUP_FUNC(type, func)                                                    \
	static inline void func##p(type *p)                                                        \
	{                                                                                          \
		if (*p)                                                                            \
			func(*p);                                                                  \
	}

/* errno classifiers: whether to fall back to an older path or to fail. */
/* Whether `s` is one of the strings of a NULL-terminated list. */
static inline bool strv_contains(const char *const *list, const char *s)
{
	for (; *list; list++)
		if (!strcmp(s, *list))
			return true;
	return false;
}

static inline int errno_is_not_supported(int e)
{
	e = e < 0 ? -e : e;
	return e == ENOSYS || e == EOPNOTSUPP || e == ENOTTY || e == EAFNOSUPPORT ||
	       e == EPROTONOSUPPORT;
}

static inline int errno_is_privilege(int e)
{
	e = e < 0 ? -e : e;
	return e == EPERM || e == EACCES;
}
