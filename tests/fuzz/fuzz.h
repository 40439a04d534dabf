/* SPDX-License-Identifier: MIT */
/* What the fuzz targets share. */
#pragma once

#include <stdlib.h>

#include "runtime/util/error.h"

/* Every failure carries an error object with a message and the same errno. */
static inline void check_error(int r, const struct ag3_error *e)
{
	if (r >= 0)
		return;
	if (!e || !e->msg || e->err != -r)
		__builtin_trap();
	char *f = ag3_error_format(e);
	if (!f)
		__builtin_trap();
	free(f);
}
