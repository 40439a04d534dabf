/* SPDX-License-Identifier: MIT */
#include "error.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void ag3_error_free(struct ag3_error *e)
{
	if (!e)
		return;
	free(e->stage);
	free(e->path);
	free(e->msg);
	free(e->file);
	free(e);
}

/*
 * Sets *reterr (when reterr is not NULL and *reterr is still NULL) to a new
 * error; *created is that error, or NULL. Returns -err.
 */
_printf_(4, 0) static int error_new(struct ag3_error **reterr, int err, struct ag3_error **created,
				    const char *fmt, va_list ap)
{
	*created = NULL;
	err = err < 0 ? -err : err;
	if (err == 0)
		err = EINVAL;
	if (!reterr || *reterr)
		return -err; /* keep the first (innermost) error */
	struct ag3_error *e = calloc(1, sizeof(*e));
	if (!e)
		return -err;
	e->err = err;
	if (vasprintf(&e->msg, fmt, ap) < 0)
		e->msg = NULL;
	*reterr = *created = e;
	return -err;
}

int ag3_error_setv(struct ag3_error **reterr, int err, const char *fmt, va_list ap)
{
	struct ag3_error *e;
	return error_new(reterr, err, &e, fmt, ap);
}

int ag3_error_set(struct ag3_error **reterr, int err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = ag3_error_setv(reterr, err, fmt, ap);
	va_end(ap);
	return r;
}

int ag3_error_set_stage(struct ag3_error **reterr, int err, const char *stage, const char *path,
			const char *fmt, ...)
{
	struct ag3_error *e;
	va_list ap;
	va_start(ap, fmt);
	int r = error_new(reterr, err, &e, fmt, ap);
	va_end(ap);
	if (e) {
		e->stage = stage ? strdup(stage) : NULL;
		e->path = path ? strdup(path) : NULL;
	}
	return r;
}

_printf_(6, 0) static int error_new_at(struct ag3_error **reterr, int err, const char *file,
				       unsigned line, unsigned col, const char *fmt, va_list ap)
{
	struct ag3_error *e;
	int r = error_new(reterr, err, &e, fmt, ap);
	if (e) {
		e->file = file ? strdup(file) : NULL;
		e->line = line;
		e->col = col;
	}
	return r;
}

int ag3_error_set_at(struct ag3_error **reterr, int err, const char *file, unsigned line,
		     unsigned col, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = error_new_at(reterr, err, file, line, col, fmt, ap);
	va_end(ap);
	return r;
}

int ag3_error_set_atv(struct ag3_error **reterr, int err, const char *file, unsigned line,
		      unsigned col, const char *prefix, const char *fmt, va_list ap)
{
	_cleanup_free_ char *msg = NULL;
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	if (!msg)
		return ag3_error_set(reterr, ENOMEM, "out of memory");
	if (prefix)
		return ag3_error_set_at(reterr, err, file, line, col, "%s: %s", prefix, msg);
	return ag3_error_set_at(reterr, err, file, line, col, "%s", msg);
}

int ag3_error_wrap(struct ag3_error **reterr, const char *fmt, ...)
{
	if (!reterr || !*reterr)
		return -EINVAL;
	struct ag3_error *e = *reterr;
	char *ctx = NULL, *joined = NULL;
	va_list ap;
	va_start(ap, fmt);
	if (vasprintf(&ctx, fmt, ap) < 0)
		ctx = NULL;
	va_end(ap);
	if (ctx && asprintf(&joined, "%s: %s", ctx, e->msg ? e->msg : strerror(e->err)) >= 0) {
		free(e->msg);
		e->msg = joined;
	}
	free(ctx);
	return -e->err;
}

char *ag3_error_format(const struct ag3_error *e)
{
	char *s = NULL;
	const char *m = e->msg ? e->msg : strerror(e->err);
	int r;
	if (e->file && e->line)
		r = asprintf(&s, "%s:%u:%u: %s", e->file, e->line, e->col, m);
	else if (e->file)
		r = asprintf(&s, "%s: %s", e->file, m);
	else
		r = asprintf(&s, "%s", m);
	return r < 0 ? NULL : s;
}

const char *ag3_errno_name(int err)
{
	err = err < 0 ? -err : err;
	const char *n = strerrorname_np(err);
	return n ? n : "E?";
}
