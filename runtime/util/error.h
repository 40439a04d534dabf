/* SPDX-License-Identifier: MIT */
/*
 * The error object carried across module boundaries.
 *
 * Functions that can fail return 0 (or more) on success and a negative errno
 * on failure; at module boundaries they also take `struct ag3_error **reterr`
 * last and, on failure, leave a heap-allocated error there. The library never
 * prints: only the CLI turns an error into text.
 */
#pragma once

#include <stdarg.h>

#include "cleanup.h"

struct ag3_error {
	int err;       /* positive errno (EINVAL for errors not from a syscall) */
	char *stage;   /* setup stage ("mount", "pivot_root"...), or NULL */
	char *path;    /* the path involved, or NULL */
	char *msg;     /* the whole message, context first: "stage: path: what" */
	char *file;    /* for parse errors: the input file, or NULL */
	unsigned line; /* 1-based; 0 when unknown */
	unsigned col;  /* 1-based; 0 when unknown */
};

void ag3_error_free(struct ag3_error *e);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct ag3_error *, ag3_error_free)

/*
 * Sets *reterr (when reterr is not NULL and *reterr is still NULL) to a new
 * error with errno `err` (sign ignored) and a printf-style message. Returns
 * -err so callers can `return ag3_error_set(reterr, EINVAL, "...")`.
 */
int ag3_error_set(struct ag3_error **reterr, int err, const char *fmt, ...) _printf_(3, 4);
int ag3_error_setv(struct ag3_error **reterr, int err, const char *fmt, va_list ap) _printf_(3, 0);

/* Like ag3_error_set, and also records the stage and path. */
int ag3_error_set_stage(struct ag3_error **reterr, int err, const char *stage, const char *path,
			const char *fmt, ...) _printf_(5, 6);

/* Like ag3_error_set, for a position in an input file (file:line:col). */
int ag3_error_set_at(struct ag3_error **reterr, int err, const char *file, unsigned line,
		     unsigned col, const char *fmt, ...) _printf_(6, 7);
/*
 * Like ag3_error_set_at with a va_list, the message preceded by "prefix: "
 * when prefix is not NULL. When the message cannot be formatted, the error
 * is ENOMEM "out of memory" (no position).
 */
int ag3_error_set_atv(struct ag3_error **reterr, int err, const char *file, unsigned line,
		      unsigned col, const char *prefix, const char *fmt, va_list ap) _printf_(7, 0);

/* Prepends "context: " to an existing error's message. Returns -(*reterr)->err. */
int ag3_error_wrap(struct ag3_error **reterr, const char *fmt, ...) _printf_(2, 3);

/* A one-line rendering: "file:line:col: msg" when a position is known, else msg. */
char *ag3_error_format(const struct ag3_error *e);

/* The errno's symbolic name ("ENOENT"), or "E?" when unknown. */
const char *ag3_errno_name(int err);
