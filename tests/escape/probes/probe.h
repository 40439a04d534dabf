/* SPDX-License-Identifier: MIT */
/*
 * Shared helpers for the escape probes (tests/escape/probes/, one file per attack).
 *
 * Each probe runs INSIDE `ag3ntum-sandbox exec` and tries one attack. It prints
 * exactly one verdict line on stdout and exits with:
 *
 *   0  "BLOCKED <name>: <how it failed>"   the attack failed, as it must
 *   1  "ESCAPED <name>: <what opened>"      the isolation step is missing
 *   2  "ERROR <name>: <what went wrong>"    the probe itself could not run
 *   3  "SKIP <name>: <reason>"              the kernel lacks the feature
 *
 * Probes are harmless if they succeed: they detect that a door opened and
 * never walk through it (open for write without writing, set a value to what
 * it already is, bound every loop in count and time, talk only to loopback).
 *
 * Seccomp probes: the default deny action is errno EPERM. Where possible the
 * arguments are chosen so that the kernel, were the call let through, would
 * answer something else (succeed harmlessly, or fail with EINVAL/EBADF/ENOENT
 * before any privilege check); then only seccomp can produce EPERM and the
 * probe fails as soon as the rule is gone. `expect_eperm` implements that rule:
 * EPERM is BLOCKED, success or any other errno is ESCAPED ("reached the
 * kernel").
 */
#ifndef AG3_ESCAPE_PROBE_H
#define AG3_ESCAPE_PROBE_H

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static inline const char *ename(int e)
{
	const char *n = strerrorname_np(e);
	return n ? n : "E?";
}

static inline void verdict_v(const char *tag, const char *name, const char *fmt, va_list ap)
{
	printf("%s %s: ", tag, name);
	vprintf(fmt, ap);
	printf("\n");
	fflush(stdout);
}

__attribute__((noreturn, format(printf, 2, 3))) static inline void blocked(const char *name,
									   const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	verdict_v("BLOCKED", name, fmt, ap);
	va_end(ap);
	exit(0);
}

__attribute__((noreturn, format(printf, 2, 3))) static inline void escaped(const char *name,
									   const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	verdict_v("ESCAPED", name, fmt, ap);
	va_end(ap);
	exit(1);
}

__attribute__((noreturn, format(printf, 2, 3))) static inline void probe_error(const char *name,
									       const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	verdict_v("ERROR", name, fmt, ap);
	va_end(ap);
	exit(2);
}

__attribute__((noreturn, format(printf, 2, 3))) static inline void skip(const char *name,
									const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	verdict_v("SKIP", name, fmt, ap);
	va_end(ap);
	exit(3);
}

/* The seccomp rule: EPERM is BLOCKED; success or any other errno is ESCAPED. */
__attribute__((noreturn)) static inline void expect_eperm(const char *name, long ret, int err)
{
	if (ret >= 0)
		escaped(name, "the call succeeded (returned %ld)", ret);
	if (err == EPERM)
		blocked(name, "EPERM");
	escaped(name, "the call reached the kernel: %s instead of seccomp's EPERM", ename(err));
}

/* Monotonic milliseconds, for time bounds. */
static inline long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static inline void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* A probe file holding several variants, selected by argv[1]. */
struct variant {
	const char *name;
	void (*fn)(const char *name, int argc, char **argv);
};

static inline int run_variant(const struct variant *v, size_t n, int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: %s VARIANT [ARG...]\nvariants:", argv[0]);
		for (size_t i = 0; i < n; i++)
			fprintf(stderr, " %s", v[i].name);
		fprintf(stderr, "\n");
		return 2;
	}
	for (size_t i = 0; i < n; i++) {
		if (strcmp(v[i].name, argv[1]) == 0) {
			/* Every probe is bounded in time even if the sandbox's timeout is not. */
			alarm(60);
			v[i].fn(v[i].name, argc, argv);
			probe_error(v[i].name, "the variant returned without a verdict");
		}
	}
	probe_error(argv[1], "no such variant");
}

#define RUN_VARIANTS(tab) run_variant(tab, sizeof(tab) / sizeof((tab)[0]), argc, argv)

#endif
