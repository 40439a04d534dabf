/* SPDX-License-Identifier: MIT */
/*
 * The spec's JSON form, schema "ag3ntum.spec/1", both ways (cJSON).
 */
#pragma once

#include <stddef.h>

#include "runtime/spec.h"

enum {
	AG3_JSON_PRETTY = 1 << 0,         /* indented, one key per line            */
	AG3_JSON_REDACT_SECRETS = 1 << 1, /* secret env values become "<redacted>" */
};

/*
 * Parses and validates a spec. `filename` names the input in errors (may be
 * NULL). Unknown fields, ill-typed fields, a wrong schema or version, and
 * anything ag3_spec_validate rejects are errors naming the JSON path
 * ("mounts[2].ro: expected a boolean"). Omitted fields keep ag3_spec_new()'s
 * safe defaults. On failure *ret is untouched.
 */
int ag3_spec_from_json(const char *buf, size_t len, const char *filename, struct ag3_spec **ret,
		       struct ag3_error **reterr);

/* The network section alone (a session's hello carries it to the client that
 * runs the command's relay). *ret is malloc'ed. 0 or -errno. */
int ag3_spec_network_to_json(const struct ag3_spec_network *net, char **ret);
/* Reads what ag3_spec_network_to_json wrote into *net (cleared first; free with
 * ag3_spec_network_clear). 0 or -EINVAL. */
int ag3_spec_network_from_json(const char *buf, size_t len, struct ag3_spec_network *net);
void ag3_spec_network_clear(struct ag3_spec_network *net);

/* Serializes a spec (fixed key order, so equal specs give equal bytes). */
int ag3_spec_to_json(const struct ag3_spec *spec, unsigned flags, char **ret,
		     struct ag3_error **reterr);
