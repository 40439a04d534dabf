/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the spec's JSON reader and writer.
 *
 * Whatever parses must print, and what it prints must parse back to the same
 * bytes (compact and pretty alike); anything else is a bug: abort().
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/spec.h"
#include "runtime/spec_json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *print(const struct ag3_spec *s, unsigned flags)
{
	struct ag3_error *e = NULL;
	char *out = NULL;

	if (ag3_spec_to_json(s, flags, &out, &e) < 0 || !out || e)
		abort(); /* a spec we accepted must print */
	return out;
}

static struct ag3_spec *reparse(const char *json)
{
	struct ag3_error *e = NULL;
	struct ag3_spec *s = NULL;

	if (ag3_spec_from_json(json, strlen(json), "roundtrip", &s, &e) < 0 || !s || e)
		abort(); /* what we print must parse */
	return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ag3_error *e = NULL;
	struct ag3_spec *s = (struct ag3_spec *)(uintptr_t)1, *s2, *s3;
	char *j1, *j2, *p1, *p2;
	int r;

	r = ag3_spec_from_json((const char *)data, size, (size & 1) ? "fuzz.json" : NULL, &s, &e);
	if (r < 0) {
		/* Failure: an error, and *ret untouched. */
		if (!e || !e->msg || e->err <= 0 || s != (struct ag3_spec *)(uintptr_t)1)
			abort();
		ag3_error_free(e);
		return 0;
	}
	if (r != 0 || e || !s)
		abort();

	j1 = print(s, 0);
	s2 = reparse(j1);
	j2 = print(s2, 0);
	if (strcmp(j1, j2) != 0)
		abort();

	p1 = print(s, AG3_JSON_PRETTY);
	s3 = reparse(p1);
	p2 = print(s3, 0);
	if (strcmp(j1, p2) != 0)
		abort();

	free(print(s, AG3_JSON_REDACT_SECRETS | AG3_JSON_PRETTY));

	free(j1);
	free(j2);
	free(p1);
	free(p2);
	ag3_spec_free(s);
	ag3_spec_free(s2);
	ag3_spec_free(s3);
	return 0;
}
